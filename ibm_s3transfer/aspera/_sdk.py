"""Loads IBM's closed-source FASP manager (package ``cos-aspera``)."""
from __future__ import annotations

import logging
import os
import warnings
from typing import Any

try:  # pragma: no cover - the package is not available on PyPI-only installs
    from cos_aspera import faspmanager2  # type: ignore[import-not-found]
except ImportError:
    raise ImportError("Aspera SDK not installed")

_MESSAGE = "Using Aspera through the COS SDK is deprecated; use ibm_s3transfer.manager.TransferManager instead."
warnings.warn(_MESSAGE, DeprecationWarning, stacklevel=3)
logging.getLogger("ibmcos.aspera").warning(_MESSAGE)

import cos_aspera  # type: ignore[import-not-found]  # noqa: E402

faspmanager2.configureAsperaLocation(os.path.dirname(cos_aspera.__file__))

fasp: Any = faspmanager2
