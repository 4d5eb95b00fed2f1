"""The two HTTP paths: direct HTTP/1.1 connections (default) and urllib3 (proxies, or
``IBM_COS_SDK_HTTP=urllib3``). Raw-socket servers on 127.0.0.1 provoke what the direct
path must handle: keep-alive reuse, idle connections closed by the server, interim 100
responses, chunked and close-delimited bodies."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
from typing import Any, Callable, List, Optional

import pytest

from core_helpers import make_client, unique_bucket_name

OK_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"abc\"\r\nContent-Type: text/plain\r\n"
    b"Last-Modified: Wed, 01 May 2024 12:00:00 GMT\r\n\r\n"
)


class RawServer:
    """Accepts connections; ``respond(conn, request_bytes, index)`` writes the answer and
    returns False to close the connection after it."""

    def __init__(self, respond: Callable[[socket.socket, bytes, int], bool], tls: Optional[Any] = None) -> None:
        self._respond = respond
        self._tls = tls
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self.requests: List[bytes] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return "%s://127.0.0.1:%d" % ("https" if self._tls else "http", self.port)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # close() shut the listener down; it is closed here, by its user
                self._listener.close()
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        if self._tls is not None:
            try:
                conn = self._tls.wrap_socket(conn, server_side=True)
            except OSError:  # the client refused the certificate
                conn.close()
                return
        reader = conn.makefile("rb")
        try:
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = reader.read(length) if length else b""
                with self._lock:
                    self.requests.append(head + body)
                    index = len(self.requests)
                if not self._respond(conn, head + body, index):
                    return
        finally:
            reader.close()
            conn.close()

    def close(self) -> None:
        self._listener.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def raw_server():
    servers = []

    def start(respond, tls=None):
        server = RawServer(respond, tls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_keep_alive_reuses_one_connection(raw_server):
    server = raw_server(lambda conn, req, i: conn.sendall(OK_HEAD) or True)
    client = make_client(server.url)
    for _ in range(20):
        assert client.head_object(Bucket="bucket1", Key="k")["ETag"] == '"abc"'
    assert server.connections == 1 and len(server.requests) == 20


def test_idle_connection_closed_by_server_is_replaced(raw_server):
    # Answers with keep-alive headers but closes every connection after one response,
    # like a server whose idle timeout has passed.
    server = raw_server(lambda conn, req, i: conn.sendall(OK_HEAD) or False)
    client = make_client(server.url)
    for _ in range(5):
        response = client.head_object(Bucket="bucket1", Key="k")
        assert response["ResponseMetadata"]["RetryAttempts"] == 0
    assert server.connections == 5


def test_interim_100_and_chunked_body(raw_server):
    def respond(conn, req, index):
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = b"hello, chunked world"
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"x\"\r\n\r\n")
        conn.sendall(b"5\r\n" + body[:5] + b"\r\n")
        conn.sendall(b"%x;ext=1\r\n" % (len(body) - 5) + body[5:] + b"\r\n0\r\nx-trailer: y\r\n\r\n")
        return True

    server = raw_server(respond)
    client = make_client(server.url)
    assert client.get_object(Bucket="bucket1", Key="k")["Body"].read() == b"hello, chunked world"
    assert client.get_object(Bucket="bucket1", Key="k")["Body"].read() == b"hello, chunked world"
    assert server.connections == 1


def test_close_delimited_body(raw_server):
    def respond(conn, req, index):
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
        return False

    server = raw_server(respond)
    client = make_client(server.url)
    assert client.get_object(Bucket="bucket1", Key="k")["Body"].read() == b"until the end"
    assert client.get_object(Bucket="bucket1", Key="k")["Body"].read() == b"until the end"
    assert server.connections == 2


def test_request_bytes_on_the_wire(raw_server):
    server = raw_server(lambda conn, req, i: conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") or True)
    client = make_client(server.url)
    client.put_object(Bucket="bucket1", Key="a b", Body=b"payload")
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"PUT /bucket1/a%20b HTTP/1.1"
    assert lines[1] == b"Host: 127.0.0.1:%d" % server.port
    assert lines[2] == b"Accept-Encoding: identity"
    assert body == b"payload"


@pytest.fixture(scope="module")
def tls_certificate(tmp_path_factory):
    """(server context, certificate path): a throw-away self-signed certificate for 127.0.0.1."""
    import ssl

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


@pytest.mark.parametrize("transport", ["direct", "urllib3"])
def test_https_verified_and_refused(raw_server, tls_certificate, monkeypatch, transport):
    """https with verify=<CA bundle> works (keep-alive too); an unknown certificate raises
    ibm_botocore.exceptions.SSLError naming the endpoint, on both HTTP paths."""
    from ibm_botocore.client import Config
    from ibm_botocore.exceptions import SSLError

    if transport == "urllib3":
        monkeypatch.setenv("IBM_COS_SDK_HTTP", "urllib3")
    context, cert = tls_certificate
    server = raw_server(lambda conn, req, i: conn.sendall(OK_HEAD + b"hello") or True, tls=context)
    client = make_client(server.url, verify=cert)
    for _ in range(2):
        assert client.get_object(Bucket="bucket1", Key="k")["Body"].read() == b"hello"
    assert server.connections == 1
    refusing = make_client(server.url, config=Config(retries={"max_attempts": 1}))
    with pytest.raises(SSLError) as info:
        refusing.head_object(Bucket="bucket1", Key="k")
    assert server.url in str(info.value)
    assert len(server.requests) == 2  # the refused handshake sent nothing


def test_urllib3_path_round_trip(monkeypatch, moto_endpoint):
    monkeypatch.setenv("IBM_COS_SDK_HTTP", "urllib3")
    client = make_client(moto_endpoint)
    assert client._endpoint.http_session._use_direct is False
    bucket = unique_bucket_name()
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="k", Body=b"via urllib3")
    response = client.get_object(Bucket=bucket, Key="k")
    raw = response["Body"]._raw_stream
    assert type(raw).__module__.startswith("urllib3")
    assert response["Body"].read() == b"via urllib3"
    assert client.head_object(Bucket=bucket, Key="k")["ContentLength"] == 11
    with pytest.raises(client.exceptions.NoSuchKey):
        client.get_object(Bucket=bucket, Key="absent")
    client.delete_object(Bucket=bucket, Key="k")
    client.delete_bucket(Bucket=bucket)
    assert "urllib3" in sys.modules
