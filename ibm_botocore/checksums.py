"""Request and response checksums (CRC32, SHA-1, SHA-256) and aws-chunked trailers.

``crc32`` is the CRC of ``ibm_botocore._crc32`` (PCLMULQDQ folding on x86-64, CRC32X on
AArch64) when that extension was built and the CPU supports it (about ten times zlib's
speed), else ``zlib.crc32``; both give identical results. They and ``hashlib`` release
the GIL on large buffers, so checksumming parts in transfer threads runs in parallel.
"""
from __future__ import annotations

import base64
import hashlib
import io
import zlib
from typing import Any, Dict, Iterator, List, Optional, Type, Union

from ibm_botocore.context import Frame, ViewReadableBody, offers
from ibm_botocore.exceptions import AwsChunkedWrapperError, FlexibleChecksumError, MissingDependencyException
from ibm_botocore.response import StreamingBody
from ibm_botocore.utils import feed_body

try:
    from ibm_botocore._crc32 import ACCELERATED as CRC32_ACCELERATED
    from ibm_botocore._crc32 import crc32 as _fast_crc32
except ImportError:  # not built (no compiler at install time): zlib's is the same function
    CRC32_ACCELERATED = 0
crc32 = _fast_crc32 if CRC32_ACCELERATED else zlib.crc32

_READ_SIZE = 1024 * 1024
SUPPORTED_ALGORITHMS = ("crc32", "sha1", "sha256")
# Priority when validating a response that carries several checksums.
RESPONSE_PRIORITY = ("crc64nvme", "crc32c", "crc32", "sha1", "sha256")
_NEEDS_CRT = ("crc32c", "crc64nvme")
# A piece of an aws-chunked frame (see ibm_botocore.context.Frame).
_Piece = Union[bytes, bytearray, memoryview]


