"""Direct HTTP/1.1 connections for requests that go straight to the endpoint (no proxy).

Object storage traffic is many small keep-alive requests plus a few very large bodies.
http.client and urllib3 spend most of a small request's CPU on generic machinery (header
parsing through the ``email`` package, several layers of wrappers); this module does the
same protocol work directly:

* one persistent socket per concurrent request and endpoint, reused LIFO; an idle socket
  the server has closed is noticed before reuse (it polls readable) and replaced;
* the request head and a small body leave in one ``sendall``; large bodies go in 1 MiB
  blocks, file regions with ``sendfile(2)`` over plain HTTP;
* the response head is parsed with plain ``bytes`` operations; ``1xx`` interim responses
  (``100 Continue``) are skipped; bodies are framed by Content-Length, chunked encoding or
  connection close, and ``readinto`` fills the caller's buffer straight from the socket;
* TLS uses an ``ssl.SSLContext`` built by urllib3's own helpers with the session's verify /
  CA bundle / client certificate settings, so certificate handling is urllib3's.

Socket and TLS errors become the SDK's exceptions, as in the urllib3 path.
"""
from __future__ import annotations

import os
import select
import socket
import threading
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ibm_botocore.awsrequest import AWSPreparedRequest, AWSResponse
from ibm_botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    SSLError,
)

_BLOCK = 1024 * 1024
_SMALL_BODY = 64 * 1024
_READ_BUFFER = 64 * 1024
_MAX_LINE = 65536
_MAX_HEADERS = 200


if TYPE_CHECKING:
    import ssl

# ssl is imported with the first https connection, so plain-http clients never load it.
# Until then no TLS socket or TLS error can exist, and these empty tuples match nothing.
_TLS_ERRORS: Tuple[type, ...] = ()
_TLS_SOCKETS: Tuple[type, ...] = ()


def _load_ssl() -> Any:
    global _TLS_ERRORS, _TLS_SOCKETS
    import ssl

    _TLS_ERRORS, _TLS_SOCKETS = (ssl.SSLError,), (ssl.SSLSocket,)
    return ssl


class _ProtocolError(Exception):
    """The peer broke the HTTP protocol or closed the connection mid-message."""


