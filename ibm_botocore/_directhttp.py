"""Direct HTTP/1.1 connections for requests that go straight to the endpoint (no proxy).

Object storage traffic is many small keep-alive requests plus a few very large bodies.
http.client and urllib3 spend most of a small request's CPU on generic machinery (header
parsing through the ``email`` package, several layers of wrappers); this module does the
same protocol work directly, and treats the server as untrusted:

* one persistent socket per concurrent request and endpoint, reused LIFO. A connection
  goes back to the pool only when its response was framed exactly and nothing beyond it
  arrived; an idle one that polls readable (closed by the server, or unasked-for bytes)
  is replaced. ``poll()``, so any descriptor number works;
* the request head is checked once more before it is written (no CR/LF/NUL smuggled into
  a header, see ``ibm_botocore._headercheck``); it and a small body leave in one
  ``sendall``. Bodies over 1 MiB (or of unknown length) with ``Expect: 100-continue``
  wait up to 1 s for ``100 Continue`` or an early final answer; smaller ones follow the
  head at once (no round trip per small upload). Bodies go in 1 MiB blocks, file
  regions with ``sendfile(2)`` over plain HTTP;
* responses are read through the connection's own receive buffer: the head is found and
  parsed in linear time, bounded in bytes and lines (folded lines included), with a
  three-digit status from 100 to 599; ``1xx`` interim responses are skipped (a bounded
  number); bodies are framed by Content-Length, chunked encoding (bounded trailers) or
  connection close, and ``readinto`` fills the caller's buffer straight from the socket;
* after an error answer to a request that carried a body the connection is closed (the
  server may have left the body unread);
* TLS uses the session's one ``ssl.SSLContext`` (``ibm_botocore.tls.TLSSettings``: verify,
  CA bundle file or directory, client certificate), the same one the urllib3 path uses.

Socket and TLS errors become the SDK's public exceptions, as on the urllib3 path.
"""
from __future__ import annotations

import select
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Type

from ibm_botocore._headercheck import _GOOD_NAMES, bad_name, first_bad_header, refuse_headers
from ibm_botocore._transport import TransportSettings, short_file
from ibm_botocore.awsrequest import AWSPreparedRequest, AWSResponse, HeadersDict
from ibm_botocore.context import Frame, FramedBody, SendfileBody, ViewReadableBody, offers
from ibm_botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
    UnseekableStreamError,
)

_BLOCK = 1024 * 1024
_SMALL_BODY = 64 * 1024
_READ_BUFFER = 64 * 1024
_MAX_LINE = 65536
# A response head (status line and headers, folded lines included) and a chunked body's
# trailers: at most this many bytes and lines. S3 heads are a few KiB.
_MAX_HEAD = 256 * 1024
_MAX_HEADERS = 256
# At most this many interim (1xx) heads before the final one.
_MAX_INTERIM = 16
# How long to wait for "100 Continue" (or an early final answer) before sending the body
# anyway, as http.client-based clients do.
_CONTINUE_TIMEOUT = 1.0
# Bodies of a known length up to this size go out right behind the head even with
# ``Expect: 100-continue``, as RFC 9110 allows: waiting would cost a round trip per small
# upload, and so little is sent in vain if the server rejects it.
_CONTINUE_WAIT_MIN = 1024 * 1024
_POLL_READ = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


if TYPE_CHECKING:
    import ssl

# ssl is imported with the first https connection, so plain-http clients never load it.
# Until then no TLS socket or TLS error can exist, and these empty tuples match nothing.
_TLS_ERRORS: Tuple[Type[BaseException], ...] = ()
_TLS_SOCKETS: Tuple[type, ...] = ()


def _load_ssl() -> Any:
    global _TLS_ERRORS, _TLS_SOCKETS
    import ssl

    _TLS_ERRORS, _TLS_SOCKETS = (ssl.SSLError,), (ssl.SSLSocket,)
    return ssl


class _ProtocolError(Exception):
    """The peer broke the HTTP protocol or closed the connection mid-message."""


class _NoResponse(Exception):
    """The connection ended before a single byte of a response arrived."""


