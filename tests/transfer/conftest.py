"""Fixtures of the transfer tests (``emu``, ``client`` and ``bucket`` come from tests/conftest.py):
a recorder of the requests the client actually sends, and a random data file."""
from __future__ import annotations

import os
import sys
import threading
from typing import Any, Dict, List

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

pytest.importorskip("moto")


class Recorder:
    """Every request the client puts on the wire (after signing)."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, request: Any = None, **kwargs: Any) -> None:
        entry = {
            "method": request.method,
            "url": request.url,
            # prepared requests hold bytes values, as ibm-cos-sdk's do
            "headers": {k.lower(): v.decode("utf-8") if isinstance(v, bytes) else v for k, v in request.headers.items()},
        }
        with self._lock:
            self.requests.append(entry)

    def matching(self, method: str, contains: str = "") -> List[Dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and contains in r["url"]]


@pytest.fixture
def recorder(client):
    rec = Recorder()
    client.meta.events.register("before-send.s3", rec)
    return rec


@pytest.fixture
def data_file(tmp_path):
    """make(size) -> (path, bytes): a file of ``size`` random bytes."""

    def make(size: int, name: str = "source.bin"):
        data = os.urandom(size)
        path = tmp_path / name
        path.write_bytes(data)
        return str(path), data

    return make