class _Connection:
    """One socket to an endpoint, with a read buffer."""

    __slots__ = ("sock", "rfile", "key")

    def __init__(self, sock: socket.socket, key: Tuple[str, str, int]) -> None:
        self.sock = sock
        self.rfile = sock.makefile("rb", buffering=_READ_BUFFER)
        self.key = key

    def close(self) -> None:
        try:
            self.rfile.close()
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def is_dropped(self) -> bool:
        """An idle keep-alive socket that polls readable was closed by the server."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)


class DirectTransport:
    """Sends requests over pooled direct connections (``URLLib3Session`` without a proxy)."""

    def __init__(self, settings: Any) -> None:
        self._connect_timeout, self._read_timeout = settings._timeouts
        self._max_idle = max(1, int(settings._max_pool_connections))
        self._socket_options = settings._socket_options
        self._settings = settings
        self._idle: Dict[Tuple[str, str, int], List[_Connection]] = {}
        self._lock = threading.Lock()
        self._ssl_context: Optional["ssl.SSLContext"] = None

    # -- connections ---------------------------------------------------------------------
    def _tls_context(self) -> "ssl.SSLContext":
        if self._ssl_context is None:
            from urllib3.util.ssl_ import create_urllib3_context

            ssl = _load_ssl()
            settings = self._settings
            verify = settings._verify
            context = create_urllib3_context(cert_reqs=ssl.CERT_NONE if verify is False else ssl.CERT_REQUIRED)
            if verify is False:
                context.check_hostname = False
            elif isinstance(verify, str):
                if os.path.isdir(verify):
                    context.load_verify_locations(capath=verify)
                else:
                    context.load_verify_locations(cafile=verify)
            else:
                context.load_default_certs()
            if settings._cert_file:
                context.load_cert_chain(settings._cert_file, settings._key_file)
            self._ssl_context = context
        return self._ssl_context

    def _checkout(self, key: Tuple[str, str, int], url: str) -> Tuple[_Connection, bool]:
        with self._lock:
            idle = self._idle.get(key)
            while idle:
                connection = idle.pop()
                if connection.is_dropped():
                    connection.close()
                    continue
                return connection, True
        return self._connect(key, url), False

    def _checkin(self, connection: _Connection) -> None:
        with self._lock:
            idle = self._idle.setdefault(connection.key, [])
            if len(idle) < self._max_idle:
                idle.append(connection)
                return
        connection.close()

    def _connect(self, key: Tuple[str, str, int], url: str) -> _Connection:
        scheme, host, port = key
        # An ASCII name goes to getaddrinfo as bytes: a str would be run through the idna
        # codec (which costs an import and microseconds per connection) for nothing.
        address = host.encode("ascii") if host.isascii() else host
        try:
            sock = socket.create_connection((address, port), timeout=self._connect_timeout)
        except socket.timeout as exc:
            raise ConnectTimeoutError(endpoint_url=url, error=exc)
        except OSError as exc:
            raise EndpointConnectionError(endpoint_url=url, error=exc)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for option in self._socket_options or ():
                sock.setsockopt(*option)
            if scheme == "https":
                sock.settimeout(self._connect_timeout)
                sock = self._tls_context().wrap_socket(sock, server_hostname=host.strip("[]"))
            sock.settimeout(self._read_timeout)
        except _TLS_ERRORS as exc:
            sock.close()
            raise SSLError(endpoint_url=url, error=exc)
        except socket.timeout as exc:
            sock.close()
            raise ConnectTimeoutError(endpoint_url=url, error=exc)
        except OSError as exc:
            sock.close()
            raise EndpointConnectionError(endpoint_url=url, error=exc)
        return _Connection(sock, key)

    def close(self) -> None:
        with self._lock:
            pools, self._idle = self._idle, {}
        for idle in pools.values():
            for connection in idle:
                connection.close()

    # -- one exchange ----------------------------------------------------------------------
    def send(self, request: AWSPreparedRequest, key: Tuple[str, str, int], host_header: str, target: str) -> AWSResponse:
        url = request.url
        headers = request.headers
        head = self._request_head(request.method, target, host_header, headers)
        body = request.body
        connection, reused = self._checkout(key, url)
        try:
            self._write(connection, head, body, headers)
            response = self._read_response(connection, request.method, url)
        except _StaleConnection:
            # The server closed an idle connection just as we reused it: nothing was
            # processed, so send once more on a fresh connection.
            connection.close()
            if not reused or not _rewind(body):
                raise ConnectionClosedError(endpoint_url=url, request=request, error="connection closed by the server")
            connection = self._connect(key, url)
            try:
                self._write(connection, head, body, headers)
                response = self._read_response(connection, request.method, url)
            except BaseException:
                connection.close()
                raise
        except BaseException:
            connection.close()
            raise
        if not request.stream_output:
            response.content
        return response

    @staticmethod
    def _request_head(method: str, target: str, host_header: str, headers: Any) -> bytes:
        # Host and Accept-Encoding come first, as http.client writes them.
        lines = ["%s %s HTTP/1.1\r\n" % (method, target)]
        names = {name.lower() for name in headers}
        if "host" not in names:
            lines.append("Host: %s\r\n" % host_header)
        if "accept-encoding" not in names:
            lines.append("Accept-Encoding: identity\r\n")
        for name, value in headers.items():
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            lines.append("%s: %s\r\n" % (name, value))
        lines.append("\r\n")
        try:
            return "".join(lines).encode("latin-1")
        except UnicodeEncodeError:
            return "".join(lines).encode("utf-8")

    def _write(self, connection: _Connection, head: bytes, body: Any, headers: Any) -> None:
        sock = connection.sock
        chunked = _text(headers.get("Transfer-Encoding", "")).lower() == "chunked"
        try:
            if body is None:
                sock.sendall(head)
            elif isinstance(body, (bytes, bytearray, memoryview)) and not chunked:
                if len(body) <= _SMALL_BODY:
                    sock.sendall(head + bytes(body))
                else:
                    sock.sendall(head)
                    sock.sendall(body)
            elif isinstance(body, str):
                sock.sendall(head + body.encode("utf-8"))
            else:
                sock.sendall(head)
                region = getattr(body, "sendfile_region", None)
                offered = region() if (region is not None and not chunked and not isinstance(sock, _TLS_SOCKETS)) else None
                frames = getattr(body, "iter_frames", None) if offered is None else None
                if offered is not None:
                    _send_region(sock, *offered)
                elif frames is not None:
                    _send_frames(sock, body, frames(), chunked)
                else:
                    _send_stream(sock, body, chunked)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as exc:
            raise _StaleConnection(exc)
        except socket.timeout as exc:
            raise ReadTimeoutError(endpoint_url="", error=exc)

    def _read_response(self, connection: _Connection, method: str, url: str) -> AWSResponse:
        rfile = connection.rfile
        try:
            while True:
                status_line = rfile.readline(_MAX_LINE + 1)
                if not status_line:
                    raise _StaleConnection("no response")
                version, status, _reason = _parse_status(status_line)
                header_list = _read_headers(rfile)
                if status >= 200 or status == 101:
                    break
                # 1xx interim response (100 Continue): its headers are skipped
        except socket.timeout as exc:
            raise ReadTimeoutError(endpoint_url=url, error=exc)
        except _TLS_ERRORS as exc:
            raise SSLError(endpoint_url=url, error=exc)
        except (ConnectionResetError, ConnectionAbortedError) as exc:
            raise _StaleConnection(exc)
        except _ProtocolError as exc:
            raise ConnectionClosedError(endpoint_url=url, error=exc)
        headers: Dict[str, str] = {}
        lower: Dict[str, str] = {}
        for name, value in header_list:
            low = name.lower()
            if low in lower:
                headers[lower[low]] = headers[lower[low]] + ", " + value
            else:
                lower[low] = name
                headers[name] = value
        keep_alive = version == "HTTP/1.1"
        connection_header = headers.get(lower.get("connection", ""), "").lower() if "connection" in lower else ""
        if "close" in connection_header:
            keep_alive = False
        elif "keep-alive" in connection_header:
            keep_alive = True
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            length: Optional[int] = 0
            chunked = False
        else:
            chunked = "chunked" in headers.get(lower.get("transfer-encoding", ""), "").lower() if "transfer-encoding" in lower else False
            length = None
            if not chunked and "content-length" in lower:
                try:
                    length = int(headers[lower["content-length"]])
                except ValueError:
                    raise ConnectionClosedError(endpoint_url=url, error="invalid Content-Length")
            if length is None and not chunked:
                keep_alive = False
        raw = DirectResponse(self, connection, length, chunked, keep_alive, url)
        return AWSResponse(url, status, headers, raw)


class _StaleConnection(Exception):
    pass


def _rewind(body: Any) -> bool:
    if body is None or isinstance(body, (bytes, bytearray, memoryview, str)):
        return True
    start = getattr(body, "_ibm_direct_start", None)
    seek = getattr(body, "seek", None)
    if seek is None or start is None:
        return False
    try:
        seek(start)
        return True
    except (OSError, ValueError):
        return False


class _Fd:
    """Lets socket.sendfile() use a raw descriptor (it waits on EAGAIN for us)."""

    __slots__ = ("_fd",)

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd

    def seek(self, *args: Any) -> None:
        # sendfile() repositions the file afterwards; regions are read by offset
        pass


def _send_region(sock: socket.socket, fd: int, offset: int, count: int, on_sent: Any) -> None:
    sent = sock.sendfile(_Fd(fd), offset, count) if count else 0
    if sent != count:
        raise ConnectionError("request body: the file ended after %d of %d bytes" % (sent, count))
    if on_sent is not None:
        on_sent(sent)


def _remember_start(body: Any) -> None:
    """Where a resend must seek the body back to (see _rewind)."""
    try:
        body._ibm_direct_start = body.tell()
    except Exception:
        pass


def _send_frames(sock: socket.socket, body: Any, frames: Any, chunked: bool) -> None:
    """An aws-chunked body, one HTTP chunk per frame; the frame's data is sent uncopied."""
    _remember_start(body)
    for frame in frames:
        if chunked:
            sock.sendall(b"%x\r\n%s" % (sum(len(piece) for piece in frame), frame[0]))
        else:
            sock.sendall(frame[0])
        for piece in frame[1:]:
            sock.sendall(piece)
        if chunked:
            sock.sendall(b"\r\n")
    if chunked:
        sock.sendall(b"0\r\n\r\n")