class _Connection:
    """One socket to an endpoint, with the bytes received but not yet consumed.

    The read buffer is ours (not a ``BufferedReader``) so that what is left over after a
    response is always known: a connection goes back to the pool only when its response
    ended exactly where the received bytes do.
    """

    __slots__ = ("sock", "buf", "pos", "key", "tls")

    def __init__(self, sock: socket.socket, key: Tuple[str, str, int]) -> None:
        self.sock = sock
        # bytes as received (no copy) while one recv holds what is unread; a bytearray
        # (amortized appends) once a message spans several receives
        self.buf: Any = b""
        self.pos = 0
        self.key = key
        self.tls = isinstance(sock, _TLS_SOCKETS)

    def close(self) -> None:
        self.buf = b""
        self.pos = 0
        try:
            self.sock.close()
        except OSError:
            pass

    def buffered(self) -> int:
        return len(self.buf) - self.pos

    def fill(self) -> bool:
        """Receive more bytes into the buffer; False at the end of the stream."""
        return self._absorb(self.sock.recv(_READ_BUFFER))

    def _absorb(self, data: bytes) -> bool:
        if not data:
            return False
        buf, pos = self.buf, self.pos
        if pos == len(buf):
            self.buf, self.pos = data, 0
        elif type(buf) is bytearray:
            buf += data
        else:
            grown = bytearray(memoryview(buf)[pos:])
            grown += data
            self.buf, self.pos = grown, 0
        return True

    def readline(self, limit: int) -> bytes:
        """One line (with its LF) of at most ``limit`` bytes; b"" at the end of the stream."""
        pos = self.pos
        end = self.buf.find(b"\n", pos)
        while end < 0:
            seen = len(self.buf) - self.pos
            if seen > limit:
                raise _ProtocolError("line too long")
            if not self.fill():
                return b""
            pos = self.pos
            end = self.buf.find(b"\n", pos + seen)
        if end + 1 - pos > limit:
            raise _ProtocolError("line too long")
        self.pos = end + 1
        return bytes(self.buf[pos:end + 1])

    def read_head(self) -> List[str]:
        """The lines of one message head (status line first), without line endings.

        Bounded in bytes and in lines, folded lines included, and linear: each received
        byte is searched once, so a hostile server cannot make it quadratic.
        """
        seen = 0
        while True:
            buf, pos = self.buf, self.pos
            scan = pos + seen - 3 if seen > 3 else pos
            end = buf.find(b"\r\n\r\n", scan)
            if end >= 0:
                stop = end + 4
                break
            end = buf.find(b"\n\n", scan)
            if end >= 0:
                stop = end + 2
                break
            seen = len(buf) - pos
            if seen > _MAX_HEAD:
                raise _ProtocolError("response head larger than %d bytes" % _MAX_HEAD)
            if not self.fill():
                if seen:
                    raise _ProtocolError("connection closed inside the response head")
                raise _NoResponse()
        if end - pos > _MAX_HEAD:
            raise _ProtocolError("response head larger than %d bytes" % _MAX_HEAD)
        text = str(buf[pos:end], "latin-1")
        if stop == len(buf):
            self.buf, self.pos = b"", 0
        else:
            self.pos = stop
        # CRLF line ends (the norm); a bare LF anywhere and every line is split on LF
        lines = text.split("\r\n") if text.count("\n") == text.count("\r\n") else text.replace("\r\n", "\n").split("\n")
        if len(lines) > _MAX_HEADERS:
            raise _ProtocolError("more than %d response header lines" % _MAX_HEADERS)
        return lines

    def readinto(self, view: memoryview) -> int:
        buf, pos = self.buf, self.pos
        have = len(buf) - pos
        if have:
            count = have if have <= len(view) else len(view)
            if type(buf) is bytes:
                view[:count] = memoryview(buf)[pos:pos + count]
            else:
                with memoryview(buf) as buffered:
                    view[:count] = buffered[pos:pos + count]
            if count == have:
                self.buf, self.pos = b"", 0
            else:
                self.pos = pos + count
            return count
        return self.sock.recv_into(view)

    def read_exact(self, count: int) -> bytes:
        while len(self.buf) - self.pos < count:
            if not self.fill():
                raise _ProtocolError("connection closed inside a chunked body")
        pos = self.pos
        self.pos = pos + count
        return bytes(self.buf[pos:pos + count])

    def readable(self, timeout: float) -> bool:
        """Whether bytes (or the end of the stream) can be read within ``timeout`` s.

        ``poll`` (not ``select``) so that descriptors above FD_SETSIZE work too.
        """
        if self.pos < len(self.buf) or (self.tls and self.sock.pending()):  # type: ignore[attr-defined]  # an SSLSocket when tls
            return True
        poller = select.poll()
        poller.register(self.sock.fileno(), _POLL_READ)
        deadline = time.monotonic() + timeout
        while poller.poll(max(0, int((deadline - time.monotonic()) * 1000))):
            if not self.tls or self._tls_data_arrived():
                return True
            if time.monotonic() >= deadline:
                break
        return False

    def _tls_data_arrived(self) -> bool:
        """The socket is readable, but over TLS that may be a record without application
        data (a TLS 1.3 session ticket): read what is there without waiting."""
        sock = self.sock
        previous = sock.gettimeout()
        sock.settimeout(0.0)
        try:
            self._absorb(sock.recv(_READ_BUFFER))
            return True  # data, or the end of the stream
        except (BlockingIOError, _load_ssl().SSLWantReadError):
            return False
        finally:
            sock.settimeout(previous)

    def is_dropped(self) -> bool:
        """An idle connection is unusable when anything is readable: the server closed
        it, or sent bytes nobody asked for (which must not be read as the next answer)."""
        try:
            return self.readable(0)
        except (OSError, ValueError):
            return True


