"""Fixtures of the directory-engine and Aspera tests (``emu``, the HMAC ``client`` and ``bucket``
come from tests/conftest.py): an API-key client."""
from __future__ import annotations

import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

pytest.importorskip("moto")

from cos_test_support import iam_client  # noqa: E402


@pytest.fixture
def api_key_client(emu):
    c = iam_client(emu)
    yield c
    c.close()