def _text(value: Any) -> str:
    """A header value as text (prepared requests hold bytes)."""
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)


def _send_stream(sock: socket.socket, body: Any, chunked: bool) -> None:
    _remember_start(body)
    read = getattr(body, "read_view", None) or body.read  # transfer bodies: no copy
    while True:
        block = read(_BLOCK)
        if not block:
            break
        if isinstance(block, str):
            block = block.encode("utf-8")
        if chunked:
            sock.sendall(b"%x\r\n" % len(block))
            sock.sendall(block)
            sock.sendall(b"\r\n")
        else:
            sock.sendall(block)
    if chunked:
        sock.sendall(b"0\r\n\r\n")


def _parse_status(line: bytes) -> Tuple[str, int, str]:
    if len(line) > _MAX_LINE:
        raise _ProtocolError("status line too long")
    parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise _ProtocolError("bad status line %r" % line[:80])
    try:
        status = int(parts[1])
    except ValueError:
        raise _ProtocolError("bad status code %r" % parts[1])
    return parts[0], status, parts[2] if len(parts) > 2 else ""


def _read_headers(rfile: Any) -> List[Tuple[str, str]]:
    headers: List[Tuple[str, str]] = []
    while True:
        line = rfile.readline(_MAX_LINE + 1)
        if not line:
            raise _ProtocolError("connection closed inside the response head")
        if line in (b"\r\n", b"\n"):
            return headers
        if len(line) > _MAX_LINE or len(headers) > _MAX_HEADERS:
            raise _ProtocolError("response head too large")
        if line[0] in (32, 9) and headers:  # obsolete folded continuation line
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip().decode("latin-1"))
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            raise _ProtocolError("bad header line %r" % line[:80])
        headers.append((name.strip().decode("latin-1"), value.strip().decode("latin-1")))


