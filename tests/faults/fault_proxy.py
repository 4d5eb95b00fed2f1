"""A loopback HTTP/1.1 proxy that sits between a client and a server and misbehaves on cue.

The client talks to ``proxy.endpoint``; every request goes to the upstream server on a
fresh connection and the answer comes back, unless a :class:`Rule` matches it first:

* ``reset-request``  read ``after`` bytes of the request body, then reset the connection;
* ``reset-response`` send the response head and ``after`` body bytes, then reset;
* ``stall``          wait ``delay`` seconds before answering (the client's timeout fires);
* ``status``         answer ``status`` with an S3 error ``code`` (and ``Retry-After``)
  without asking upstream;
* ``short``          send the response with its full Content-Length but only ``after``
  body bytes, then close cleanly;
* ``flip``           flip the byte at ``offset`` of the response body;
* ``headers``        drop (``None``) or replace response headers.

Rules match on method and a regular expression over the request target, fire ``times``
times (None: always) and count their ``hits``. ``Expect: 100-continue`` is answered by the
proxy itself. Everything runs in daemon threads on 127.0.0.1; the proxy never buffers a
body in full (64 KiB blocks).
"""
from __future__ import annotations

import re
import socket
import struct
import threading
import time
from typing import Dict, List, Optional, Tuple

BLOCK = 64 * 1024


