"""A threaded HTTP/1.1 server (keep-alive, 100-continue) that feeds :class:`EmulatorApp`.

What it defends against, in order of a request's life:

* **Too many connections**: at most ``max_connections`` are served at once; more are answered
  ``503 SlowDown`` and closed without a thread.
* **Slow or endless headers**: the request line and headers must arrive within
  ``header_timeout`` seconds of the first byte (a watchdog closes the socket: a byte-by-byte
  drip cannot extend it), in at most 64 KiB and 100 header lines. An idle keep-alive
  connection is closed after ``idle_timeout`` seconds.
* **Ambiguous framing**: ``Transfer-Encoding`` must be exactly ``chunked``; a request with both
  ``Transfer-Encoding`` and ``Content-Length``, or with conflicting lengths, is 400 and the
  connection closes.
* **Bodies before authentication**: the app authenticates from the headers first
  (:meth:`EmulatorApp.begin`); a refused request is answered without reading its body (the
  connection then closes), and ``100 Continue`` is sent only to callers let through. A declared
  SHA-256 payload hash is computed while the body is read; bodies above ``SPOOL_ABOVE`` go to a
  temporary file, which the engine reads from directly.

Responses carry an exact Content-Length and can be damaged on the wire when a fault asks for it.
Request lines are logged at INFO level without their query strings (presigned URLs carry
signatures there).
"""
from __future__ import annotations

import hashlib
import logging
import socket
import tempfile
import threading
import time
from socketserver import TCPServer, ThreadingMixIn
from socketserver import StreamRequestHandler
from typing import Any, Dict, List, Tuple

from .wire import Headers, Request, Response, reason_phrase

