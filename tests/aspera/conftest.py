"""Fixtures of the directory-engine and Aspera tests: the session emulator, HMAC and API-key
clients, a fresh bucket per test and a tree maker."""
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

from aspera_helpers import hmac_client, iam_client  # noqa: E402


@pytest.fixture
def emu(cos_emulator):
    cos_emulator.faults.clear()
    yield cos_emulator
    cos_emulator.faults.clear()


@pytest.fixture
def client(emu):
    c = hmac_client(emu)
    yield c
    c.close()


@pytest.fixture
def api_key_client(emu):
    c = iam_client(emu)
    yield c
    c.close()


@pytest.fixture
def bucket(client):
    name = "asp-" + uuid.uuid4().hex[:20]
    client.create_bucket(Bucket=name)
    return name
