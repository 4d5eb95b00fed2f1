"""Fixtures of the cos:// fsspec tests (``emu`` comes from tests/conftest.py): a COSFileSystem
on the session emulator (IAM API key), and a fresh bucket per test."""
from __future__ import annotations

import uuid

import pytest

pytest.importorskip("fsspec")
pytest.importorskip("moto")

from fsspec_support import fs_options  # noqa: E402


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
