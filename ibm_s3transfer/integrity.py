"""What downloaded bytes must match: decided once per object, used by every downloader.

The threaded downloader (``ibm_s3transfer.download``, so ``download_file``,
``download_fileobj`` and the directory transfers built on the TransferManager) and the
process-pool downloader (``ibm_s3transfer.processpool``) both ask :func:`plan_verification`
which check applies to an object and use the :class:`Verifier` it returns.

Which check
    1. A stored checksum, read from the HeadObject answer (``ChecksumMode=ENABLED``). Its
       convention is read, never guessed:

       * ``<b64>-<N>``, or ``x-amz-checksum-type: COMPOSITE``: the CRC32 of the parts' CRC32s
         (ranges aligned to the parts, whose size comes from ``HeadObject(PartNumber=1)``);
       * ``x-amz-checksum-type: FULL_OBJECT``, or a plain value on a single-part object: the
         CRC32 of the whole object, combined from the CRC32s of the ranges;
       * a plain value on a multipart object with no type (servers differ here): ranges are
         aligned to the parts and either reading may match;
       * SHA-256 / SHA-1 of the whole object: the written data is hashed once at the end;
       * anything else (an unknown type, a value that does not decode): not a checksum we
         can read, so the ETag check below applies instead -- never a failure.

       When a stored checksum does not match even though the same bytes arrived twice, the
       ETag decides (the data written is read back and hashed): the bytes are rejected only
       when the ETag disagrees too, or cannot be used.
    2. Otherwise the ETag, when :func:`etag_check_enabled` says so (default: on over plain
       http, off over https; ``TransferConfig(verify_etag=True/False)`` forces it):

       * a 32-hex ETag (single PUT; not for SSE-C or SSE-KMS objects): the MD5 of the object;
       * ``<32 hex>-<N>`` (multipart): the MD5 of the concatenated MD5s of the N parts.

       The MD5s are computed while the ranges arrive, in the download threads
       (:class:`SegmentMD5`), never in a second pass; the parts of a multipart object
       are independent MD5 streams, which :mod:`ibm_s3transfer.hashing` hashes together
       in SIMD lanes, in a thread of its own and without the GIL. A mismatch
       fetches the object again; when two fetches agree with each other but not with the
       ETag (servers whose ETag is not an MD5, some encrypted objects), the data is
       accepted and this is logged at DEBUG.
    3. Otherwise only the lengths.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
import re
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from ibm_s3transfer import hashing
from ibm_s3transfer.crc import b64_to_crc32, composite_crc32, crc32_combine_all
from ibm_s3transfer.parts import spans
from ibm_s3transfer.utils import thread_buffer

logger = logging.getLogger(__name__)

HEAD_ARGS = ("VersionId", "SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5", "RequestPayer", "ExpectedBucketOwner", "ChecksumMode")
_MD5_ETAG = re.compile(r'^"?([0-9a-fA-F]{32})"?$')
_MULTIPART_ETAG = re.compile(r'^"?([0-9a-fA-F]{32})-(\d+)"?$')
_CHECKSUM_TYPES = ("", "FULL_OBJECT", "COMPOSITE")

MD5_MODES = ("md5", "md5-parts")
DESCRIPTIONS = {
    "crc32": "CRC32 checksum", "composite": "multipart CRC32 checksum", "either": "multipart CRC32 checksum",
    "sha1": "SHA-1 checksum", "sha256": "SHA-256 checksum", "md5": "ETag (MD5)", "md5-parts": "multipart ETag (MD5 of the part MD5s)",
}


def etag_check_enabled(config: Any, client: Any) -> bool:
    """The ETag policy: ``config.verify_etag`` when it is set, else on for plain-http endpoints."""
    setting = getattr(config, "verify_etag", None)
    if setting is not None:
        return bool(setting)
    meta = getattr(client, "meta", None)
    url = getattr(meta, "endpoint_url", None) or ""
    return url.lower().startswith("http://")


class SegmentMD5:
    """The MD5 of one segment (the object, or one part), fed by several threads in any order.

    The thread holding the block at the current position hashes it (outside the lock; the
    GIL is released) and then whatever other threads left waiting right after it; a block
    that arrives early is copied and waits. A segment a range restarted in is ``broken``
    (MD5 cannot be rewound): its digest is None and the round is fetched again.
    """

    __slots__ = ("start", "end", "_pos", "_md5", "_waiting", "_busy", "_lock", "broken")

    def __init__(self, start: int, length: int) -> None:
        self.start = start
        self.end = start + length
        self._pos = start
        self._md5 = hashing.Stream(length)
        self._waiting: Dict[int, bytes] = {}
        self._busy = False
        self._lock = threading.Lock()
        self.broken = False

    def feed(self, offset: int, block: Any) -> None:
        with self._lock:
            if self._busy or offset != self._pos:
                if offset >= self._pos and not self.broken:
                    self._waiting[offset] = bytes(block)
                else:
                    self.broken = True
                return
            self._busy = True
        data = block
        while True:
            self._md5.update(data)  # queued: hashed with other segments' blocks, in SIMD lanes
            with self._lock:
                self._pos += len(data)
                data = self._waiting.pop(self._pos, None)
                if data is None:
                    self._busy = False
                    return

    def digest(self) -> Optional[bytes]:
        with self._lock:
            if self.broken or self._pos != self.end:
                return None
            return self._md5.digest()


class Verifier:
    """What the downloaded bytes must match, and how strictly."""

    def __init__(self, mode: str, expected: Union[int, str, bytes, None] = None, strict: bool = True, part_count: int = 0) -> None:
        self.mode = mode  # "crc32", "composite", "either", "sha1", "sha256", "md5", "md5-parts" or "none"
        self.expected = expected
        self.strict = strict
        self.part_count = part_count
        self.part_bounds: List[int] = []
        # builds the ETag check that decides when a stored checksum keeps failing on the same bytes
        self.etag_check: Callable[[], Optional["Verifier"]] = lambda: None

    @property
    def wants_crc(self) -> bool:
        return self.mode in ("crc32", "composite", "either")

    @property
    def reads_back(self) -> bool:
        """SHA-1/SHA-256 cannot be combined from ranges: the written file is hashed at the end."""
        return self.mode in ("sha1", "sha256")

    @property
    def hashes_md5(self) -> bool:
        return self.mode in MD5_MODES

    def describe(self) -> str:
        return DESCRIPTIONS.get(self.mode, self.mode)

    # -- CRC32 ----------------------------------------------------------------------------
    def check(self, ranges: List[Tuple[int, int]], digests: List[Any]) -> bool:
        """The per-range digests (CRC32s) against the stored checksum (MD5 modes: md5_matches)."""
        if self.mode == "none" or self.reads_back or self.hashes_md5:
            return True
        if any(d is None for d in digests):
            return False
        if self.mode in ("crc32", "either"):
            if crc32_combine_all(zip(digests, (length for _, length in ranges))) == self.expected:
                return True
            if self.mode == "crc32":
                return False
        part_crcs = [crc32_combine_all((digests[i], ranges[i][1]) for i in part) for part in self.parts_of(ranges)]
        return composite_crc32(part_crcs) == self.expected

    def parts_of(self, ranges: List[Tuple[int, int]]) -> List[List[int]]:
        """Indexes of the ranges of each part (from the part boundaries)."""
        bounds = self.part_bounds or [start for start, _ in ranges]
        groups: List[List[int]] = []
        marks = set(bounds)
        for index, (start, _) in enumerate(ranges):
            if start in marks or not groups:
                groups.append([])
            groups[-1].append(index)
        return groups

    # -- MD5 (ETag) -----------------------------------------------------------------------
    def segments(self, total: int) -> List[Tuple[int, int]]:
        """The spans hashed separately: the whole object, or each part."""
        if self.mode == "md5-parts" and self.part_bounds:
            ends = self.part_bounds[1:] + [total]
            return [(start, end - start) for start, end in zip(self.part_bounds, ends)]
        return [(0, total)]

    def new_hashers(self, ranges: List[Tuple[int, int]]) -> List[SegmentMD5]:
        """One SegmentMD5 per range: ranges of the same segment share theirs."""
        total = sum(ranges[-1]) if ranges else 0
        segments = [SegmentMD5(start, length) for start, length in self.segments(total)]
        out, index = [], 0
        for start, _ in ranges:
            while index + 1 < len(segments) and start >= segments[index + 1].start:
                index += 1
            out.append(segments[index])
        return out

    def md5_matches(self, md5s: Sequence[Optional[bytes]]) -> bool:
        if any(d is None for d in md5s):
            return False
        if self.mode == "md5":
            return len(md5s) == 1 and md5s[0].hex() == self.expected  # type: ignore[union-attr]
        return len(md5s) == self.part_count and hashlib.md5(b"".join(md5s)).hexdigest() == self.expected  # type: ignore[arg-type]


def unique_digests(hashers: Sequence[SegmentMD5]) -> List[Optional[bytes]]:
    """The digest of each segment once (ranges of one segment share a hasher)."""
    seen: List[SegmentMD5] = []
    for hasher in hashers:
        if not seen or seen[-1] is not hasher:
            seen.append(hasher)
    return [hasher.digest() for hasher in seen]


def digest_written(read_at: Callable[[int, memoryview], int], spans: List[Tuple[int, int]], algorithm: str) -> Optional[List[bytes]]:
    """Read back what was written and hash each span (None when it cannot be read back)."""
    buffer = thread_buffer()
    digests: List[bytes] = []
    try:
        for start, length in spans:
            digest = hashlib.new(algorithm)
            offset, end = start, start + length
            while offset < end:
                view = buffer[: min(len(buffer), end - offset)]
                got = read_at(offset, view)
                if got <= 0:
                    return None
                digest.update(view[:got])
                offset += got
            digests.append(digest.digest())
    except (OSError, ValueError, io.UnsupportedOperation):
        logger.debug("Cannot read the download back to check its %s", algorithm, exc_info=True)
        return None
    return digests


def md5_of_written(verifier: Verifier, read_at: Callable[[int, memoryview], int], total: int) -> Optional[bool]:
    """Hash what was written, segment by segment, against the ETag (None if unreadable)."""
    digests = digest_written(read_at, verifier.segments(total), "md5")
    return None if digests is None else verifier.md5_matches(digests)


def etag_verifier(client: Any, head: Dict[str, Any], bucket: str, key: str, head_args: Dict[str, Any], size: int) -> Tuple[Optional[Verifier], Optional[List[int]]]:
    """The ETag check of this object, when its ETag is an MD5 (or MD5 of part MD5s)."""
    if head.get("SSECustomerAlgorithm") or head.get("ServerSideEncryption") == "aws:kms":
        return None, None
    etag = head.get("ETag") or ""
    plain = _MD5_ETAG.match(etag)
    if plain:
        return Verifier("md5", plain.group(1).lower(), strict=False), None
    multipart = _MULTIPART_ETAG.match(etag)
    if multipart:
        count = int(multipart.group(2))
        layout = part_layout(client, bucket, key, head_args, size, count)
        if layout and len(layout) == count:
            return Verifier("md5-parts", multipart.group(1).lower(), strict=False, part_count=count), layout
    return None, None


def plan_verification(client: Any, head: Dict[str, Any], bucket: str, key: str, head_args: Dict[str, Any], size: int,
                      config: Any = None) -> Tuple[Verifier, Optional[List[int]]]:
    """Choose the check for this object; returns (verifier, part sizes to align ranges on).

    The ETag policy is :func:`etag_check_enabled` of ``config``; a stored checksum that
    cannot be read falls back to the ETag unless ``config.verify_etag`` is False.
    """
    etag = head.get("ETag") or ""
    multipart = _MULTIPART_ETAG.match(etag)
    kind = (head.get("ChecksumType") or "").upper()
    stored = [name for name in head if name.startswith("Checksum") and name != "ChecksumType" and head.get(name)]
    understood = _stored_checksum(client, head, bucket, key, head_args, size, kind, multipart) if kind in _CHECKSUM_TYPES else None
    if understood is not None and understood[0].mode != "none":
        verifier, layout = understood

        def etag_check() -> Optional[Verifier]:
            fallback, fallback_layout = etag_verifier(client, head, bucket, key, head_args, size)
            if fallback is not None and fallback.mode == "md5-parts":
                fallback.part_bounds = _bounds(fallback_layout or [])
            return fallback

        verifier.etag_check = etag_check
        return verifier, layout
    if understood is None and stored:
        logger.debug("%s/%s: checksum convention not understood (type %r, %s); using the ETag", bucket, key, kind, stored)
    forced = getattr(config, "verify_etag", None)
    if etag_check_enabled(config, client) or (understood is None and stored and forced is not False):
        etag_only, etag_layout = etag_verifier(client, head, bucket, key, head_args, size)
        if etag_only is not None:
            return etag_only, etag_layout
    return Verifier("none"), None


def _bounds(layout: List[int]) -> List[int]:
    bounds, offset = [], 0
    for part in layout:
        bounds.append(offset)
        offset += part
    return bounds


def _stored_checksum(client: Any, head: Dict[str, Any], bucket: str, key: str, head_args: Dict[str, Any], size: int,
                     kind: str, multipart: Any) -> Optional[Tuple[Verifier, Optional[List[int]]]]:
    """The stored-checksum check, (Verifier('none'), None) when there is none, None when unreadable."""
    value = head.get("ChecksumCRC32")
    if value:
        base, dash, suffix = value.partition("-")
        crc = b64_to_crc32(base)
        if crc is None or (dash and not suffix.isdigit()):
            return None
        if kind == "FULL_OBJECT" and not dash:
            return Verifier("crc32", crc, strict=True), None
        if kind == "FULL_OBJECT" or (not dash and not kind and multipart is None):
            if dash:
                return None  # a composite form declared full-object: not a convention we know
            return Verifier("crc32", crc, strict=True), None
        count = int(suffix) if dash else (int(multipart.group(2)) if multipart else 0)
        if not count:
            return None  # composite, of how many parts?
        layout = part_layout(client, bucket, key, head_args, size, count)
        mode = "composite" if (dash or kind == "COMPOSITE") else "either"
        if layout:
            return Verifier(mode, crc, strict=True, part_count=count), layout
        if mode == "either":
            return Verifier("crc32", crc, strict=False), None
        return Verifier("none"), None
    for algorithm in ("SHA256", "SHA1"):
        other = head.get("Checksum" + algorithm)
        if not other:
            continue
        if "-" in other or kind == "COMPOSITE" or (multipart is not None and kind != "FULL_OBJECT"):
            return Verifier("none"), None  # composite SHA: not combinable from ranges
        try:
            expected = base64.b64decode(other, validate=True)
        except (binascii.Error, ValueError):
            return None
        return Verifier(algorithm.lower(), expected, strict=True), None
    if head.get("ChecksumCRC32C") or head.get("ChecksumCRC64NVME"):
        return None  # not computed here: the ETag decides
    return Verifier("none"), None


def part_layout(client: Any, bucket: str, key: str, head_args: Dict[str, Any], size: int, count: int) -> Optional[List[int]]:
    """The sizes of the object's parts: all as large as part 1 but the last (one HeadObject),
    or, when the size does not fit that, each part's own size (one HeadObject per part)."""
    if count <= 0:
        return None
    if count == 1:
        return [size] if size else None
    try:
        first = client.head_object(Bucket=bucket, Key=key, PartNumber=1, **head_args).get("ContentLength") or 0
        if first > 0 and (count - 1) * first < size <= count * first:
            return [first] * (count - 1) + [size - (count - 1) * first]
        if count > 1000:
            return None
        sizes = [first] + [
            client.head_object(Bucket=bucket, Key=key, PartNumber=number, **head_args).get("ContentLength") or 0
            for number in range(2, count + 1)
        ]
    except Exception:
        logger.debug("Part sizes unavailable; the part-wise checks are skipped", exc_info=True)
        return None
    return sizes if sum(sizes) == size and all(sizes) else None


def part_ranges(sizes: List[int], step: int) -> Tuple[List[Tuple[int, int]], List[int]]:
    """Ranges of at most ``step`` bytes that never straddle a part; and the parts' offsets."""
    ranges: List[Tuple[int, int]] = []
    bounds: List[int] = []
    offset = 0
    for size in sizes:
        bounds.append(offset)
        ranges.extend(spans(size, step, offset))
        offset += size
    return ranges, bounds
