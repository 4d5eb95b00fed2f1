"""Integrity checks on uploaded payloads: Content-MD5 and the ``x-amz-checksum-*`` values."""
from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from typing import Callable, Dict, Mapping, Optional

from .errors import CosError


def _crc32(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(4, "big")


def _crc32c_table() -> list:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE: Optional[list] = None


def _crc32c(data: bytes) -> bytes:
    global _CRC32C_TABLE
    if _CRC32C_TABLE is None:
        _CRC32C_TABLE = _crc32c_table()
    table = _CRC32C_TABLE
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return (crc ^ 0xFFFFFFFF).to_bytes(4, "big")


ALGORITHMS: Dict[str, Callable[[bytes], bytes]] = {
    "crc32": _crc32,
    "sha1": lambda d: hashlib.sha1(d).digest(),
    "sha256": lambda d: hashlib.sha256(d).digest(),
}
# CRC32C in pure Python is slow: only check it for bodies up to this size.
CRC32C_LIMIT = 1024 * 1024


def digest(algorithm: str, data: bytes) -> Optional[bytes]:
    """The raw ``algorithm`` digest of ``data`` (``crc32``, ``crc32c``, ``sha1``, ``sha256``; any
    case), or None when the emulator does not compute it (unknown, or CRC32C over the limit)."""
    algo = algorithm.lower()
    if algo == "crc32c":
        return _crc32c(data) if len(data) <= CRC32C_LIMIT else None
    func = ALGORITHMS.get(algo)
    return func(data) if func is not None else None


def verify_payload(headers: Mapping[str, str], payload: bytes) -> None:
    """Raise a COS error when Content-MD5 or an x-amz-checksum-* value does not match ``payload``.

    ``headers`` has lower-case names (trailer checksums already merged in).
    """
    md5 = headers.get("content-md5")
    if md5:
        try:
            wanted = base64.b64decode(md5.strip(), validate=True)
        except (binascii.Error, ValueError):
            wanted = b""
        if len(wanted) != 16:
            raise CosError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
        if hashlib.md5(payload).digest() != wanted:
            raise CosError(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
    for name, value in headers.items():
        if not name.startswith("x-amz-checksum-") or name in ("x-amz-checksum-type", "x-amz-checksum-algorithm",
                                                                  "x-amz-checksum-mode"):
            continue
        algo = name[len("x-amz-checksum-"):]
        actual = digest(algo, payload)
        if actual is None:
            continue
        try:
            wanted = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise CosError(400, "InvalidRequest", f"Value for {name} header is invalid.") from None
        if actual != wanted:
            raise CosError(400, "BadDigest",
                           f"The {algo.upper()} you specified did not match the calculated checksum.")
