"""Fixtures of the fault suite: the session emulator behind a loopback fault proxy."""
from __future__ import annotations

import os
import sys
import uuid
from urllib.parse import urlsplit

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

pytest.importorskip("moto")

from fault_proxy import FaultProxy  # noqa: E402


@pytest.fixture(scope="session")
def proxy(cos_emulator):
    parts = urlsplit(cos_emulator.endpoint_url)
    p = FaultProxy(parts.hostname, parts.port)
    yield p
    p.close()


@pytest.fixture
def faults(proxy, cos_emulator):
    proxy.clear()
    cos_emulator.faults.clear()
    yield proxy
    proxy.clear()


@pytest.fixture
def direct(cos_emulator):
    """A client straight to the emulator (setting up and checking, never faulted)."""
    import ibm_boto3

    c = ibm_boto3.client("s3", **cos_emulator.client_kwargs("hmac"))
    yield c
    c.close()


@pytest.fixture
def bucket(direct):
    name = "flt-" + uuid.uuid4().hex[:20]
    direct.create_bucket(Bucket=name)
    return name
