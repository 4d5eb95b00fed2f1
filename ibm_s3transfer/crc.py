"""CRC-32 arithmetic for transfers: combining the CRC32s of adjacent pieces, S3's
composite (multipart) CRC32, and the base64 form S3 headers carry.

The per-byte CRC32 is computed in C (``ibm_botocore.checksums.crc32``); this module
only does the polynomial math on finished values, so it never touches the data.
"""
from __future__ import annotations

import base64
import binascii
import threading
import zlib
from typing import Dict, Iterable, List, Optional, Tuple

__all__ = ["crc32_combine", "crc32_combine_all", "crc32_to_b64", "b64_to_crc32", "composite_crc32"]

# -- CRC32 arithmetic -------------------------------------------------------------------------
# CRC-32 (the zlib/PNG polynomial) in its bit-reflected form. Combining the CRCs of two
# adjacent pieces needs x^(8*len(B)) mod P; ``_x8n`` computes it by repeated squaring
# from a table of x^(2^k), and ``_mulmod`` multiplies two residues modulo P.
_POLY = 0xEDB88320
_ONE = 0x80000000  # the polynomial "1" in reflected bit order


def _mulmod(a: int, b: int) -> int:
    product = 0
    bit = _ONE
    while a:
        if a & bit:
            product ^= b
            a ^= bit
        bit >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return product


def _build_powers() -> List[int]:
    powers = []
    value = _ONE >> 1  # x^1
    for _ in range(64):
        powers.append(value)
        value = _mulmod(value, value)
    return powers


_X_POW_2K = _build_powers()
_SHIFT_CACHE: Dict[int, int] = {}
_SHIFT_LOCK = threading.Lock()


def _x8n(length: int) -> int:
    """x^(8*length) mod P."""
    cached = _SHIFT_CACHE.get(length)
    if cached is not None:
        return cached
    result = _ONE
    exponent = length * 8
    k = 0
    while exponent:
        if exponent & 1:
            result = _mulmod(_X_POW_2K[k], result)
        exponent >>= 1
        k += 1
    with _SHIFT_LOCK:
        if len(_SHIFT_CACHE) > 256:
            _SHIFT_CACHE.clear()
        _SHIFT_CACHE[length] = result
    return result


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC32 of A+B from crc32(A), crc32(B) and len(B)."""
    if len2 <= 0:
        return crc1
    return _mulmod(_x8n(len2), crc1) ^ crc2


def crc32_combine_all(pieces: Iterable[Tuple[int, int]]) -> int:
    """CRC32 of the concatenation of pieces given as (crc32, length), in order."""
    total = 0
    for crc, length in pieces:
        total = crc32_combine(total, crc, length)
    return total


def crc32_to_b64(value: int) -> str:
    return base64.b64encode(value.to_bytes(4, "big")).decode("ascii")


def b64_to_crc32(value: str) -> Optional[int]:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 4:
        return None
    return int.from_bytes(raw, "big")


def composite_crc32(part_crcs: Iterable[int]) -> int:
    """S3's multipart (COMPOSITE) CRC32: the CRC32 of the parts' big-endian CRC32s."""
    return zlib.crc32(b"".join(c.to_bytes(4, "big") for c in part_crcs))
