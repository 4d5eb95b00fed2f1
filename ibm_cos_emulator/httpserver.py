"""A threaded HTTP/1.1 server (keep-alive, 100-continue) that feeds :class:`EmulatorApp`.

It reads whole request bodies (Content-Length or chunked), writes responses with an exact
Content-Length, and can damage a response on the wire (drop the connection, cut the body)
when a fault asks for it. Query strings are never logged: presigned URLs carry signatures.
"""
from __future__ import annotations

import logging
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from typing import Any, Set

from .wire import Headers, Request, Response, reason_phrase

log = logging.getLogger("ibm_cos_emulator.http")
MAX_BODY = 5 * 1024 ** 3
_QUERY = re.compile(r"\?[^\s'\"]*")


class _BadRequest(Exception):
    pass


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ibm-cos-emulator"
    sys_version = ""
    timeout = 300  # idle keep-alive connections are closed after this many seconds
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: "EmulatorHTTPServer"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    # every method goes through one dispatcher
    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._dispatch()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = do_GET

    def _read_some(self, count: int) -> None:
        try:
            if count > 0:
                self.rfile.read(count)
        except (ConnectionError, socket.timeout, OSError):
            pass

    def _read_body(self) -> bytes:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            parts = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise _BadRequest("incomplete chunked body")
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise _BadRequest("bad chunk size") from None
                if size == 0:
                    while True:  # trailer section
                        trailer = self.rfile.readline(65537)
                        if trailer in (b"\r\n", b"\n", b""):
                            break
                    break
                total += size
                if total > MAX_BODY:
                    raise _BadRequest("body too large")
                parts.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(parts)
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            raise _BadRequest("bad Content-Length") from None
        if length < 0 or length > MAX_BODY:
            raise _BadRequest("bad Content-Length")
        data = self.rfile.read(length)
        if len(data) != length:
            raise _BadRequest("incomplete body")
        return data

    def _dispatch(self) -> None:
        headers = Headers(self.headers.items())
        probe = Request(self.command, self.path, headers, b"", client=self.client_address[:2])
        rule = self.server.app.upload_fault(probe)
        if rule is not None:
            self._read_some(rule.after_bytes or 0)
            self._abort()
            return
        try:
            body = self._read_body()
        except _BadRequest as exc:
            self.close_connection = True
            self._send(Response(400, body=str(exc).encode()), "GET")
            return
        except (ConnectionError, socket.timeout):
            self.close_connection = True
            return
        req = Request(self.command, self.path, headers, body, client=self.client_address[:2])
        resp = self.server.app.handle(req)
        log.debug("%s %s -> %s", req.method, req.path, resp.status)
        self._send(resp, req.method, req.request_id)

    def _send(self, resp: Response, method: str, request_id: str = "") -> None:
        fault = resp.wire_fault
        if fault is not None and fault.kind == "drop":
            self._abort()
            return
        self.send_response(resp.status, reason_phrase(resp.status))
        for name, value in resp.headers.items():
            if name.lower() in ("content-length", "connection", "transfer-encoding", "server", "date"):
                continue
            self.send_header(name, value)
        if method == "HEAD":
            length = resp.content_length if resp.content_length is not None else len(resp.body)
            body = b""
        else:
            length = len(resp.body)
            body = resp.body
        if resp.status >= 200 and resp.status not in (204, 304):
            self.send_header("Content-Length", str(length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if fault is not None and fault.kind == "cut":
            self.wfile.write(body[: fault.after_bytes])
            self.wfile.flush()
            self._abort()
            return
        if body:
            self.wfile.write(body)
        self.wfile.flush()

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

    def version_string(self) -> str:
        return self.server_version

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass  # _dispatch logs method, path and status without the query string

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base-class signature
        # request lines may carry presigned-URL signatures in the query string: drop queries
        log.debug("%s - %s", self.address_string(), _QUERY.sub("?...", format % args))


class EmulatorHTTPServer(ThreadingMixIn, HTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, host: str, port: int, app: Any) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.app = app
        self._conns: Set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__((host, port), EmulatorHandler)

    def track(self, conn: socket.socket) -> None:
        with self._conns_lock:
            self._conns.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._conns_lock:
            self._conns.discard(conn)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

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

