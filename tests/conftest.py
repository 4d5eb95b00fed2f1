"""Fixtures shared by every test package that runs against the session emulator (``cos_emulator``
comes from the ``ibm_cos_emulator`` pytest plugin). Packages with their own server (core,
resources, faults, emulator) override ``client`` and ``bucket``."""
from __future__ import annotations

from typing import Any, Iterator

import pytest


@pytest.fixture
def emu(cos_emulator: Any) -> Iterator[Any]:
    """The session emulator, with no fault rules left over from another test."""
    cos_emulator.faults.clear()
    yield cos_emulator
    cos_emulator.faults.clear()


@pytest.fixture
def client(emu: Any) -> Iterator[Any]:
    """An HMAC ``ibm_boto3`` client on the emulator."""
    from cos_test_support import hmac_client

    c = hmac_client(emu)
    yield c
    c.close()


@pytest.fixture
def bucket(client: Any) -> str:
    """A fresh bucket for one test."""
    from cos_test_support import new_bucket

    return new_bucket(client)