class DirectTransport:
    """Sends requests over pooled direct connections (``URLLib3Session`` without a proxy)."""

    def __init__(self, settings: TransportSettings) -> None:
        self._connect_timeout, self._read_timeout = settings.connect_timeout, settings.read_timeout
        self._max_idle = max(1, int(settings.max_pool_connections))
        self._socket_options = settings.socket_options
        self._tls = settings.tls
        self._idle: Dict[Tuple[str, str, int], List[_Connection]] = {}
        self._lock = threading.Lock()
        self._ssl_context: Optional["ssl.SSLContext"] = None

    # -- connections ---------------------------------------------------------------------
    def _tls_context(self) -> "ssl.SSLContext":
        if self._ssl_context is None:
            _load_ssl()
            self._ssl_context = self._tls.ssl_context()
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
            sock = socket.create_connection((address, port), timeout=self._connect_timeout)  # type: ignore[arg-type]  # bytes host: see above
        except socket.timeout as exc:
            raise ConnectTimeoutError(endpoint_url=url, error=exc)
        except (OSError, UnicodeError) as exc:  # UnicodeError: a name the idna codec refuses
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
        method = request.method
        connection, reused = self._checkout(key, url)
        try:
            response = self._exchange(connection, method, head, body, headers, url)
        except _StaleConnection as exc:
            # The server closed an idle connection just as we reused it: nothing was
            # processed, so send once more on a fresh connection.
            connection.close()
            if not reused or not _rewound(request):
                raise ConnectionClosedError(endpoint_url=url, request=request, error=exc.reason)
            connection = self._connect(key, url)
            try:
                response = self._exchange(connection, method, head, body, headers, url)
            except _StaleConnection as again:
                connection.close()
                raise ConnectionClosedError(endpoint_url=url, request=request, error=again.reason)
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
    def _request_head(method: str, target: str, host_header: str, headers: HeadersDict) -> bytes:
        # Host and Accept-Encoding come first, as http.client writes them.
        lines = ["%s %s HTTP/1.1\r\n" % (method, target)]
        names = {name.lower() for name in headers}
        if "host" not in names:
            lines.append("Host: %s\r\n" % host_header)
        if "accept-encoding" not in names:
            lines.append("Accept-Encoding: identity\r\n")
        good_names = _GOOD_NAMES
        for name, value in headers.items():
            if name not in good_names and bad_name(name):
                raise refuse_headers(first_bad_header(headers.items()) or repr(name))
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            lines.append("%s: %s\r\n" % (name, value))
        lines.append("\r\n")
        text = "".join(lines)
        # The last guard before the socket: every line ends in the one CRLF we put there,
        # so a CR, LF or NUL smuggled into the target, the Host or any value shows up here.
        count = len(lines)
        if text.count("\n") != count or text.count("\r") != count or "\0" in text:
            raise refuse_headers(first_bad_header(headers.items()) or "in the request line or Host")
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            return text.encode("utf-8")

    def _exchange(self, connection: _Connection, method: str, head: bytes, body: Any, headers: HeadersDict, url: str) -> AWSResponse:
        """Write one request and read the head of its response.

        ``Expect: 100-continue`` with a body over _CONTINUE_WAIT_MIN, or of unknown
        length: the head goes first, then up to _CONTINUE_TIMEOUT s for ``100 Continue``
        or an early final answer (sent without the body, on a connection that is then
        closed). Smaller bodies follow the head at once, as RFC 9110 allows (small byte
        bodies in the same write). After an error answer to a request with a body the
        connection is not reused: the server may have left the body unread.
        """
        has_body = body is not None and not (isinstance(body, (bytes, bytearray, memoryview, str)) and not len(body))
        if has_body and not _is_small(body) and _waits_for_continue(headers):
            self._send(connection, head, None, headers, url)
            try:
                waited = connection.readable(_CONTINUE_TIMEOUT)
            except (OSError, ValueError):
                waited = False
            if waited:
                response = self._read_response(connection, method, url, continue_ok=True, has_body=True)
                if response is not None:
                    return response  # answered before the body went out
            head = b""
        try:
            self._send(connection, head, body, headers, url)
        except _StaleConnection:
            # The server may have answered and closed while the body was going out
            # (an early 403 or 413): that answer is the result, if it is there.
            try:
                # retire: the request never went out whole
                response = self._read_response(connection, method, url, has_body=True, retire=True)
            except (_StaleConnection, HTTPClientError, SSLError):
                response = None
            if response is None:
                raise
            return response
        response = self._read_response(connection, method, url, has_body=has_body)
        assert response is not None
        return response

    def _send(self, connection: _Connection, head: bytes, body: Any, headers: HeadersDict, url: str) -> None:
        sock = connection.sock
        chunked = _text(headers.get("Transfer-Encoding", "")).lower() == "chunked"
        try:
            if body is None:
                sock.sendall(head)
                return
            if isinstance(body, (bytes, bytearray, memoryview)) and not chunked:
                if len(body) <= _SMALL_BODY:
                    sock.sendall(head + bytes(body))
                else:
                    if head:
                        sock.sendall(head)
                    sock.sendall(body)
            elif isinstance(body, str):
                sock.sendall(head + body.encode("utf-8"))
            else:
                if head:
                    sock.sendall(head)
                offered = body.sendfile_region() if (not chunked and not connection.tls and offers(body, SendfileBody)) else None
                if offered is not None:
                    _send_region(sock, *offered)
                elif offers(body, FramedBody):
                    _send_frames(sock, body.iter_frames(), chunked)
                else:
                    _send_stream(sock, body, chunked)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as exc:
            raise _StaleConnection(exc)
        except socket.timeout as exc:
            raise ReadTimeoutError(endpoint_url=url, error=exc)
        except _TLS_ERRORS as exc:
            raise SSLError(endpoint_url=url, error=exc)
        except OSError as exc:
            raise ConnectionClosedError(endpoint_url=url, error=exc)

    def _read_response(self, connection: _Connection, method: str, url: str, continue_ok: bool = False, has_body: bool = False,
                       retire: bool = False) -> Optional[AWSResponse]:
        """The response's head; None when it is ``100 Continue`` and ``continue_ok``."""
        try:
            for _ in range(_MAX_INTERIM + 1):
                lines = connection.read_head()
                version, status = _parse_status(lines[0])
                if status == 100 and continue_ok:
                    return None
                if status >= 200 or status == 101:
                    break
                # another interim response (1xx): its headers are skipped
            else:
                raise _ProtocolError("more than %d interim responses" % _MAX_INTERIM)
        except _NoResponse:
            raise _StaleConnection("no response")
        except socket.timeout as exc:
            raise ReadTimeoutError(endpoint_url=url, error=exc)
        except _TLS_ERRORS as exc:
            raise SSLError(endpoint_url=url, error=exc)
        except (ConnectionResetError, ConnectionAbortedError) as exc:
            raise _StaleConnection(exc)
        except _ProtocolError as exc:
            raise ConnectionClosedError(endpoint_url=url, error=exc)
        except OSError as exc:
            raise ConnectionClosedError(endpoint_url=url, error=exc)
        try:
            headers, lower = _parse_headers(lines)
        except _ProtocolError as exc:
            raise ConnectionClosedError(endpoint_url=url, error=exc)
        keep_alive = version == "HTTP/1.1"
        if "connection" in lower:
            connection_header = headers[lower["connection"]].lower()
            if "close" in connection_header:
                keep_alive = False
            elif "keep-alive" in connection_header:
                keep_alive = True
        if continue_ok or retire or (has_body and status >= 400):
            # answered before the body was sent, or an error the server may have sent
            # without reading the body: the connection cannot carry another request
            keep_alive = False
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            length: Optional[int] = 0
            chunked = False
        else:
            chunked = "transfer-encoding" in lower and "chunked" in headers[lower["transfer-encoding"]].lower()
            length = None
            if chunked:
                if "content-length" in lower:
                    keep_alive = False  # both framings: never trust the connection after it
            elif "content-length" in lower:
                length = _content_length(headers[lower["content-length"]])
                if length is None:
                    raise ConnectionClosedError(endpoint_url=url, error="invalid Content-Length")
            else:
                keep_alive = False
        raw = DirectResponse(self, connection, length, chunked, keep_alive, url)
        return AWSResponse(url, status, headers, raw)


