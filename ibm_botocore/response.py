"""``StreamingBody``: the file-like ``Body`` of GetObject responses."""
from __future__ import annotations

import io
import logging
import sys
from typing import Any, Iterator, List, NoReturn, Optional

from ibm_botocore.exceptions import IncompleteReadError, ReadTimeoutError, ResponseStreamingError

logger = logging.getLogger(__name__)


def _endpoint_url(raw: Any) -> str:
    """The request URL a raw response belongs to (set by the urllib3 transport)."""
    return getattr(raw, "_ibm_endpoint_url", "") or ""


def _stream_error(exc: BaseException, raw: Any = None) -> Optional[Exception]:
    """The SDK exception for a urllib3 error raised while reading a body, else None.

    urllib3 is looked up in sys.modules (a urllib3 response exists only once it is loaded),
    so this module does not import it.
    """
    urllib3_errors = sys.modules.get("urllib3.exceptions")
    if urllib3_errors is None:
        return None
    if isinstance(exc, urllib3_errors.ReadTimeoutError):
        return ReadTimeoutError(endpoint_url=_endpoint_url(raw) or getattr(exc, "url", "") or "", error=exc)
    if isinstance(exc, urllib3_errors.HTTPError):
        return ResponseStreamingError(error=exc)
    return None


def _raise_as_sdk_error(exc: Exception, raw: Any) -> NoReturn:
    """Raise the SDK's exception for an error reading ``raw`` (``exc`` itself if it has none);
    called from an ``except`` block, so the non-error path costs nothing."""
    mapped = _stream_error(exc, raw)
    if mapped is None:
        raise exc
    raise mapped from exc


class StreamingBody(io.IOBase):
    """Wraps the raw HTTP stream; checks that exactly Content-Length bytes arrive."""

    _DEFAULT_CHUNK_SIZE = 1024

    def __init__(self, raw_stream: Any, content_length: Optional[int]) -> None:
        self._raw_stream = raw_stream
        self._content_length = None if content_length is None else int(content_length)
        self._amount_read = 0

    def __del__(self) -> None:
        # io.IOBase.__del__ would call close(); releasing the connection is the
        # HTTP layer's job, so do nothing here.
        pass

    def set_socket_timeout(self, timeout: float) -> None:
        """Set the read timeout of the underlying socket."""
        try:
            direct = getattr(self._raw_stream, "_connection", None)
            sock = getattr(direct, "sock", None)  # a direct-transport body
            if sock is None:
                sock = self._raw_stream._fp.fp.raw._sock
            sock.settimeout(timeout)
        except AttributeError:
            logger.error("Cannot access the socket object of a streaming response.")
            raise

    def readable(self) -> bool:
        try:
            readable: bool = self._raw_stream.readable()
            return readable
        except AttributeError:
            return False

    def read(self, amt: Optional[int] = None) -> bytes:
        """Read ``amt`` bytes, or everything that is left when ``amt`` is None."""
        try:
            chunk: bytes = self._raw_stream.read(amt)
        except Exception as exc:
            _raise_as_sdk_error(exc, self._raw_stream)
        self._amount_read += len(chunk)
        if amt is None or (not chunk and amt > 0):
            self._verify_content_length()
        return chunk

    def readinto(self, buffer: Any) -> int:
        """Read into a writable buffer; returns the number of bytes read (0 at the end)."""
        fp = self._direct_fp()
        if fp is not None:
            count = self._readinto_direct(fp, buffer)
        else:
            try:
                count = self._raw_stream.readinto(buffer)
            except Exception as exc:
                _raise_as_sdk_error(exc, self._raw_stream)
        self._amount_read += count
        if count == 0 and len(buffer) > 0:
            self._verify_content_length()
        return count

    # urllib3's readinto() reads into a temporary bytes object and copies it (two extra
    # copies and an allocation per call). When nothing needs decoding, the http.client
    # response underneath can fill the caller's buffer straight from the socket; the
    # urllib3 response's byte counters and connection release are kept as it would.
    def _direct_fp(self) -> Any:
        raw = self._raw_stream
        fp = getattr(raw, "_fp", None)
        # http.client is loaded whenever a urllib3 response exists; not imported here
        client = sys.modules.get("http.client")
        if fp is None or client is None or not isinstance(fp, client.HTTPResponse) or fp.fp is None:
            return None
        if getattr(raw, "decode_content", True) or getattr(raw, "_decoder", None) is not None:
            return None
        pending = getattr(raw, "_decoded_buffer", None)
        if pending is None or len(pending) or not hasattr(raw, "_fp_bytes_read"):
            return None
        return fp

    def _readinto_direct(self, fp: Any, buffer: Any) -> int:
        raw = self._raw_stream
        try:
            count: int = fp.readinto(buffer)
        except sys.modules["socket"].timeout as exc:
            self._drop_connection(fp)
            raise ReadTimeoutError(endpoint_url=_endpoint_url(raw), error=exc)
        except (sys.modules["http.client"].HTTPException, OSError) as exc:
            self._drop_connection(fp)
            raise ResponseStreamingError(error=exc)
        raw._fp_bytes_read += count
        if getattr(raw, "length_remaining", None) is not None:
            raw.length_remaining -= count
        if fp.isclosed():
            if not count and len(buffer) and self._content_length is not None and self._amount_read < self._content_length:
                self._drop_connection(fp)
            else:
                raw.release_conn()
        return count

    def _drop_connection(self, fp: Any) -> None:
        """Close a connection whose response broke off (it must not be reused)."""
        raw = self._raw_stream
        try:
            fp.close()
            connection = getattr(raw, "_connection", None)
            if connection is not None:
                connection.close()
            raw.release_conn()
        except Exception:
            pass

    def readlines(self) -> List[bytes]:  # type: ignore[override]
        return self.read().splitlines(True)

    def __iter__(self) -> Iterator[bytes]:
        return self.iter_chunks(self._DEFAULT_CHUNK_SIZE)

    def __next__(self) -> bytes:
        chunk = self.read(self._DEFAULT_CHUNK_SIZE)
        if chunk:
            return chunk
        raise StopIteration()

    next = __next__

    def __enter__(self) -> "StreamingBody":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def iter_lines(self, chunk_size: int = _DEFAULT_CHUNK_SIZE, keepends: bool = False) -> Iterator[bytes]:
        """Yield the lines of the body (split on \\n, \\r\\n or \\r)."""
        pending = b""
        for chunk in self.iter_chunks(chunk_size):
            lines = (pending + chunk).splitlines(True)
            for line in lines[:-1]:
                yield line if keepends else line.splitlines()[0]
            pending = lines[-1]
        if pending:
            yield pending if keepends else pending.splitlines()[0]

    def iter_chunks(self, chunk_size: int = _DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """Yield the body in pieces of at most ``chunk_size`` bytes."""
        while True:
            chunk = self.read(chunk_size)
            if not chunk:
                break
            yield chunk

    def tell(self) -> int:
        return self._amount_read

    def close(self) -> None:
        """Close the underlying stream (the connection is not reused if unread data remains)."""
        self._raw_stream.close()

    @property
    def closed(self) -> bool:
        return bool(getattr(self._raw_stream, "closed", False))

    def _verify_content_length(self) -> None:
        if self._content_length is not None and self._amount_read != self._content_length:
            raise IncompleteReadError(actual_bytes=self._amount_read, expected_bytes=self._content_length)