log = logging.getLogger("ibm_cos_emulator.http")
MAX_BODY = 5 * 1024 ** 3
MAX_LINE = 16 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 100
READ_BLOCK = 1024 * 1024
SPOOL_ABOVE = 1024 * 1024  # bodies larger than this are read to a temporary file
SKIP_UNREAD_LIMIT = 8 * 1024 * 1024  # after an early refusal, discard at most this much before closing


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _shutdown_all(conns: List[socket.socket]) -> None:
    for conn in conns:
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Watchdog:
    """Closes connections whose deadline (idle wait or header read) has passed."""

    def __init__(self) -> None:
        self._deadlines: Dict[socket.socket, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ibm-cos-emulator-watchdog", daemon=True)
        self._thread.start()

    def arm(self, conn: socket.socket, seconds: float) -> None:
        with self._lock:
            self._deadlines[conn] = time.monotonic() + seconds

    def disarm(self, conn: socket.socket) -> None:
        with self._lock:
            self._deadlines.pop(conn, None)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            now = time.monotonic()
            with self._lock:
                late = [c for c, when in self._deadlines.items() if when <= now]
                for conn in late:
                    del self._deadlines[conn]
            _shutdown_all(late)

    def stop(self) -> None:
        self._stop.set()


class EmulatorHandler(StreamRequestHandler):
    """One connection: requests are read, authenticated, answered, one after the other."""

    server: "EmulatorHTTPServer"
    rbufsize = 64 * 1024
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.body_timeout)
        self.close_connection = False

    # -- the connection loop ------------------------------------------------------------------------
    def handle(self) -> None:
        conn = self.connection
        watchdog = self.server.watchdog
        try:
            while not self.close_connection:
                watchdog.arm(conn, self.server.idle_timeout)
                try:
                    first = self.rfile.readline(MAX_LINE + 1)
                    if first in (b"\r\n", b"\n"):  # one stray CRLF between requests is tolerated
                        first = self.rfile.readline(MAX_LINE + 1)
                    if not first:
                        return
                    watchdog.arm(conn, self.server.header_timeout)
                    method, target, version, headers = self._read_head(first)
                finally:
                    watchdog.disarm(conn)
                self._one_request(method, target, version, headers)
        except _BadRequest as exc:
            self.close_connection = True
            self._send_plain(exc.status, str(exc))
        except (ConnectionError, socket.timeout, OSError, ValueError):
            return

    def _read_head(self, first: bytes) -> Tuple[str, str, str, Headers]:
        if len(first) > MAX_LINE or not first.endswith(b"\n"):
            raise _BadRequest("request line too long", 414)
        parts = first.decode("latin-1").strip().split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest("bad request line")
        method, target, version = parts
        headers = Headers()
        total = len(first)
        count = 0
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            total += len(line)
            if not line:
                raise ConnectionError("connection closed in the headers")
            if total > MAX_HEADER_BYTES or len(line) > MAX_LINE:
                raise _BadRequest("request headers too large", 431)
            if line in (b"\r\n", b"\n"):
                break
            if line[:1] in (b" ", b"\t"):
                raise _BadRequest("obsolete header line folding")
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep or not name or name != name.strip():
                raise _BadRequest("bad header line")
            headers.add(name, value.strip())
            count += 1
            if count > MAX_HEADERS:
                raise _BadRequest("too many headers", 431)
        return method.upper(), target, version, headers

    @staticmethod
    def _framing(headers: Headers) -> Tuple[bool, int]:
        """(chunked, content length) under strict rules."""
        te = [v for k, v in headers.items() if k.lower() == "transfer-encoding"]
        cl = [v for k, v in headers.items() if k.lower() == "content-length"]
        if te and cl:
            raise _BadRequest("Transfer-Encoding and Content-Length together")
        if te:
            if len(te) != 1 or te[0].strip().lower() != "chunked":
                raise _BadRequest("unsupported Transfer-Encoding", 501)
            return True, -1
        if not cl:
            return False, 0
        values = {v.strip() for v in cl}
        if len(values) != 1:
            raise _BadRequest("conflicting Content-Length values")
        text = values.pop()
        if not text.isdigit():
            raise _BadRequest("bad Content-Length")
        length = int(text)
        if length > MAX_BODY:
            raise _BadRequest("body too large", 413)
        return False, length

    def _one_request(self, method: str, target: str, version: str, headers: Headers) -> None:
        chunked, length = self._framing(headers)
        connection = (headers.get("connection") or "").lower()
        if version == "HTTP/1.0":
            self.close_connection = "keep-alive" not in connection
        elif "close" in connection:
            self.close_connection = True
        req = Request(method, target, headers, b"", client=self.client_address[:2])
        app = self.server.app
        early = app.begin(req)
        if early is not None:
            # refused (or an upload fault) before the body: never read it, never keep the connection
            self.close_connection = True
            if early.wire_fault is not None and early.wire_fault.kind == "drop-upload":
                self._discard(min(early.wire_fault.after_bytes, length if not chunked else early.wire_fault.after_bytes))
                self._abort()
                return
            self._log(req, early)
            self._send(early, method)
            self._lingering_close(length if not chunked else SKIP_UNREAD_LIMIT)
            return
        if (headers.get("expect") or "").lower() == "100-continue" and version != "HTTP/1.0":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        hasher = hashlib.sha256() if len(headers.get("x-amz-content-sha256") or "") == 64 else None
        if chunked:
            req.body = self._read_chunked(hasher)
        elif length > SPOOL_ABOVE:
            req.attach_body_file(self._read_to_file(length, hasher), length)
        else:
            req.body = self._read_exact(length, hasher)
        if hasher is not None:
            req.body_sha256 = hasher.hexdigest()
        resp = app.handle(req)
        self._log(req, resp)
        self._send(resp, method)

    # -- bodies ---------------------------------------------------------------------------------------
    def _read_exact(self, length: int, hasher: Any) -> bytes:
        if length == 0:
            return b""
        buf = bytearray(length)
        view = memoryview(buf)
        pos = 0
        while pos < length:
            got = self.rfile.readinto(view[pos:pos + READ_BLOCK])
            if not got:
                raise ConnectionError("incomplete body")
            if hasher is not None:
                hasher.update(view[pos:pos + got])
            pos += got
        return bytes(buf)

    def _read_to_file(self, length: int, hasher: Any) -> Any:
        """A large body goes to a temporary file (what stays in memory is one block)."""
        spool = tempfile.TemporaryFile(prefix="ibm-cos-emulator-body-")
        block = bytearray(min(length, READ_BLOCK))
        view = memoryview(block)
        left = length
        try:
            while left:
                got = self.rfile.readinto(view[:min(left, len(block))])
                if not got:
                    raise ConnectionError("incomplete body")
                if hasher is not None:
                    hasher.update(view[:got])
                spool.write(view[:got])
                left -= got
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool

    def _read_chunked(self, hasher: Any) -> bytes:
        parts: List[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            if not line.endswith(b"\n"):
                raise _BadRequest("incomplete chunked body")
            size_text = line.split(b";", 1)[0].strip()
            if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
                raise _BadRequest("bad chunk size")
            size = int(size_text, 16)
            if size == 0:
                trailer_bytes = 0
                while True:  # trailer section
                    trailer = self.rfile.readline(MAX_LINE + 1)
                    trailer_bytes += len(trailer)
                    if trailer in (b"\r\n", b"\n", b"") or trailer_bytes > MAX_HEADER_BYTES:
                        break
                break
            total += size
            if total > MAX_BODY:
                raise _BadRequest("body too large", 413)
            chunk = self._read_exact(size, hasher)
            parts.append(bytes(chunk))
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _BadRequest("bad chunk terminator")
        return b"".join(parts)

    def _discard(self, count: int) -> None:
        try:
            while count > 0:
                got = self.rfile.read(min(count, READ_BLOCK))
                if not got:
                    return
                count -= len(got)
        except (ConnectionError, socket.timeout, OSError):
            pass

    def _lingering_close(self, unread: int) -> None:
        """Half-close after an early answer, and discard a little of the unread body so the
        client can read the answer instead of a connection reset."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(1.0)
        except OSError:
            return
        self._discard(min(max(unread, 0), SKIP_UNREAD_LIMIT))

    # -- responses ------------------------------------------------------------------------------------
    def _send(self, resp: Response, method: str) -> None:
        fault = resp.wire_fault
        if fault is not None and fault.kind == "drop":
            self._abort()
            return
        out = [f"HTTP/1.1 {resp.status} {reason_phrase(resp.status)}\r\n",
               "Server: ibm-cos-emulator\r\n",
               f"Date: {_http_date()}\r\n"]
        for name, value in resp.headers.items():
            if name.lower() in ("content-length", "connection", "transfer-encoding", "server", "date"):
                continue
            out.append(f"{name}: {value}\r\n")
        if method == "HEAD":
            length = resp.content_length if resp.content_length is not None else len(resp.body)
            body = b""
        else:
            length = len(resp.body)
            body = resp.body
        if resp.status >= 200 and resp.status not in (204, 304):
            out.append(f"Content-Length: {length}\r\n")
        if self.close_connection:
            out.append("Connection: close\r\n")
        out.append("\r\n")
        head = "".join(out).encode("latin-1", "replace")
        if fault is not None and fault.kind == "cut":
            self.wfile.write(head + body[: fault.after_bytes])
            self.wfile.flush()
            self._abort()
            return
        if len(body) <= 65536:
            self.wfile.write(head + body)  # one send for small answers
        else:
            self.wfile.write(head)
            self.wfile.write(body)
        self.wfile.flush()

    def _send_plain(self, status: int, message: str) -> None:
        try:
            self._send(Response(status, body=message.encode("utf-8")), "GET")
        except OSError:
            pass

    def _abort(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    @staticmethod
    def _log(req: Request, resp: Response) -> None:
        if log.isEnabledFor(logging.INFO):
            log.info("%s %s -> %s", req.method, req.path, resp.status)  # never the query (signatures)


def _http_date() -> str:
    from email.utils import formatdate

    return formatdate(usegmt=True)


class EmulatorHTTPServer(ThreadingMixIn, TCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, app: Any, max_connections: int = 256,
                 header_timeout: float = 30.0, idle_timeout: float = 120.0, body_timeout: float = 60.0) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.app = app
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self.idle_timeout = idle_timeout
        self.body_timeout = body_timeout
        self.watchdog = _Watchdog()
        self._conns: set = set()
        self._conns_lock = threading.Lock()
        super().__init__((host, port), EmulatorHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            full = len(self._conns) >= self.max_connections
            if not full:
                self._conns.add(request)
        if full:
            try:
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._conns_lock:
                self._conns.discard(request)
            self.watchdog.disarm(request)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        _shutdown_all(conns)

    def server_close(self) -> None:
        self.watchdog.stop()
        super().server_close()

    @property
    def connection_count(self) -> int:
        with self._conns_lock:
            return len(self._conns)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection error from %s", client_address, exc_info=True)


def serve_in_thread(server: EmulatorHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="ibm-cos-emulator", daemon=True)
    thread.start()
    return thread


def bound_port(server: EmulatorHTTPServer) -> int:
    return int(server.server_address[1])


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
