"""Helpers shared by the test packages that run against the session emulator.

Importable as ``cos_test_support`` from any test module: ``tests/`` has no ``__init__.py``,
so pytest puts it on ``sys.path`` when it loads ``tests/conftest.py``.
"""
from __future__ import annotations

import uuid
from typing import Any


def hmac_client(emu: Any, **config: Any) -> Any:
    """An ``ibm_boto3`` S3 client on the emulator with its HMAC keys (``config`` -> ``Config``)."""
    import ibm_boto3
    from ibm_botocore.client import Config

    return ibm_boto3.client("s3", config=Config(**config) if config else None, **emu.client_kwargs("hmac"))


def iam_client(emu: Any) -> Any:
    """An ``ibm_boto3`` S3 client on the emulator with its IAM API key (oauth signing)."""
    import ibm_boto3
    from ibm_botocore.client import Config

    return ibm_boto3.client("s3", config=Config(signature_version="oauth"), **emu.client_kwargs("iam"))


def new_bucket(client: Any, prefix: str = "t-") -> str:
    """Create a bucket with a fresh random name and return the name."""
    name = prefix + uuid.uuid4().hex[:20]
    client.create_bucket(Bucket=name)
    return name
