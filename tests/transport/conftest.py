"""Fixtures of the transport contract suite: every test runs on both HTTP transports
(the direct HTTP/1.1 one and urllib3, switched by ``IBM_COS_SDK_HTTP``), against raw-socket
servers on 127.0.0.1 that do only what each test scripts (they never drain a request body
they were not told to read, as production servers don't)."""
from __future__ import annotations

import os
import sys
from typing import Any, Iterator, List

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
for path in (REPO, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

from rawserver import RawServer  # noqa: E402

_ENV_PREFIXES = ("AWS_", "IBM_", "COS_", "BOTO_")


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials, profiles, proxies or SDK settings from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES) or name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)
    missing = str(tmp_path / "absent")
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "COS_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, missing)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(params=["direct", "urllib3"])
def transport(request: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """The HTTP transport under test; clients made after this fixture use it."""
    if request.param == "urllib3":
        monkeypatch.setenv("IBM_COS_SDK_HTTP", "urllib3")
    else:
        monkeypatch.delenv("IBM_COS_SDK_HTTP", raising=False)
    return request.param


@pytest.fixture
def server() -> Iterator[Any]:
    """``server(handler, tls=None)`` starts a RawServer; all are closed afterwards."""
    started: List[RawServer] = []

    def start(handler: Any, tls: Any = None) -> RawServer:
        raw = RawServer(handler, tls)
        started.append(raw)
        return raw

    yield start
    for raw in started:
        raw.close()
