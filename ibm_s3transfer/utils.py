"""Helpers shared by the transfer modules: file system access, per-thread I/O buffers,
callbacks and progress readers.

(The CRC32 arithmetic lives in ``ibm_s3transfer.crc``, the part arithmetic in
``ibm_s3transfer.parts``; their names stay importable from here.)"""
from __future__ import annotations

import binascii
import logging
import os
import stat
import threading
import time
from typing import Any, Callable, Dict, List, Optional

from ibm_s3transfer.crc import (  # noqa: F401  (re-exported: importable from here before crc.py existed)
    b64_to_crc32,
    composite_crc32,
    crc32_combine,
    crc32_combine_all,
    crc32_to_b64,
)
from ibm_s3transfer.parts import (  # noqa: F401  (re-exported: importable from here before parts.py existed)
    ChunksizeAdjuster,
    calculate_num_parts,
    calculate_range_parameter,
)

logger = logging.getLogger(__name__)

IO_BLOCK_SIZE = 1024 * 1024


def random_file_extension(num_digits: int = 8) -> str:
    """``num_digits`` random hexadecimal digits (used for temporary file names)."""
    return binascii.hexlify(os.urandom((num_digits + 1) // 2)).decode("ascii")[:num_digits]


class CallArgs:
    """The arguments a transfer was requested with, as attributes."""

    # Declarations only (no class values): each transfer kind sets the ones it takes.
    bucket: str
    key: str
    extra_args: Dict[str, Any]
    subscribers: List[Any]
    fileobj: Any
    filename: str
    expected_size: Optional[int]
    copy_source: Any
    source_client: Any

    def __init__(self, **kwargs: Any) -> None:
        for name, value in kwargs.items():
            setattr(self, name, value)

    def __repr__(self) -> str:
        return "CallArgs(%s)" % ", ".join("%s=%r" % item for item in sorted(vars(self).items()))


class OSUtils:
    """File system operations, replaceable for tests or special environments."""

    def get_file_size(self, filename: str) -> int:
        return os.path.getsize(filename)

    def open(self, filename: str, mode: str) -> Any:
        return open(filename, mode)

    def remove_file(self, filename: str) -> None:
        """Remove ``filename``; a missing file is not an error."""
        try:
            os.remove(filename)
        except OSError:
            pass

    def rename_file(self, current_filename: str, new_filename: str) -> None:
        os.replace(current_filename, new_filename)

    def is_special_file(self, filename: str) -> bool:
        """True for FIFOs, character/block devices and sockets (no temp file, no rename)."""
        if not os.path.exists(filename):
            return False
        mode = os.stat(filename).st_mode
        return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)

    def get_temp_filename(self, filename: str) -> str:
        return "%s.%s" % (filename, random_file_extension())

    def allocate(self, filename: str, size: int) -> None:
        fd = os.open(filename, os.O_WRONLY | os.O_CREAT, 0o666)
        try:
            os.ftruncate(fd, size)
        finally:
            os.close(fd)

    def open_file_chunk_reader(self, filename: str, start_byte: int, size: int, callbacks: Optional[List[Callable[..., Any]]] = None) -> "ReadFileChunk":
        return ReadFileChunk.from_filename(filename, start_byte, size, callbacks, enable_callbacks=False)


# -- per-thread I/O buffers --------------------------------------------------------------------
_local = threading.local()


def thread_buffer(size: int = IO_BLOCK_SIZE) -> memoryview:
    """A reusable buffer owned by the calling thread (never shared between threads)."""
    view = getattr(_local, "view", None)
    if view is None or len(view) < size:
        view = memoryview(bytearray(size))
        _local.view = view
    return view


def pread_into(fd: int, view: memoryview, offset: int) -> int:
    """Fill ``view`` from ``fd`` at ``offset`` (stops early only at end of file)."""
    total = 0
    length = len(view)
    while total < length:
        got = os.preadv(fd, [view[total:]], offset + total)
        if not got:
            break
        total += got
    return total


# Slices for pwrite. Large writes let the kernel back the page cache with large folios,
# whose allocation is erratic where memory is fragmented or was handed back to a VM's
# host; then small writes cost far less. Where memory is not, large writes cost less (fewer
# calls). Measured on a 2-core VM (Linux 6.18, ext4): one day, 4 x 256 MiB directory
# downloads, 1 MiB writes ran at 480-614 MB/s and 2.0-2.6 CPU-s/GiB, 32 KiB writes (s5cmd's
# size) at 1304-1716 MB/s and 0.76-0.99; another day, 2 x 256 MiB in one process, 1 MiB
# writes at 2095-2297 MB/s and 0.57-0.63, 32 KiB at 1673-1848 and 0.71-0.77. So the process
# measures both and uses the one that costs less per byte (see _SliceChooser).
PWRITE_SLICE = 32 * 1024  # the small slice
PWRITE_LARGE = 1024 * 1024  # the large one


class _SliceChooser:
    """The pwrite slice that costs less CPU per byte (the writing thread's CPU time: the
    kernel's copy and page-cache allocation, not the wait for the GIL afterwards), by
    measuring: the size in use keeps a moving average of its writes; the other is tried
    again after every 64 MiB (the machine's state changes), and that latest reading is its
    cost. Shared by every thread: a lost update is harmless."""

    PROBE_BYTES = 64 * 1024 * 1024
    SMOOTHING = 0.25

    def __init__(self) -> None:
        self.cost: Dict[int, Optional[float]] = {PWRITE_SLICE: None, PWRITE_LARGE: None}
        self.since_probe = 0

    def choose(self) -> int:
        small, large = self.cost[PWRITE_SLICE], self.cost[PWRITE_LARGE]
        if small is None:
            return PWRITE_SLICE
        if large is None:
            return PWRITE_LARGE
        best, other = (PWRITE_SLICE, PWRITE_LARGE) if small <= large else (PWRITE_LARGE, PWRITE_SLICE)
        if self.since_probe >= self.PROBE_BYTES:
            self.since_probe = 0
            return other
        return best

    def record(self, size: int, written: int, seconds: float) -> None:
        """``written`` bytes went in slices of ``size`` in ``seconds`` of thread CPU time."""
        if written < PWRITE_SLICE:  # a short write says more about the call than the bytes
            return
        self.since_probe += written
        per_byte = seconds / written
        old = self.cost[size]
        other = self.cost[PWRITE_LARGE if size == PWRITE_SLICE else PWRITE_SLICE]
        if old is None or (other is not None and old > other):
            self.cost[size] = per_byte  # a probe of the dearer size: its latest reading counts
        else:
            self.cost[size] = old + self.SMOOTHING * (per_byte - old)


_slices = _SliceChooser()


def pwrite_all(fd: int, view: Any, offset: int) -> None:
    """Write all of ``view`` to ``fd`` at ``offset``, in slices of the size that currently
    costs less (``PWRITE_SLICE`` or ``PWRITE_LARGE``)."""
    view = memoryview(view)
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    total = len(view)
    size = _slices.choose()  # one size and one measurement per call (a range chunk, ~1 MiB)
    started = time.thread_time()
    while len(view):
        written = os.pwrite(fd, view[:size], offset)
        view = view[written:]
        offset += written
    _slices.record(size, total, time.thread_time() - started)


# -- callbacks ---------------------------------------------------------------------------------
def get_callbacks(transfer_future: Any, callback_type: str) -> List[Callable[..., Any]]:
    """The ``on_<callback_type>`` methods of a transfer's subscribers, bound to its future."""
    callbacks = []
    for subscriber in transfer_future.meta.call_args.subscribers or ():
        method = getattr(subscriber, "on_" + callback_type, None)
        if method is not None:
            callbacks.append(_bind_future(method, transfer_future))
    return callbacks


def _bind_future(method: Callable[..., Any], future: Any) -> Callable[..., Any]:
    def call(**kwargs: Any) -> Any:
        return method(future=future, **kwargs)

    return call


def invoke_progress_callbacks(callbacks: List[Callable[..., Any]], bytes_transferred: int) -> None:
    if bytes_transferred:
        for callback in callbacks:
            callback(bytes_transferred=bytes_transferred)


class ProgressReporter:
    """Calls a transfer's on_progress subscribers; a no-op when it has none."""

    __slots__ = ("_callbacks", "enabled")

    def __init__(self, callbacks: List[Callable[..., Any]]) -> None:
        self._callbacks = callbacks
        self.enabled = bool(callbacks)

    def __call__(self, amount: int) -> None:
        if amount and self.enabled:
            for callback in self._callbacks:
                callback(bytes_transferred=amount)


# -- legacy readers ----------------------------------------------------------------------------
class ReadFileChunk:
    """A read-only, seekable view of ``size`` bytes of a file starting at ``start_byte``.

    Reads report their size to ``callbacks`` (negative amounts when seeking back) while
    callbacks are enabled.
    """

    def __init__(
        self,
        fileobj: Any,
        chunk_size: int,
        full_file_size: int,
        callbacks: Optional[List[Callable[..., Any]]] = None,
        enable_callbacks: bool = True,
        close_callbacks: Optional[List[Callable[..., Any]]] = None,
    ) -> None:
        self._fileobj = fileobj
        self._start: int = fileobj.tell()
        self._size: int = max(0, min(chunk_size, full_file_size - self._start))
        self._pos = 0
        self._callbacks = callbacks or []
        self._callbacks_enabled = enable_callbacks
        self._close_callbacks = close_callbacks or []

    @classmethod
    def from_filename(
        cls,
        filename: str,
        start_byte: int,
        chunk_size: int,
        callbacks: Optional[List[Callable[..., Any]]] = None,
        enable_callbacks: bool = True,
    ) -> "ReadFileChunk":
        fileobj = open(filename, "rb")
        fileobj.seek(start_byte)
        return cls(fileobj, chunk_size, os.fstat(fileobj.fileno()).st_size, callbacks, enable_callbacks)

    def _notify(self, amount: int) -> None:
        if self._callbacks_enabled and amount:
            for callback in self._callbacks:
                try:
                    callback(bytes_transferred=amount)
                except TypeError:
                    callback(amount)

    def read(self, amount: Optional[int] = None) -> bytes:
        left = self._size - self._pos
        count = left if amount is None or amount < 0 else min(amount, left)
        data = self._fileobj.read(count) if count else b""
        self._pos += len(data)
        self._notify(len(data))
        return data

    def signal_transferring(self) -> None:
        self.enable_callback()

    def signal_not_transferring(self) -> None:
        self.disable_callback()

    def enable_callback(self) -> None:
        self._callbacks_enabled = True

    def disable_callback(self) -> None:
        self._callbacks_enabled = False

    def seek(self, where: int, whence: int = 0) -> int:
        if whence == 1:
            where += self._pos
        elif whence == 2:
            where += self._size
        where = max(0, min(where, self._size))
        self._fileobj.seek(self._start + where)
        moved = where - self._pos
        self._pos = where
        if moved < 0:
            self._notify(moved)
        return where

    def tell(self) -> int:
        return self._pos

    def __len__(self) -> int:
        return self._size

    def close(self) -> None:
        for callback in self._close_callbacks:
            callback()
        self._fileobj.close()

    def __enter__(self) -> "ReadFileChunk":
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def __iter__(self) -> Any:
        return iter(())


class StreamReaderProgress:
    """Wraps a readable stream and reports every read's size to ``callback``."""

    def __init__(self, stream: Any, callback: Optional[Callable[[int], Any]] = None) -> None:
        self._stream = stream
        self._callback = callback

    def read(self, *args: Any, **kwargs: Any) -> Any:
        data = self._stream.read(*args, **kwargs)
        if self._callback is not None and data:
            self._callback(len(data))
        return data
