"""MD5 hashers for ETag checks, and many of them updated at once.

A download is checked against the object's ETag: the MD5 of the object, or for a multipart
object the MD5 of each part. One MD5 stream runs at about 0.7 GB/s and cannot be split,
but the parts of a multipart download are independent streams. ``ibm_s3transfer._md5lanes``
(a C extension, built when a compiler was there at install time) hashes up to 16 of them
in the lanes of one AVX-512F register, or 8 with AVX2, for the cost of one.

* :func:`new` returns an MD5 hasher with hashlib's interface and results (``update``,
  ``digest``, ``hexdigest``, ``copy``, ``name``, ``digest_size``, ``block_size``): the C
  one when the extension is there, else ``hashlib.md5``. Both release the GIL on large
  buffers.
* :func:`update_many` ``(hashers, buffers)`` is ``hashers[i].update(buffers[i])`` for
  every ``i``, the streams hashed together and without the GIL. The hashers must come from
  :func:`new`. Two sequences of different lengths, or one hasher listed twice, raise
  ``ValueError``; an item that is not a bytes-like object raises ``TypeError``; in each
  case no hasher has been updated. With the extension, a hasher another thread is updating
  at that moment raises ``RuntimeError`` (never a corrupt state); hashlib's hashers have
  their own lock instead.
* ``LANES`` is how many streams one instruction advances on this CPU (16, 8; 1 without
  SIMD or without the extension) and ``ACCELERATED`` whether that is more than one.

The results never depend on which path ran: tests compare every path with ``hashlib.md5``.
"""
from __future__ import annotations

import hashlib
import importlib
import sys
from types import ModuleType
from typing import Optional, Protocol, Sequence, Union, cast

__all__ = ["Hasher", "new", "update_many", "LANES", "ACCELERATED"]

Buffer = Union[bytes, bytearray, memoryview]


class Hasher(Protocol):
    """What :func:`new` returns: the part of hashlib's hash interface used here."""

    @property
    def name(self) -> str: ...

    @property
    def digest_size(self) -> int: ...

    @property
    def block_size(self) -> int: ...

    def update(self, data: Buffer, /) -> None: ...

    def digest(self) -> bytes: ...

    def hexdigest(self) -> str: ...

    def copy(self) -> Hasher: ...


def _load_extension() -> Optional[ModuleType]:
    try:
        return importlib.import_module("ibm_s3transfer._md5lanes")
    except ImportError:  # not built (no compiler at install time): hashlib gives the same digests
        return None


_C = _load_extension()

if sys.version_info >= (3, 9):

    def _fallback_new(data: Buffer = b"") -> Hasher:
        # an ETag check is an integrity check, not a security one: allowed in FIPS mode
        return hashlib.md5(data, usedforsecurity=False)

else:  # pragma: no cover - Python 3.8

    def _fallback_new(data: Buffer = b"") -> Hasher:
        return hashlib.md5(data)


def _fallback_update_many(hashers: Sequence[Hasher], buffers: Sequence[Buffer]) -> None:
    """update_many without the extension: the same checks, then one update after another."""
    _check_pairs(hashers, buffers)
    views = [memoryview(buffer) for buffer in buffers]  # TypeError before any update
    for hasher, view in zip(hashers, views):
        hasher.update(view)


def _check_pairs(hashers: Sequence[Hasher], buffers: Sequence[Buffer]) -> None:
    if len(hashers) != len(buffers):
        raise ValueError(f"update_many: {len(hashers)} hashers but {len(buffers)} buffers")
    if len({id(hasher) for hasher in hashers}) != len(hashers):
        raise ValueError("update_many: the same hasher appears twice")


def _c_new(data: Buffer = b"") -> Hasher:
    return cast(Hasher, cast(ModuleType, _C).MD5(data))


def _c_update_many(hashers: Sequence[Hasher], buffers: Sequence[Buffer]) -> None:
    cast(ModuleType, _C).update_many(hashers, buffers)


if _C is not None:
    LANES: int = int(_C.LANES)
    ACCELERATED: bool = bool(_C.ACCELERATED)
    new = _c_new
    update_many = _c_update_many
else:
    LANES = 1
    ACCELERATED = False
    new = _fallback_new
    update_many = _fallback_update_many
