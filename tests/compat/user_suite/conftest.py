"""Fixtures of the user-style compatibility suite.

Everything here uses only what a user of ibm-cos-sdk 2.16.2 has: the public API of
``ibm_boto3`` / ``ibm_botocore`` / ``ibm_s3transfer``, ``Stubber``, event handlers, and a
small local HTTP server written with the standard library. The suite runs unchanged on
this SDK (CI) and on ibm-cos-sdk 2.16.2 (``tests/compat/run_user_suite_with_ibm_cos_sdk.py``).
"""
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from user_suite_helpers import make_client

_CLEARED = ("AWS_", "IBM_", "COS_")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """No user config or credential file, no AWS_*/IBM_* variables."""
    for name in list(os.environ):
        if name.startswith(_CLEARED):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("COS_CREDENTIALS_FILE", str(tmp_path / "no-cos-credentials"))


@pytest.fixture
def client():
    """A client of an endpoint nobody listens on: every call must be stubbed."""
    return make_client()


@pytest.fixture
def https_client():
    return make_client("https://127.0.0.1:9")


class RecordingServer:
    """A tiny S3 stand-in: stores PUT bodies, answers HEAD/GET from them, records requests."""

    def __init__(self):
        self.objects = {}
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _body(self):
                if "chunked" in (self.headers.get("Transfer-Encoding") or ""):
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b""):
                                pass
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _reply(self, status, headers=(), body=b"", length=None):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_PUT(self):
                body = self._body()
                server.requests.append((self.command, self.path, dict(self.headers), body))
                server.objects[self.path.split("?")[0]] = body
                self._reply(200, [("ETag", '"etag"')])

            def do_HEAD(self):
                server.requests.append((self.command, self.path, dict(self.headers), b""))
                data = server.objects.get(self.path.split("?")[0])
                if data is None:
                    self._reply(404)
                else:
                    self._reply(200, [("ETag", '"etag"')], length=len(data))

            def do_GET(self):
                server.requests.append((self.command, self.path, dict(self.headers), b""))
                data = server.objects.get(self.path.split("?")[0], b"")
                self._reply(200, [("ETag", '"etag"')], data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = RecordingServer()
    yield srv
    srv.close()