class _StaleConnection(Exception):
    def __init__(self, reason: Any) -> None:
        super().__init__(reason)
        self.reason = reason


def _waits_for_continue(headers: HeadersDict) -> bool:
    """``Expect: 100-continue`` with a body that is large, or of unknown length."""
    if _text(headers.get("Expect", "")).lower() != "100-continue":
        return False
    length = _text(headers.get("Content-Length", ""))
    return not (length.isdigit() and int(length) <= _CONTINUE_WAIT_MIN)


def _is_small(body: Any) -> bool:
    return isinstance(body, (bytes, bytearray, memoryview, str)) and len(body) <= _SMALL_BODY


def _rewound(request: AWSPreparedRequest) -> bool:
    """Put the body back where it started for a resend; False when that is not possible."""
    try:
        request.reset_stream()
    except UnseekableStreamError:
        return False
    return True


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


def _send_region(sock: socket.socket, fd: int, offset: int, count: int, on_sent: Optional[Callable[[int], None]]) -> None:
    sent = sock.sendfile(_Fd(fd), offset, count) if count else 0  # type: ignore[arg-type]  # os.sendfile needs only fileno()
    if sent != count:
        raise short_file(sent, count)
    if on_sent is not None:
        on_sent(sent)


def _send_frames(sock: socket.socket, frames: Iterable[Frame], chunked: bool) -> None:
    """An aws-chunked body, one HTTP chunk per frame; the frame's data is sent uncopied."""
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
    read = body.read_view if offers(body, ViewReadableBody) else body.read  # transfer bodies: no copy
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