class DirectResponse:
    """The body of a direct response: a readable, ``readinto``-capable stream.

    The connection goes back to the pool when the body has been read completely (or
    is closed before that, in which case the connection is dropped).
    """

    def __init__(self, transport: DirectTransport, connection: _Connection, length: Optional[int], chunked: bool, keep_alive: bool, url: str) -> None:
        self._transport = transport
        self._connection: Optional[_Connection] = connection
        self._remaining = length  # None: until close (or chunked)
        self._chunked = chunked
        self._chunk_left = 0
        self._keep_alive = keep_alive
        self._url = url
        self._done = False
        if length == 0 and not chunked:
            self._finish()

    # urllib3-like surface used by StreamingBody and the transfer code
    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self._connection is None

    def release_conn(self) -> None:
        if not self._done:
            self._drop()

    def close(self) -> None:
        if not self._done:
            self._drop()

    def stream(self, amt: int = 65536):
        while True:
            data = self.read(amt)
            if not data:
                return
            yield data

    def read(self, amt: Optional[int] = None) -> bytes:
        if self._done:
            return b""
        if amt is None or amt < 0:
            parts = []
            while True:
                data = self.read(_BLOCK)
                if not data:
                    return b"".join(parts)
                parts.append(data)
        buffer = bytearray(amt)
        count = self.readinto(buffer)
        if count == amt:
            return bytes(buffer)
        return bytes(memoryview(buffer)[:count])

    def readinto(self, buffer: Any) -> int:
        if self._done or self._connection is None:
            return 0
        view = memoryview(buffer).cast("B")
        if not len(view):
            return 0
        try:
            if self._chunked:
                return self._readinto_chunked(view)
            return self._readinto_plain(view)
        except socket.timeout as exc:
            self._drop()
            raise ReadTimeoutError(endpoint_url=self._url, error=exc)
        except (OSError, _ProtocolError, ValueError) as exc:
            self._drop()
            from ibm_botocore.exceptions import ResponseStreamingError

            raise ResponseStreamingError(error=exc)

    def _readinto_plain(self, view: memoryview) -> int:
        assert self._connection is not None
        want = len(view)
        if self._remaining is not None:
            want = min(want, self._remaining)
        count = self._connection.rfile.readinto(view[:want])
        if not count:
            if self._remaining:
                raise _ProtocolError("connection closed with %d body bytes outstanding" % self._remaining)
            self._keep_alive = False
            self._finish()
            return 0
        if self._remaining is not None:
            self._remaining -= count
            if self._remaining == 0:
                self._finish()
        return count

    def _readinto_chunked(self, view: memoryview) -> int:
        assert self._connection is not None
        rfile = self._connection.rfile
        if self._chunk_left == 0:
            line = rfile.readline(_MAX_LINE + 1)
            if not line:
                raise _ProtocolError("connection closed inside a chunked body")
            size_text = line.split(b";", 1)[0].strip()
            size = int(size_text, 16)
            if size == 0:
                # trailers, then the blank line
                _read_headers(rfile)
                self._finish()
                return 0
            self._chunk_left = size
        want = min(len(view), self._chunk_left)
        count = rfile.readinto(view[:want])
        if not count:
            raise _ProtocolError("connection closed inside a chunk")
        self._chunk_left -= count
        if self._chunk_left == 0:
            if rfile.read(2) != b"\r\n":
                raise _ProtocolError("chunk not followed by CRLF")
        return count

    def _finish(self) -> None:
        self._done = True
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._keep_alive:
            self._transport._checkin(connection)
        else:
            connection.close()

    def _drop(self) -> None:
        self._done = True
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
