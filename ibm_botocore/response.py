"""``StreamingBody``: the file-like ``Body`` of GetObject responses."""
from __future__ import annotations

import io
import logging
from typing import Any, Iterator, Optional

from urllib3.exceptions import HTTPError as URLLib3HTTPError
from urllib3.exceptions import ProtocolError as URLLib3ProtocolError
from urllib3.exceptions import ReadTimeoutError as URLLib3ReadTimeoutError

from ibm_botocore.exceptions import IncompleteReadError, ReadTimeoutError, ResponseStreamingError

logger = logging.getLogger(__name__)


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
            self._raw_stream._fp.fp.raw._sock.settimeout(timeout)
        except AttributeError:
            logger.error("Cannot access the socket object of a streaming response.")
            raise

    def readable(self) -> bool:
        try:
            return self._raw_stream.readable()
        except AttributeError:
            return False

    def read(self, amt: Optional[int] = None) -> bytes:
        """Read ``amt`` bytes, or everything that is left when ``amt`` is None."""
        try:
            chunk = self._raw_stream.read(amt)
        except URLLib3ReadTimeoutError as exc:
            raise ReadTimeoutError(endpoint_url=getattr(exc, "url", ""), error=exc)
        except (URLLib3ProtocolError, URLLib3HTTPError) as exc:
            raise ResponseStreamingError(error=exc)
        self._amount_read += len(chunk)
        if amt is None or (not chunk and amt > 0):
            self._verify_content_length()
        return chunk

    def readinto(self, buffer: Any) -> int:
        """Read into a writable buffer; returns the number of bytes read (0 at the end)."""
        try:
            count = self._raw_stream.readinto(buffer)
        except URLLib3ReadTimeoutError as exc:
            raise ReadTimeoutError(endpoint_url=getattr(exc, "url", ""), error=exc)
        except (URLLib3ProtocolError, URLLib3HTTPError) as exc:
            raise ResponseStreamingError(error=exc)
        self._amount_read += count
        if count == 0 and len(buffer) > 0:
            self._verify_content_length()
        return count

    def readlines(self) -> list:  # type: ignore[override]
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
    def closed(self) -> bool:  # type: ignore[override]
        return bool(getattr(self._raw_stream, "closed", False))

    def _verify_content_length(self) -> None:
        if self._content_length is not None and self._amount_read != self._content_length:
            raise IncompleteReadError(actual_bytes=self._amount_read, expected_bytes=self._content_length)
