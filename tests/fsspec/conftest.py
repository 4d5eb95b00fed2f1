"""Fixtures of the cos:// fsspec tests: the session emulator, a COSFileSystem on it (IAM API
key), and a fresh bucket per test."""
from __future__ import annotations

import uuid

import pytest

pytest.importorskip("fsspec")
pytest.importorskip("moto")


def fs_options(emulator, auth="iam"):
    """``storage_options`` for the emulator, as a user would pass them."""
    if auth == "iam":
        return {"api_key": emulator.api_key, "instance_id": emulator.instance_id,
                "endpoint_url": emulator.endpoint_url,
                "client_kwargs": {"ibm_auth_endpoint": emulator.auth_endpoint}}
    return {"key": emulator.access_key_id, "secret": emulator.secret_access_key,
            "endpoint_url": emulator.endpoint_url}


@pytest.fixture
def emu(cos_emulator):
    cos_emulator.faults.clear()
    yield cos_emulator
    cos_emulator.faults.clear()


@pytest.fixture
def storage_options(emu):
    return fs_options(emu)


@pytest.fixture
def cosfs(storage_options):
    from ibm_boto3.fsspec import COSFileSystem

    fs = COSFileSystem(skip_instance_cache=True, **storage_options)
    yield fs


@pytest.fixture
def bucket(cosfs):
    name = "fs-" + uuid.uuid4().hex[:16]
    cosfs.mkdir(name)
    return name