class Rule:
    def __init__(self, action: str, method: Optional[str] = None, path: Optional[str] = None, times: Optional[int] = 1,
                 after: int = 0, offset: int = 0, status: int = 503, code: str = "SlowDown",
                 retry_after: Optional[str] = None, delay: float = 0.0,
                 headers: Optional[Dict[str, Optional[str]]] = None) -> None:
        self.action = action
        self.method = method
        self.path = re.compile(path) if path else None
        self.times = times
        self.after = after
        self.offset = offset
        self.status = status
        self.code = code
        self.retry_after = retry_after
        self.delay = delay
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.hits = 0

    def matches(self, method: str, target: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method and self.method != method:
            return False
        return self.path is None or bool(self.path.search(target))


class _Closed(Exception):
    pass


def _read_head(sock: socket.socket, buffer: bytearray) -> Optional[bytes]:
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            head = bytes(buffer[: end + 4])
            del buffer[: end + 4]
            return head
        if len(buffer) > 256 * 1024:
            raise _Closed("head too large")
        data = sock.recv(BLOCK)
        if not data:
            return None
        buffer += data


def _headers(head: bytes) -> Tuple[str, List[Tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    fields = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            fields.append((name.strip(), value.strip()))
    return lines[0], fields


def _get(fields: List[Tuple[str, str]], name: str) -> Optional[str]:
    for key, value in fields:
        if key.lower() == name:
            return value
    return None


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class _Body:
    """Reads a message body (Content-Length or chunked) from a socket + leftover buffer."""

    def __init__(self, sock: socket.socket, buffer: bytearray, fields: List[Tuple[str, str]], has_body: bool = True,
                 request: bool = False) -> None:
        self.sock = sock
        self.buffer = buffer
        length = _get(fields, "content-length")
        self.chunked = has_body and "chunked" in (_get(fields, "transfer-encoding") or "").lower()
        self.remaining = int(length) if (has_body and length is not None and not self.chunked) else 0
        # a request without Content-Length has no body; a response runs until the close
        self.until_close = has_body and length is None and not self.chunked and not request

    def _fill(self) -> bool:
        data = self.sock.recv(BLOCK)
        if not data:
            return False
        self.buffer += data
        return True

    def blocks(self):
        """Raw bytes of the body as they are on the wire (chunk framing included)."""
        if self.chunked:
            while True:
                while b"\r\n" not in self.buffer:
                    if not self._fill():
                        raise _Closed("chunked body cut")
                line_end = self.buffer.index(b"\r\n") + 2
                size = int(bytes(self.buffer[:line_end]).split(b";")[0].strip() or b"0", 16)
                need = line_end + size + 2
                if size == 0:
                    while b"\r\n\r\n" not in self.buffer[line_end - 2 :]:
                        if not self._fill():
                            raise _Closed("trailer cut")
                    end = self.buffer.index(b"\r\n\r\n", line_end - 2) + 4
                    yield bytes(self.buffer[:end])
                    del self.buffer[:end]
                    return
                while len(self.buffer) < need:
                    if not self._fill():
                        raise _Closed("chunk cut")
                yield bytes(self.buffer[:need])
                del self.buffer[:need]
        while self.remaining > 0 or self.until_close:
            if not self.buffer and not self._fill():
                if self.until_close:
                    return
                raise _Closed("body cut")
            take = len(self.buffer) if self.until_close else min(len(self.buffer), self.remaining)
            data = bytes(self.buffer[:take])
            del self.buffer[:take]
            self.remaining -= take
            yield data


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.rules: List[Rule] = []
        self.log: List[Tuple[str, str, str]] = []  # (method, target, what happened)
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    # -- rules ---------------------------------------------------------------------------
    def add(self, action: str, **kwargs) -> Rule:
        rule = Rule(action, **kwargs)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.log.clear()

    def _take(self, method: str, target: str) -> Optional[Rule]:
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, target):
                    rule.hits += 1
                    return rule
        return None

    def close(self) -> None:
        # shut down, not closed here: the accept thread is blocked on it (see _accept)
        self._closed = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- serving -------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                break
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()
        # Closed by this thread only: a descriptor closed while another thread is blocked
        # on it can be reused by a later test's socket while that thread still holds it.
        self._listener.close()

    def _serve(self, client: socket.socket) -> None:
        buffer = bytearray()
        try:
            while True:
                head = _read_head(client, buffer)
                if head is None:
                    break
                if not self._exchange(client, head, buffer):
                    break
        except (OSError, _Closed, ValueError):
            pass
        finally:
            try:
                client.close()
            except OSError:
                pass

    def _exchange(self, client: socket.socket, head: bytes, buffer: bytearray) -> bool:
        """One request/response; False when the client connection must end."""
        request_line, fields = _headers(head)
        method, target = request_line.split(" ")[0], request_line.split(" ")[1]
        rule = self._take(method, target)
        action = rule.action if rule else "pass"
        with self._lock:
            self.log.append((method, target, action))
        if (_get(fields, "expect") or "").lower() == "100-continue":
            client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            fields = [(k, v) for k, v in fields if k.lower() != "expect"]
        body = _Body(client, buffer, fields, request=True)
        if action == "reset-request":
            seen = 0
            for block in body.blocks():
                seen += len(block)
                if seen >= rule.after:  # type: ignore[union-attr]
                    break
            _reset(client)
            return False
        if action == "status":
            for _ in body.blocks():
                pass
            payload = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>injected</Message>'
                       "<RequestId>FAULT</RequestId></Error>" % rule.code).encode()  # type: ignore[union-attr]
            extra = "Retry-After: %s\r\n" % rule.retry_after if rule.retry_after else ""  # type: ignore[union-attr]
            out = ("HTTP/1.1 %d Injected\r\nContent-Type: application/xml\r\n%sContent-Length: %d\r\n"
                   "x-amz-request-id: FAULT\r\n\r\n" % (rule.status, extra, 0 if method == "HEAD" else len(payload))).encode()  # type: ignore[union-attr]
            client.sendall(out + (b"" if method == "HEAD" else payload))
            return True
        upstream = socket.create_connection(self.upstream, timeout=30)
        try:
            lines = [request_line] + ["%s: %s" % (k, v) for k, v in fields if k.lower() != "connection"]
            upstream.sendall(("\r\n".join(lines) + "\r\nConnection: close\r\n\r\n").encode("latin-1"))
            for block in body.blocks():
                upstream.sendall(block)
            up_buffer = bytearray()
            while True:
                response_head = _read_head(upstream, up_buffer)
                if response_head is None:
                    raise _Closed("upstream closed")
                status_line, response_fields = _headers(response_head)
                status = int(status_line.split(" ")[1])
                if status >= 200:
                    break
            if action == "stall":
                time.sleep(rule.delay)  # type: ignore[union-attr]
            has_body = method != "HEAD" and status not in (204, 304)
            response_body = _Body(upstream, up_buffer, response_fields, has_body)
            if action == "headers":
                replaced = rule.headers  # type: ignore[union-attr]
                kept = [(k, v) for k, v in response_fields if k.lower() not in replaced]
                kept += [(k, v) for k, v in replaced.items() if v is not None]
                response_fields = kept
            close_after = response_body.until_close
            out_fields = [(k, v) for k, v in response_fields if k.lower() != "connection"]
            if close_after:
                out_fields.append(("Connection", "close"))
            client.sendall(("\r\n".join([status_line] + ["%s: %s" % kv for kv in out_fields]) + "\r\n\r\n").encode("latin-1"))
            sent = 0
            for block in response_body.blocks():
                if action == "flip" and sent <= rule.offset < sent + len(block):  # type: ignore[union-attr]
                    position = rule.offset - sent  # type: ignore[union-attr]
                    block = block[:position] + bytes([block[position] ^ 0xFF]) + block[position + 1 :]
                if action in ("reset-response", "short") and sent + len(block) >= rule.after:  # type: ignore[union-attr]
                    client.sendall(block[: max(0, rule.after - sent)])  # type: ignore[union-attr]
                    if action == "reset-response":
                        _reset(client)
                    else:
                        client.shutdown(socket.SHUT_RDWR)
                    return False
                client.sendall(block)
                sent += len(block)
            if action in ("reset-response", "short") and has_body:
                # the body was shorter than ``after``: cut at the end instead
                if action == "reset-response":
                    _reset(client)
                return False
            return not close_after
        finally:
            upstream.close()
