"""MD5 streams hashed off the download threads, many at once: the ETag checks of downloads.

A download checks an object's ETag: the MD5 of the object, or for a multipart object the
MD5 of each part. One MD5 stream cannot go faster than ~0.7 GB/s, but the parts of a
multipart object are independent streams, and :mod:`ibm_s3transfer.md5lanes` hashes up to
16 of them in one pass of SIMD lanes.

A :class:`Stream` is one MD5 fed in order. With the SIMD extension, ``update`` copies the
block into one of ``BUFFERS`` reusable 1 MiB buffers (a copy costs a tenth of hashing it)
and returns: the download thread goes back to its socket at once. One hashing thread
takes the oldest queued block of every stream and hashes them together in one
:func:`~ibm_s3transfer.md5lanes.update_many` call, without the GIL. It waits until every
stream being fed (up to 8: the lanes are then full) has a block queued, ``GATHER_SECONDS``
have passed, or a thread waits for a buffer or a digest. ``digest()`` waits for the
stream's queued blocks.

Memory stays bounded: ``update`` waits while all buffers are queued, and while its own
stream has ``PER_STREAM`` blocks queued (so that the buffers hold blocks of many
streams); free buffers are given back after ``IDLE_SECONDS`` without a block. Streams
shorter than a block (small files), and every stream without the extension (other CPUs,
no compiler at install time), are hashed in the calling thread, as hashlib does.
"""
from __future__ import annotations

import os
import threading
import time
import weakref
from typing import List, Optional, Tuple

from ibm_s3transfer import md5lanes
from ibm_s3transfer.md5lanes import Buffer

__all__ = ["Stream", "BUFFERS", "BLOCK"]

BLOCK = 1024 * 1024
BUFFERS = 32
PER_STREAM = 3  # queued blocks of one stream at most: the buffers go round all of them
# The hashing thread waits for blocks of this many streams (or GATHER_SECONDS, or a
# thread that needs a buffer or a digest): lanes hashed together cost what one costs.
_GATHER_STREAMS = max(1, min(8, md5lanes.LANES))
GATHER_SECONDS = 0.005
# After this long without a block the buffers are freed (a long-lived process keeps none).
IDLE_SECONDS = 10.0


class Stream:
    """One MD5 stream: ``update(data)`` in order (from one thread at a time), then ``digest()``.

    ``length``, when known, is the stream's total size: a stream shorter than one block
    (a small file) is hashed in the caller's thread, where a hand-off would cost more
    than the lanes save.
    """

    __slots__ = ("_hasher", "_pending", "_error", "_inline", "__weakref__")

    def __init__(self, length: Optional[int] = None) -> None:
        self._hasher = md5lanes.new()
        self._pending = 0
        self._error: Optional[BaseException] = None
        self._inline = not md5lanes.ACCELERATED or (length is not None and length < BLOCK)

    def update(self, data: Buffer) -> None:
        if self._inline:
            self._hasher.update(data)
            return
        _SERVICE.submit(self, memoryview(data).cast("B"))

    def digest(self) -> bytes:
        if not self._inline:
            _SERVICE.close(self)
        if self._error is not None:
            raise self._error
        return self._hasher.digest()

    def hexdigest(self) -> str:
        return self.digest().hex()


class _Service:
    """The hashing thread, its queue and its buffers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: List[Tuple[Stream, bytearray, int]] = []
        self._free: List[bytearray] = []
        self._allocated = 0
        self._waiting = 0  # threads waiting for a buffer or a digest
        self._open: "weakref.WeakSet[Stream]" = weakref.WeakSet()  # fed and not yet digested
        self._since = 0.0  # when the oldest queued block was queued (or the last batch taken)
        self._thread: Optional[threading.Thread] = None

    def submit(self, stream: Stream, data: memoryview) -> None:
        for start in range(0, len(data), BLOCK):
            piece = data[start : start + BLOCK]
            length = len(piece)
            with self._cond:
                self._open.add(stream)
                while stream._pending >= PER_STREAM:  # room for the other streams' blocks
                    self._cond.wait()
                buffer = self._buffer()
            try:
                buffer[:length] = piece  # the copy, outside the lock
            except BaseException:  # (an interrupt): the buffer goes back
                with self._cond:
                    self._free.append(buffer)
                    self._cond.notify_all()
                raise
            with self._cond:
                if not self._queue:
                    self._since = time.monotonic()
                self._queue.append((stream, buffer, length))
                stream._pending += 1
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="ibm_s3transfer-md5", daemon=True)
                    self._thread.start()
                self._cond.notify_all()

    def _buffer(self) -> bytearray:
        """A free buffer (waits for one when all are queued); called with the lock held."""
        while not self._free:
            if self._allocated < BUFFERS:
                self._allocated += 1
                return bytearray(BLOCK)
            self._wait()
        return self._free.pop()

    def close(self, stream: Stream) -> None:
        """Wait for the stream's queued blocks; it is fed no more."""
        with self._cond:
            self._open.discard(stream)
            while stream._pending:
                self._wait()

    def _wait(self) -> None:
        """Wait for the hashing thread, which then hashes without gathering more."""
        self._waiting += 1
        try:
            self._cond.wait()
        finally:
            self._waiting -= 1

    def _ready(self) -> bool:
        """Hash now: a block of every stream being fed (up to 8) is queued, a thread waits
        for a buffer or a digest, or the oldest block has waited GATHER_SECONDS."""
        if not self._queue:
            return False
        if self._waiting or time.monotonic() - self._since >= GATHER_SECONDS:
            return True
        queued = len({id(entry[0]) for entry in self._queue})
        return queued >= min(_GATHER_STREAMS, len(self._open))

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._ready():
                    if self._queue:
                        self._cond.wait(GATHER_SECONDS)
                    elif not self._cond.wait(IDLE_SECONDS) and not self._queue:
                        self._release_buffers()
                batch = self._take()
                self._since = time.monotonic()
            self._hash(batch)
            with self._cond:
                for stream, buffer, _length in batch:
                    stream._pending -= 1
                    self._free.append(buffer)
                self._cond.notify_all()

    def _release_buffers(self) -> None:
        """Idle for IDLE_SECONDS: give the free buffers back (called with the lock held)."""
        self._allocated -= len(self._free)
        self._free = []

    def _take(self) -> List[Tuple[Stream, bytearray, int]]:
        """The oldest queued block of each stream (called with the lock held)."""
        batch: List[Tuple[Stream, bytearray, int]] = []
        rest: List[Tuple[Stream, bytearray, int]] = []
        seen = set()
        for entry in self._queue:
            if id(entry[0]) in seen:
                rest.append(entry)
            else:
                seen.add(id(entry[0]))
                batch.append(entry)
        self._queue = rest
        return batch

    @staticmethod
    def _hash(batch: List[Tuple[Stream, bytearray, int]]) -> None:
        views = [memoryview(buffer)[:length] for _stream, buffer, length in batch]
        try:
            md5lanes.update_many([stream._hasher for stream, _b, _l in batch], views)
        except Exception as exc:  # not expected (the buffers are ours): the digest reports it
            for stream, _buffer, _length in batch:
                stream._error = exc
        finally:
            for view in views:
                view.release()

    def reset(self) -> None:
        """In a forked child: no hashing thread, nothing queued."""
        self.__init__()  # type: ignore[misc]


_SERVICE = _Service()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_SERVICE.reset)