def _parse_status(line: str) -> Tuple[str, int]:
    """``HTTP/1.x NNN reason``: the version and a three-digit status from 100 to 599."""
    if len(line) > _MAX_LINE:
        raise _ProtocolError("status line too long")
    parts = line.split(" ", 2)
    version = parts[0]
    if len(parts) < 2 or not version.startswith("HTTP/1."):
        raise _ProtocolError("bad status line %r" % line[:80])
    code = parts[1]
    if len(code) != 3 or not code.isdigit() or not code.isascii() or code < "100" or code > "599":
        raise _ProtocolError("bad status code %r" % code[:20])
    return version, int(code)


def _parse_headers(lines: List[str]) -> Tuple[Dict[str, str], Dict[str, str]]:
    """Header lines (after the status line) as a dict, plus lower-case name -> name.

    Folded (continuation) lines are joined to their header; repeated names are joined
    with ", ". Pieces are collected and joined once, so this is linear.
    """
    headers: Dict[str, str] = {}
    lower: Dict[str, str] = {}
    pieces: Optional[Dict[str, List[str]]] = None
    name = ""
    for index in range(1, len(lines)):
        line = lines[index]
        if not line:
            continue
        if line[0] in " \t":  # obsolete folded continuation line
            if not name:
                raise _ProtocolError("continuation line before the first header")
            if pieces is None:
                pieces = {}
            pieces.setdefault(name, [headers[name]]).append(" " + line.strip())
            continue
        raw_name, sep, value = line.partition(":")
        if not sep or not raw_name or raw_name[-1] in " \t":
            raise _ProtocolError("bad header line %r" % line[:80])
        value = value.strip()
        low = raw_name.lower()
        first = lower.get(low)
        if first is None:
            lower[low] = name = raw_name
            headers[raw_name] = value
        else:
            name = first
            if pieces is not None and first in pieces:
                pieces[first].append(", " + value)
            else:
                headers[first] = headers[first] + ", " + value
    if pieces is not None:
        for name, parts in pieces.items():
            headers[name] = "".join(parts)
    return headers, lower


