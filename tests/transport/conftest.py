"""Fixtures of the transport contract suite: every test runs on both HTTP transports
(the direct HTTP/1.1 one and urllib3, switched by ``IBM_COS_SDK_HTTP``), against raw-socket
servers on 127.0.0.1 that do only what each test scripts (they never drain a request body
they were not told to read, as production servers don't)."""
from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
from typing import Any, Dict, Iterator, List

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


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """A self-signed certificate for 127.0.0.1: the server context, the CA file, and a
    CA directory holding it as OpenSSL looks certificates up (``<subject hash>.0``)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    key, cert = str(folder / "key.pem"), str(folder / "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subject_hash = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", cert], check=True,
                                  stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    ca_dir = folder / "ca-dir"
    ca_dir.mkdir()
    shutil.copy(cert, str(ca_dir / (subject_hash + ".0")))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return {"context": context, "file": cert, "dir": str(ca_dir)}
