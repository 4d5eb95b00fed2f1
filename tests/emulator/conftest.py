"""Fixtures for the emulator tests: one shared emulator, clients for each auth kind."""
from __future__ import annotations

import os
import sys
import uuid

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

pytest.importorskip("moto")

from ibm_cos_emulator.pytest_plugin import cos_emulator, cos_emulator_clean  # noqa: E402,F401

import emu_http  # noqa: E402


@pytest.fixture
def emu(cos_emulator):
    """The session emulator; faults and clock offset are cleared after each test."""
    yield cos_emulator
    cos_emulator.faults.clear()
    cos_emulator.clock.reset()


@pytest.fixture
def hmac_client(emu):
    return emu_http.Client(emu.endpoint_url, "hmac", emu.access_key_id, emu.secret_access_key)


@pytest.fixture
def bearer_client(emu):
    token = emu_http.get_token(emu.endpoint_url, emu.api_key)
    return emu_http.Client(emu.endpoint_url, "bearer", token=token, instance_id=emu.instance_id)


@pytest.fixture
def bucket(hmac_client):
    """A fresh bucket (made with HMAC auth in the default instance)."""
    name = "t-" + uuid.uuid4().hex[:20]
    resp = hmac_client.request("PUT", "/" + name)
    assert resp.status == 200, resp.body
    return name


@pytest.fixture
def protected_bucket(hmac_client, bucket):
    resp = hmac_client.request("PUT", "/" + bucket, [("protection", "")], body=emu_http.protection_xml(1, 2, 10))
    assert resp.status == 200, resp.body
    return bucket