class BaseChecksum:
    def update(self, chunk: Any) -> None:
        raise NotImplementedError

    def digest(self) -> bytes:
        raise NotImplementedError

    def b64digest(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")

    def handle(self, body: Any) -> str:
        """Checksum of a whole body: bytes, or a seekable stream (rewound afterwards)."""
        feed_body(self.update, body, _READ_SIZE)
        return self.b64digest()


class Crc32Checksum(BaseChecksum):
    def __init__(self) -> None:
        self._value = 0

    def update(self, chunk: Any) -> None:
        self._value = crc32(chunk, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


class Sha1Checksum(BaseChecksum):
    def __init__(self) -> None:
        self._hash = hashlib.sha1()

    def update(self, chunk: Any) -> None:
        self._hash.update(chunk)

    def digest(self) -> bytes:
        return self._hash.digest()


class Sha256Checksum(BaseChecksum):
    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def update(self, chunk: Any) -> None:
        self._hash.update(chunk)

    def digest(self) -> bytes:
        return self._hash.digest()


_CLASSES: Dict[str, Type[BaseChecksum]] = {"crc32": Crc32Checksum, "sha1": Sha1Checksum, "sha256": Sha256Checksum}


def checksum_class(algorithm: str) -> Type[BaseChecksum]:
    name = algorithm.lower()
    cls = _CLASSES.get(name)
    if cls is not None:
        return cls
    if name in _NEEDS_CRT:
        raise MissingDependencyException(
            msg="Using %s requires an additional dependency (awscrt), which this SDK does not use; choose CRC32, SHA1 or SHA256." % name.upper()
        )
    raise FlexibleChecksumError(error_msg="Unsupported checksum algorithm: %s" % algorithm)


def header_name(algorithm: str) -> str:
    return "x-amz-checksum-%s" % algorithm.lower()


def compute(algorithm: str, body: Any) -> str:
    return checksum_class(algorithm)().handle(body)


class AwsChunkedWrapper(io.RawIOBase):
    """Frames a body as ``aws-chunked`` with a checksum trailer, computed while reading.

    ``read(n)`` serves any HTTP client; ``iter_frames()`` is what the direct transport
    sends from: the frame headers and the source's own chunks (memory views included),
    so the data is not copied on its way to the socket.
    """

    def __init__(self, raw: Any, checksum_cls: Optional[Type[BaseChecksum]] = None, checksum_name: str = "x-amz-checksum-crc32", chunk_size: int = _READ_SIZE) -> None:
        self._raw = raw
        # transfer bodies hand out views of their read buffer (no copy per chunk)
        self._read_chunk = raw.read_view if offers(raw, ViewReadableBody) else raw.read
        self._checksum_cls = checksum_cls
        self._checksum_name = checksum_name
        self._chunk_size = chunk_size
        self._start = raw.tell() if hasattr(raw, "tell") else 0
        self._reset_state()

    def _reset_state(self) -> None:
        self._checksum = self._checksum_cls() if self._checksum_cls else None
        self._pending: List[_Piece] = []  # pieces not yet returned by read(), in order
        self._done = False

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset != 0 or whence != 0:
            raise AwsChunkedWrapperError(error_msg="Can only seek to the start of an aws-chunked stream")
        self._raw.seek(self._start)
        self._reset_state()
        return 0

    def tell(self) -> int:
        return 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            while not self._done:  # chunks may live in a reused buffer: keep copies
                self._pending.extend(bytes(piece) for piece in self._next_frame())
            out = b"".join(self._pending)
            self._pending = []
            return out
        parts: List[bytes] = []
        wanted = size
        while wanted > 0:
            if not self._pending:
                if self._done:
                    break
                self._pending.extend(self._next_frame())
                continue
            piece = self._pending[0]
            if len(piece) <= wanted:
                parts.append(bytes(piece))
                del self._pending[0]
                wanted -= len(piece)
            else:
                view = memoryview(piece)
                parts.append(bytes(view[:wanted]))
                self._pending[0] = bytes(view[wanted:])
                wanted = 0
        return b"".join(parts)

    def iter_frames(self) -> Iterator[Frame]:
        """The framed body from the current position: one tuple of pieces per frame.

        A chunk is yielded as the source returned it (possibly a view of a buffer the
        source reuses): send it before asking for the next frame.
        """
        if self._pending:
            yield tuple(self._pending)
            self._pending = []
        while not self._done:
            yield self._next_frame()

    def _next_frame(self) -> Frame:
        chunk = self._read_chunk(self._chunk_size)
        if chunk:
            if self._checksum is not None:
                self._checksum.update(chunk)
            return (b"%x\r\n" % len(chunk), chunk, b"\r\n")
        self._done = True
        trailer = b"0\r\n"
        if self._checksum is not None:
            trailer += b"%s:%s\r\n" % (self._checksum_name.encode("ascii"), self._checksum.b64digest().encode("ascii"))
        return (trailer + b"\r\n",)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            data = self.read(self._chunk_size)
            if not data:
                return
            yield data


class StreamingChecksumBody(StreamingBody):
    """A StreamingBody that checks the full-object checksum once the end is reached."""

    def __init__(self, raw_stream: Any, content_length: Optional[int], checksum: BaseChecksum, expected: str) -> None:
        super().__init__(raw_stream, content_length)
        self._checksum = checksum
        self._expected = expected
        self.algorithm: Optional[str] = None  # the algorithm's name, e.g. 'crc32' (set by the creator)

    def read(self, amt: Optional[int] = None) -> bytes:
        chunk = super().read(amt)
        self._checksum.update(chunk)
        if amt is None or (not chunk and amt > 0):
            self._validate()
        return chunk

    def readinto(self, buffer: Any) -> int:
        count = super().readinto(buffer)
        self._checksum.update(memoryview(buffer)[:count])
        if count == 0 and len(buffer) > 0:
            self._validate()
        return count

    def _validate(self) -> None:
        actual = self._checksum.b64digest()
        if actual != self._expected:
            raise FlexibleChecksumError(
                error_msg="Expected checksum %s did not match calculated checksum: %s" % (self._expected, actual)
            )