def _content_length(text: str) -> Optional[int]:
    """A Content-Length value (repeated equal values allowed), else None."""
    values = {part.strip() for part in text.split(",")}
    if len(values) != 1:
        return None
    value = values.pop()
    if not value.isdigit() or not value.isascii() or len(value) > 19:
        return None
    return int(value)


def _read_trailers(connection: _Connection) -> None:
    """The trailer lines after a chunked body, bounded like a response head."""
    total = 0
    for _ in range(_MAX_HEADERS + 1):
        line = connection.readline(_MAX_LINE)
        if not line:
            raise _ProtocolError("connection closed inside the trailers")
        if line in (b"\r\n", b"\n"):
            return
        total += len(line)
        if total > _MAX_HEAD:
            break
    raise _ProtocolError("trailers too large")


class DirectResponse:
    """The body of a direct response: a readable, ``readinto``-capable stream.

    The connection goes back to the pool when the body has been read completely and
    nothing beyond it arrived (otherwise, or when the body is closed early, the
    connection is dropped).
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

    def stream(self, amt: int = 65536) -> Iterator[bytes]:
        while True:
            data = self.read(amt)
            if not data:
                return
            yield data

    def read(self, amt: Optional[int] = None) -> bytes:
        if self._done:
            return b""
        remaining = self._remaining
        if remaining is not None and (amt is None or amt < 0 or amt > remaining):
            amt = remaining  # a known length: one buffer of exactly what is left
            connection = self._connection
            if connection is not None and len(connection.buf) - connection.pos >= amt:
                # all of it arrived with the head: one copy out of the receive buffer
                start = connection.pos
                data = bytes(connection.buf[start:start + amt])
                connection.pos = start + amt
                self._remaining = 0
                self._finish()
                return data
        if amt is None or amt < 0:
            parts: List[bytes] = []
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
            # Fill the buffer (as a buffered file's readinto does) unless the body ends.
            part = self._readinto_chunked if self._chunked else self._readinto_plain
            total = part(view)
            while total and total < len(view) and not self._done:
                count = part(view[total:])
                if not count:
                    break
                total += count
            return total
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
        count = self._connection.readinto(view[:want])
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
        connection = self._connection
        assert connection is not None
        if self._chunk_left == 0:
            line = connection.readline(_MAX_LINE)
            if not line:
                raise _ProtocolError("connection closed inside a chunked body")
            size_text = line.split(b";", 1)[0].strip()
            if not size_text or len(size_text) > 16 or size_text.strip(b"0123456789abcdefABCDEF"):
                raise _ProtocolError("bad chunk size %r" % size_text[:20])
            size = int(size_text, 16)
            if size == 0:
                _read_trailers(connection)
                self._finish()
                return 0
            self._chunk_left = size
        want = min(len(view), self._chunk_left)
        count = connection.readinto(view[:want])
        if not count:
            raise _ProtocolError("connection closed inside a chunk")
        self._chunk_left -= count
        if self._chunk_left == 0:
            if connection.read_exact(2) != b"\r\n":
                raise _ProtocolError("chunk not followed by CRLF")
        return count

    def _finish(self) -> None:
        self._done = True
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._keep_alive and connection.pos == len(connection.buf):
            self._transport._checkin(connection)
        else:
            # Bytes beyond the framed response (a HEAD answer with a body, a forged
            # second answer): nothing more can be trusted on this connection.
            connection.close()

    def _drop(self) -> None:
        self._done = True
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
