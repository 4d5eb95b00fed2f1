"""A raw-socket HTTP server for transport tests, and the clients that talk to it.

``RawServer(handler)`` accepts connections on 127.0.0.1 (a random port) and runs
``handler(peer)`` for each in its own thread. ``Peer`` gives the handler the request heads
(``read_request()``), and nothing more unless asked: a body is read only by
``read_body()``. The server counts connections and every byte received, so a test can
assert that nothing reached the socket.
"""
from __future__ import annotations

import socket
import struct
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

import ibm_boto3
from ibm_botocore.config import Config

ACCESS_KEY = "AKIDTRANSPORTTESTS0000"
SECRET_KEY = "transportTestsSecret/EXAMPLE+000000000000"


def make_client(url: str, attempts: int = 1, **config: Any) -> Any:
    """An HMAC client for ``url``; ``attempts`` total attempts (1: no retries)."""
    settings: Dict[str, Any] = {"retries": {"max_attempts": attempts - 1 if attempts > 0 else 0}}
    settings.update(config)
    return ibm_boto3.client(
        "s3",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        endpoint_url=url,
        config=Config(**settings),
    )


def response(status: int, headers: Optional[List[Tuple[str, str]]] = None, body: bytes = b"", reason: str = "OK") -> bytes:
    """An HTTP/1.1 response with a Content-Length (unless ``headers`` already frame it)."""
    lines = ["HTTP/1.1 %d %s" % (status, reason)]
    names = set()
    for name, value in headers or []:
        lines.append("%s: %s" % (name, value))
        names.add(name.lower())
    if "content-length" not in names and "transfer-encoding" not in names:
        lines.append("Content-Length: %d" % len(body))
    if "x-amz-request-id" not in names:
        lines.append("x-amz-request-id: RAW")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def s3_error(status: int, code: str, reason: str = "Error") -> bytes:
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>scripted</Message>"
            "<RequestId>RAW</RequestId></Error>" % code).encode("ascii")
    return response(status, [("Content-Type", "application/xml")], body, reason)


HEAD_OK = response(200, [("ETag", '"0123456789abcdef0123456789abcdef"'), ("Content-Type", "text/plain"),
                         ("Last-Modified", "Wed, 01 May 2024 12:00:00 GMT")], b"")


class Request:
    def __init__(self, head: bytes) -> None:
        self.head = head
        lines = head.decode("latin-1").split("\r\n")
        self.method, self.target, _ = lines[0].split(" ", 2)
        self.headers: Dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()
        self.body = b""

    @property
    def length(self) -> int:
        return int(self.headers.get("content-length", "0"))


class Peer:
    """One accepted connection, as the handler sees it."""

    def __init__(self, server: "RawServer", sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self._buffer = b""

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        with self.server.lock:
            self.server.bytes_received += len(data)
        return data

    def read_request(self) -> Optional[Request]:
        """The next request head (body left unread); None when the client closed."""
        while b"\r\n\r\n" not in self._buffer:
            try:
                data = self._recv()
            except OSError:
                return None
            if not data:
                return None
            self._buffer += data
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        request = Request(head + b"\r\n\r\n")
        with self.server.lock:
            self.server.requests.append(request)
        return request

    def read_body(self, request: Request) -> bytes:
        """Read the request's Content-Length body (chunked bodies: up to the last chunk)."""
        if "chunked" in request.headers.get("transfer-encoding", ""):
            body = self._read_chunked()
        else:
            while len(self._buffer) < request.length:
                data = self._recv()
                if not data:
                    break
                self._buffer += data
            body, self._buffer = self._buffer[:request.length], self._buffer[request.length:]
        request.body = body
        return body

    def _read_until(self, marker: bytes, start: int) -> int:
        """The index of ``marker`` in the buffer at or after ``start`` (receiving as needed); -1 at EOF."""
        while True:
            found = self._buffer.find(marker, start)
            if found >= 0:
                return found
            data = self._recv()
            if not data:
                return -1
            self._buffer += data

    def _read_chunked(self) -> bytes:
        """The raw chunked body as received: every chunk, the last one and its trailers."""
        position = 0
        while True:
            line_end = self._read_until(b"\r\n", position)
            if line_end < 0:
                break
            size = int(self._buffer[position:line_end].split(b";")[0] or b"0", 16)
            if size == 0:
                end = self._read_until(b"\r\n\r\n", line_end)  # trailers, then an empty line
                position = len(self._buffer) if end < 0 else end + 4
                break
            position = line_end + 2 + size + 2
            while len(self._buffer) < position:
                data = self._recv()
                if not data:
                    break
                self._buffer += data
        body, self._buffer = self._buffer[:position], self._buffer[position:]
        return body

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reset(self) -> None:
        """Drop the connection with a TCP reset."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


Handler = Callable[[Peer], None]


def serve_forever(answer: Callable[[Peer, Request], bool]) -> Handler:
    """A keep-alive handler: ``answer(peer, request)`` per request; False closes."""

    def handler(peer: Peer) -> None:
        while True:
            request = peer.read_request()
            if request is None or not answer(peer, request):
                return

    return handler


class RawServer:
    def __init__(self, handler: Handler, tls: Any = None) -> None:
        self.handler = handler
        self.tls = tls
        self.lock = threading.Lock()
        self.connections = 0
        self.bytes_received = 0
        self.requests: List[Request] = []
        self.peers: List[Peer] = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:  # close() shut the listener down
                self._listener.close()
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(sock, server_side=True)
            except OSError:  # the client refused the certificate
                sock.close()
                return
        peer = Peer(self, sock)
        with self.lock:
            self.peers.append(peer)
        try:
            self.handler(peer)
        except OSError:
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def close(self) -> None:
        """Stop accepting and end every connection. Sockets are shut down here and closed
        by the threads that use them: closing a socket another thread is blocked on frees
        its descriptor number while that thread (and OpenSSL's BIO) still reads from it,
        so a later test's new socket with the same number would lose bytes to it."""
        for sock in [self._listener] + [peer.sock for peer in self._peers_now()]:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _peers_now(self) -> List[Peer]:
        with self.lock:
            return list(self.peers)
