"""ibm_cos_emulator: a local IBM Cloud Object Storage (S3 API + IAM tokens) for tests and demos.

moto's S3 engine does the storage; this package adds the IAM token service, SigV4 and bearer
authentication, the COS-only operations (protection, retention, legal holds, Key Protect,
extended bucket listing, ...), fault injection and persistence. moto is imported only when an
emulator is started, so importing this package (or its pytest plugin) is cheap.
"""
from __future__ import annotations

from .faults import FaultRule, Faults
from .iam import fingerprint
from .server import Emulator

__all__ = ["Emulator", "Faults", "FaultRule", "fingerprint"]
__version__ = "2.16.2"
