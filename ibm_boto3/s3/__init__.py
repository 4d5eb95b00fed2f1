"""S3 helpers of ibm_boto3: transfer methods injected into clients and resources."""
from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("transfer", "inject"):
        return importlib.import_module("ibm_boto3.s3." + name)
    raise AttributeError("module 'ibm_boto3.s3' has no attribute %r" % name)
