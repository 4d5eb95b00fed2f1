"""Downloads: one GET below the multipart threshold, parallel ranged GETs above.

Where the bytes go
    * a filename: a temporary file ``<name>.<8 hex digits>`` in the same directory,
      sized up front; every range is written with ``os.pwrite`` at its offset by the
      thread that received it (no shared file position, no I/O thread), straight from
      a 1 MiB buffer the thread reuses. Only after every range arrived complete and the
      checks below passed is it renamed over ``<name>`` (``os.replace``). On failure or
      cancellation the temporary file is deleted and ``<name>`` is left as it was;
    * a plain binary file object on a regular file: the same positional writes on its
      descriptor, after its current position;
    * other seekable objects (BytesIO, ...): seek + write under a lock;
    * non-seekable objects (pipes, sockets, custom streams): ranges are held in memory
      (at most ``max_in_memory_download_chunks`` per manager) and written in order.

What is verified
    Every GET carries ``If-Match: <ETag>`` (the object cannot change half-way) and
    every range must deliver exactly its length (short or cut bodies are retried). The
    object's checksum comes from a HeadObject with ``ChecksumMode=ENABLED``:

    * full-object CRC32 (single-part objects uploaded with checksums, or
      ``ChecksumType=FULL_OBJECT``): the CRC32 of each range is computed as it
      streams in (C, whole blocks) and the range CRCs are combined
      (``crc32_combine``) into the object's CRC32, which must match;
    * composite CRC32 ``<b64>-<N>`` (multipart objects uploaded with checksums): the
      ranges are aligned to the parts (size of part 1 from a HeadObject with
      ``PartNumber=1``), and the CRC32 of the parts' CRC32s must match;
    * full-object SHA-256 / SHA-1 (no CRC32): the written data is read back and hashed
      in order once every range arrived;
    * none of these, but an object small enough for a single GET whose ETag looks like
      an MD5 (no SSE-C / KMS): the MD5 of the body must match the ETag;
    * otherwise only the lengths are checked (a single GET is still checked by the
      client against any full-object checksum header of the response).

    On a mismatch the ranges are fetched again (into the temporary file, never into
    the target) and the check is repeated as soon as a re-fetched range differs from
    the first copy, up to ``num_download_attempts`` rounds. When the same bytes arrive
    twice and still do not match, the download fails -- except that a composite CRC32 is
    first recomputed with the real part sizes (HeadObject per part, data read back), in
    case the parts were not of equal size, and an ETag under IBM Key Protect (which may
    not be an MD5) is accepted. Non-seekable targets cannot be rewritten: a mismatch
    there fails the download after the data was written.

Retries
    Each range is retried up to ``num_download_attempts`` times on connection errors,
    timeouts, 5xx, truncated bodies and response-checksum errors (on top of the
    client's own retries of the request), then the download fails with
    RetriesExceededError.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
import os
import re
import stat
import threading
from typing import Any, Dict, List, Optional, Tuple

from ibm_botocore.checksums import crc32
from ibm_botocore.s3 import request_hints
from ibm_s3transfer.exceptions import ChecksumMismatchError, RetriesExceededError
from ibm_s3transfer.tasks import SubmissionTask, Task
from ibm_s3transfer.upload import is_retryable
from ibm_s3transfer.utils import (
    OSUtils,
    ProgressReporter,
    b64_to_crc32,
    composite_crc32,
    crc32_combine_all,
    get_callbacks,
    pread_into,
    pwrite_all,
    thread_buffer,
)

logger = logging.getLogger(__name__)

HEAD_ARGS = ("VersionId", "SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5", "RequestPayer", "ExpectedBucketOwner", "ChecksumMode")
_MD5_ETAG = re.compile(r'^"?([0-9a-fA-F]{32})"?$')
_MULTIPART_ETAG = re.compile(r'^"?[0-9a-fA-F]{32}-(\d+)"?$')


class _ShortRead(Exception):
    """A range delivered fewer (or more) bytes than asked for."""


# -- writers -----------------------------------------------------------------------------------
class _FdWriter:
    """Positional writes on a file descriptor (temporary file, or a user's plain file)."""

    rewritable = True
    streams = True

    def __init__(self, fd: int, base: int = 0) -> None:
        self.fd = fd
        self.base = base
        # Concurrent writes to one file contend for the inode lock in the kernel,
        # which spins; taking turns here (the waiters sleep) costs far less CPU.
        self._lock = threading.Lock()

    def write(self, offset: int, view: Any) -> None:
        with self._lock:
            pwrite_all(self.fd, view, self.base + offset)

    def read_at(self, offset: int, view: memoryview) -> int:
        """Read back written data (used to re-check a checksum); raises OSError if write-only."""
        return pread_into(self.fd, view, self.base + offset)


class _SeekWriter:
    """seek + write under a lock, for seekable file objects without a descriptor."""

    rewritable = True
    streams = True

    def __init__(self, fileobj: Any) -> None:
        self.fileobj = fileobj
        self.base = fileobj.tell()
        self._lock = threading.Lock()

    def write(self, offset: int, view: Any) -> None:
        with self._lock:
            self.fileobj.seek(self.base + offset)
            self.fileobj.write(view)

    def read_at(self, offset: int, view: memoryview) -> int:
        with self._lock:
            self.fileobj.seek(self.base + offset)
            readinto = getattr(self.fileobj, "readinto", None)
            if readinto is not None:
                return readinto(view) or 0
            data = self.fileobj.read(len(view))
            view[: len(data)] = data
            return len(data)


class _OrderedWriter:
    """Writes whole ranges in order to a non-seekable object; out-of-order ones wait in memory."""

    rewritable = False
    streams = False

    def __init__(self, fileobj: Any, slots: Any) -> None:
        self.fileobj = fileobj
        self.slots = slots
        self._lock = threading.Lock()
        self._next = 0
        self._waiting: Dict[int, bytearray] = {}

    def deliver(self, index: int, data: bytearray) -> None:
        with self._lock:
            self._waiting[index] = data
            while self._next in self._waiting:
                chunk = self._waiting.pop(self._next)
                self.fileobj.write(chunk)
                self._next += 1
                self.slots.release()

    def drop_all(self) -> None:
        with self._lock:
            for _ in self._waiting:
                self.slots.release()
            self._waiting.clear()


class DownloadSlots:
    """At most ``count`` ranges held in memory at once (non-seekable targets only)."""

    def __init__(self, count: int) -> None:
        self._count = count
        self._used = 0
        self._cond = threading.Condition()

    def acquire(self, coordinator: Any) -> None:
        with self._cond:
            while self._used >= self._count:
                if coordinator.done():
                    raise coordinator.exception or RuntimeError("transfer ended")
                self._cond.wait(0.2)
            self._used += 1

    def release(self) -> None:
        with self._cond:
            self._used -= 1
            self._cond.notify()


# -- the object and how to check it ------------------------------------------------------------
class Verifier:
    """What the downloaded bytes must match, and how strictly."""

    def __init__(self, mode: str, expected: Any = None, strict: bool = True, part_count: int = 0) -> None:
        self.mode = mode  # "crc32", "composite", "md5" or "none"
        self.expected = expected
        self.strict = strict
        self.part_count = part_count
        self.part_bounds: List[int] = []

    @property
    def wants_crc(self) -> bool:
        return self.mode in ("crc32", "composite")

    @property
    def reads_back(self) -> bool:
        """SHA-1/SHA-256 cannot be combined from ranges: the written file is hashed at the end."""
        return self.mode in ("sha1", "sha256")

    def check(self, ranges: List[Tuple[int, int]], digests: List[Any]) -> bool:
        if self.mode == "none" or self.reads_back:
            return True
        if any(d is None for d in digests):
            return False
        if self.mode == "crc32":
            return crc32_combine_all(zip(digests, (length for _, length in ranges))) == self.expected
        if self.mode == "composite":
            # ranges never straddle parts: combine each part's ranges into its CRC32
            part_crcs = []
            for part in self.parts_of(ranges):
                part_crcs.append(crc32_combine_all((digests[i], ranges[i][1]) for i in part))
            return composite_crc32(part_crcs) == self.expected
        return digests[0] == self.expected

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


def plan_verification(client: Any, head: Dict[str, Any], bucket: str, key: str, head_args: Dict[str, Any], size: int, threshold: int) -> Tuple[Verifier, Optional[List[int]]]:
    """Choose the check for this object; returns (verifier, part sizes to align ranges on)."""
    etag = head.get("ETag") or ""
    multipart = _MULTIPART_ETAG.match(etag)
    value = head.get("ChecksumCRC32")
    kind = (head.get("ChecksumType") or "").upper()
    if value:
        base, _, suffix = value.partition("-")
        crc = b64_to_crc32(base)
        if crc is not None:
            composite = bool(suffix) or kind == "COMPOSITE" or (kind != "FULL_OBJECT" and multipart is not None)
            if not composite:
                return Verifier("crc32", crc, strict=True), None
            count = int(suffix) if suffix.isdigit() else (int(multipart.group(1)) if multipart else 0)
            layout = _part_layout(client, bucket, key, head_args, size, count)
            if layout:
                return Verifier("composite", crc, strict=True, part_count=count), layout
            return Verifier("none"), None
    for algorithm in ("SHA256", "SHA1"):
        other = head.get("Checksum" + algorithm)
        if other and "-" not in other and kind != "COMPOSITE" and (multipart is None or kind == "FULL_OBJECT"):
            try:
                expected = base64.b64decode(other, validate=True)
            except (binascii.Error, ValueError):
                continue
            return Verifier(algorithm.lower(), expected, strict=True), None
    md5 = _MD5_ETAG.match(etag)
    encrypted = head.get("SSECustomerAlgorithm") or head.get("ServerSideEncryption") == "aws:kms"
    if md5 and not encrypted and size < threshold:
        # With IBM Key Protect / HPCS keys the ETag may not be the MD5 of the data.
        key_protect = any(k.startswith("IBMSSEKP") for k in head)
        return Verifier("md5", md5.group(1).lower(), strict=not key_protect), None
    return Verifier("none"), None


def _part_layout(client: Any, bucket: str, key: str, head_args: Dict[str, Any], size: int, count: int) -> Optional[List[int]]:
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
        logger.debug("Part sizes unavailable; the composite checksum is not checked", exc_info=True)
        return None
    return sizes if sum(sizes) == size and all(sizes) else None


def part_ranges(sizes: List[int], step: int) -> Tuple[List[Tuple[int, int]], List[int]]:
    """Ranges of at most ``step`` bytes that never straddle a part; and the parts' offsets."""
    ranges: List[Tuple[int, int]] = []
    bounds: List[int] = []
    offset = 0
    for size in sizes:
        bounds.append(offset)
        for start in range(offset, offset + size, step):
            ranges.append((start, min(step, offset + size - start)))
        offset += size
    return ranges, bounds


def _ranges(size: int, step: int) -> List[Tuple[int, int]]:
    if size == 0:
        return [(0, 0)]
    return [(start, min(step, size - start)) for start in range(0, size, step)]


# -- submission --------------------------------------------------------------------------------
class DownloadSubmissionTask(SubmissionTask):
    """Finds out the size and checksum, prepares the target and submits the range GETs."""

    def _submit(  # type: ignore[override]
        self,
        client: Any,
        config: Any,
        osutil: Any,
        request_executor: Any,
        submission_executor: Any,
        transfer_future: Any,
        download_slots: DownloadSlots,
        bandwidth_limiter: Any = None,
    ) -> None:
        coordinator = self._transfer_coordinator
        call_args = transfer_future.meta.call_args
        bucket, key = call_args.bucket, call_args.key
        extra_args = dict(call_args.extra_args or {})
        head_args = {k: v for k, v in extra_args.items() if k in HEAD_ARGS}
        etag = None
        verifier = Verifier("none")
        layout: Optional[List[int]] = None
        size = transfer_future.meta.size
        if size is None:
            # the stored checksum is asked for outside the parameters users' stubs expect
            with request_hints(checksum_mode=True):
                head = client.head_object(Bucket=bucket, Key=key, **head_args)
            size = head["ContentLength"]
            transfer_future.meta.provide_transfer_size(size)
            etag = head.get("ETag")
            if etag:
                transfer_future.meta.provide_object_etag(etag)
            if not (head_args.get("ChecksumMode") or "").upper() == "DISABLED":
                verifier, layout = plan_verification(client, head, bucket, key, head_args, size, config.multipart_threshold)
        if layout:
            ranges, verifier.part_bounds = part_ranges(layout, config.multipart_chunksize)
            whole = len(ranges) == 1
        elif size < config.multipart_threshold:
            ranges, whole = [(0, size)], True
        else:
            ranges, whole = _ranges(size, config.multipart_chunksize), False
        get_args = dict(extra_args)
        # The GETs are pinned to the HEAD's ETag by a request hint (If-Match on the wire,
        # not a parameter), unless the caller gave IfMatch.
        if_match = etag if "IfMatch" not in extra_args else None
        writer, finish = self._prepare_target(call_args.fileobj, osutil, size, coordinator, download_slots)
        state = _DownloadState(
            client=client, config=config, coordinator=coordinator, bucket=bucket, key=key, get_args=get_args,
            if_match=if_match, retry_os_errors=getattr(config, "retry_os_errors", False),
            ranges=ranges, whole=whole, writer=writer, finish=finish, verifier=verifier,
            progress=ProgressReporter(get_callbacks(transfer_future, "progress")), limiter=bandwidth_limiter,
            request_executor=request_executor, submission_executor=submission_executor, slots=download_slots,
        )
        state.submit_round()

    @staticmethod
    def _custom_target(osutil: Any, filename: str, temp: str, coordinator: Any, slots: DownloadSlots) -> Tuple[Any, Any]:
        """The temporary file opened with a user's ``OSUtils.open`` (written at offsets when it has a descriptor)."""
        stream = osutil.open(temp, "wb")
        closed = [False]

        def close() -> None:
            if not closed[0]:
                closed[0] = True
                stream.close()

        def discard() -> None:
            close()
            osutil.remove_file(temp)

        coordinator.add_failure_cleanup(discard)
        writer: Any = None
        try:
            fd = stream.fileno()
            if stat.S_ISREG(os.fstat(fd).st_mode):
                stream.flush()
                writer = _FdWriter(fd)
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            writer = None
        if writer is None:
            try:
                writer = _SeekWriter(stream) if stream.seekable() else _OrderedWriter(stream, slots)
            except (AttributeError, OSError, ValueError):
                writer = _OrderedWriter(stream, slots)

        def finish() -> None:
            close()
            osutil.rename_file(temp, filename)

        return writer, finish

    @staticmethod
    def _prepare_target(fileobj: Any, osutil: Any, size: int, coordinator: Any, slots: DownloadSlots) -> Tuple[Any, Any]:
        if isinstance(fileobj, (str, os.PathLike)):
            filename = os.fspath(fileobj)
            if osutil.is_special_file(filename):
                stream = osutil.open(filename, "wb")
                coordinator.add_done_callback(stream.close)
                return _OrderedWriter(stream, slots), None
            temp = osutil.get_temp_filename(filename)
            if type(osutil).open is not OSUtils.open:
                return DownloadSubmissionTask._custom_target(osutil, filename, temp, coordinator, slots)
            fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            closed = [False]

            def close_fd() -> None:
                if not closed[0]:
                    closed[0] = True
                    os.close(fd)

            def discard() -> None:
                close_fd()
                osutil.remove_file(temp)

            coordinator.add_failure_cleanup(discard)
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass

            def finish() -> None:
                actual = os.fstat(fd).st_size
                close_fd()
                if actual != size:
                    raise _ShortRead("Downloaded %d bytes, expected %d" % (actual, size))
                osutil.rename_file(temp, filename)

            return _FdWriter(fd), finish
        if type(fileobj) in (io.BufferedWriter, io.BufferedRandom, io.FileIO) and "a" not in getattr(fileobj, "mode", "a"):
            try:
                fd = fileobj.fileno()
                if stat.S_ISREG(os.fstat(fd).st_mode) and fileobj.seekable():
                    fileobj.flush()
                    start = fileobj.tell()

                    def finish_fd() -> None:
                        fileobj.seek(start + size)

                    return _FdWriter(fd, start), finish_fd
            except (OSError, ValueError, io.UnsupportedOperation):
                pass
        seekable = False
        try:
            seekable = bool(fileobj.seekable())
        except (AttributeError, OSError, ValueError):
            seekable = False
        if seekable:
            writer = _SeekWriter(fileobj)

            def finish_seek() -> None:
                fileobj.seek(writer.base + size)

            return writer, finish_seek
        return _OrderedWriter(fileobj, slots), None


def _reader_into(body: Any) -> Any:
    """``readinto`` for a body that only has ``read`` (e.g. a stubbed response body)."""

    def readinto(view: memoryview) -> int:
        data = body.read(len(view))
        count = len(data) if data else 0
        view[:count] = data
        return count

    return readinto


class _DownloadState:
    """Shared by the range tasks of one download: rounds, digests and completion."""

    def __init__(self, **kwargs: Any) -> None:
        for name, value in kwargs.items():
            setattr(self, name, value)
        self.digests: List[Any] = [None] * len(self.ranges)
        self.round = 0
        self._lock = threading.Lock()
        self._pending = 0
        self._satisfied = False
        self._changed = False
        if isinstance(self.writer, _OrderedWriter):
            self.coordinator.add_failure_cleanup(self.writer.drop_all)

    # -- rounds --------------------------------------------------------------------------
    def submit_round(self) -> None:
        """Submit a GET task for every range (runs on the submission executor)."""
        with self._lock:
            self.round += 1
            self._pending = len(self.ranges)
            self._satisfied = False
            self._changed = False
            round_no = self.round
        coordinator = self.coordinator
        ordered = isinstance(self.writer, _OrderedWriter)
        for index in range(len(self.ranges)):
            if coordinator.done():
                # the tasks never submitted still count as finished for the round
                with self._lock:
                    self._pending -= len(self.ranges) - index
                return
            if ordered:
                self.slots.acquire(coordinator)
            task = RangeTask(coordinator, {"state": self, "index": index, "round_no": round_no})
            task.holds_slot = ordered
            try:
                coordinator.submit(self.request_executor, task)
            except BaseException:
                if ordered:
                    self.slots.release()
                raise

    def range_done(self, index: int, round_no: int, digest: Any) -> None:
        with self._lock:
            if round_no == 1:
                self.digests[index] = digest
            elif digest != self.digests[index]:
                self.digests[index] = digest
                self._changed = True
                if not self._satisfied and self.verifier.check(self.ranges, self.digests):
                    self._satisfied = True
            self._pending -= 1
            last = self._pending == 0
        if last:
            self._round_complete()

    def range_skipped(self) -> None:
        with self._lock:
            self._pending -= 1
            last = self._pending == 0
        if last:
            self._round_complete()

    def satisfied(self) -> bool:
        return self._satisfied

    def _round_complete(self) -> None:
        coordinator = self.coordinator
        if coordinator.done():
            return
        verifier = self.verifier
        if self._satisfied or verifier.check(self.ranges, self.digests):
            if not verifier.reads_back or self._read_back_matches() is not False:
                self._finalize()
                return
        elif verifier.mode == "composite" and self._recheck_with_part_sizes():
            # the parts were not all the size of part 1: the data matches the real parts
            self._finalize()
            return
        message = "%s/%s: the downloaded data does not match the object's %s" % (
            self.bucket, self.key, {"crc32": "CRC32 checksum", "composite": "multipart CRC32 checksum", "md5": "ETag (MD5)",
             "sha1": "SHA-1 checksum", "sha256": "SHA-256 checksum"}[verifier.mode],
        )
        logger.debug("%s (round %d)", message, self.round)
        if not self.writer.rewritable:
            raise ChecksumMismatchError(message)
        if self.round > 1 and not self._changed:
            # The same bytes arrived twice. A full-object CRC32 leaves no doubt. A
            # composite CRC32 was checked assuming equal parts: check it again with the
            # real part sizes; an ETag that is not an MD5 (encryption) is accepted.
            if verifier.mode == "composite":
                verdict = self._recheck_with_part_sizes()  # False here unless it could not be computed
                accept = verdict is not False
            else:
                verdict, accept = None, not verifier.strict
            if not accept:
                raise RetriesExceededError(ChecksumMismatchError(message + " (the same data arrived twice)"))
            if verdict is None:
                logger.warning("%s, but the same data arrived twice and cannot be checked otherwise; accepting it", message)
            self._finalize()
            return
        if self.round >= self.config.num_download_attempts:
            raise RetriesExceededError(ChecksumMismatchError(message))
        coordinator.submit(self.submission_executor, _RoundTask(coordinator, {"state": self}))

    def _read_back_matches(self) -> Optional[bool]:
        """Hash what was written, in order (None when the target cannot be read back)."""
        reader = getattr(self.writer, "read_at", None)
        if reader is None:
            return None
        digest = hashlib.new(self.verifier.mode)
        total = sum(self.ranges[-1]) if self.ranges else 0
        buffer = thread_buffer()
        offset = 0
        try:
            while offset < total:
                view = buffer[: min(len(buffer), total - offset)]
                got = reader(offset, view)
                if got <= 0:
                    return None
                digest.update(view[:got])
                offset += got
        except (OSError, ValueError, io.UnsupportedOperation):
            logger.debug("Cannot read the download back to check its %s", self.verifier.mode, exc_info=True)
            return None
        return digest.digest() == self.verifier.expected

    def _recheck_with_part_sizes(self) -> Optional[bool]:
        """Composite CRC32 over the real part boundaries, re-reading what was written.

        True/False when it could be computed, None when it could not (too many parts,
        part sizes unavailable, or a target that cannot be read back).
        """
        count = self.verifier.part_count
        if not count or count > 1000 or not hasattr(self.writer, "read_at"):
            return None
        sizes = getattr(self, "_part_sizes", None)
        if sizes is None:
            head_args = {k: v for k, v in self.get_args.items() if k in HEAD_ARGS}
            sizes = []
            try:
                for number in range(1, count + 1):
                    part = self.client.head_object(Bucket=self.bucket, Key=self.key, PartNumber=number, **head_args)
                    sizes.append(part["ContentLength"])
            except Exception:
                logger.debug("Part sizes unavailable", exc_info=True)
                return None
            self._part_sizes = sizes
        real_bounds, offset = [], 0
        for size in sizes:
            real_bounds.append(offset)
            offset += size
        if real_bounds == self.verifier.part_bounds:
            return False  # the ranges already followed the parts: nothing new to learn
        total = sum(self.ranges[-1]) if self.ranges else 0
        if sum(sizes) != total:
            return None
        buffer = thread_buffer()
        crcs = []
        offset = 0
        try:
            for size in sizes:
                crc = 0
                end = offset + size
                while offset < end:
                    view = buffer[: min(len(buffer), end - offset)]
                    got = self.writer.read_at(offset, view)
                    if got <= 0:
                        return None
                    crc = crc32(view[:got], crc)
                    offset += got
                crcs.append(crc)
        except (OSError, ValueError, io.UnsupportedOperation):
            return None
        return composite_crc32(crcs) == self.verifier.expected

    def _finalize(self) -> None:
        if self.finish is not None:
            self.finish()
        self.coordinator.set_result(None)


class _RoundTask(Task):
    def _main(self, state: _DownloadState) -> None:  # type: ignore[override]
        state.submit_round()


class RangeTask(Task):
    """GETs one range (or the whole object), checksums it and writes it to the target."""

    holds_slot = False

    def _cleanup(self) -> None:
        if self.holds_slot:
            self.holds_slot = False
            self._main_kwargs["state"].slots.release()

    def _main(self, state: _DownloadState, index: int, round_no: int) -> None:  # type: ignore[override]
        if round_no > 1 and state.satisfied():
            state.range_skipped()
            return
        attempts = state.config.num_download_attempts
        last: Optional[BaseException] = None
        for attempt in range(1, attempts + 1):
            reported = [0]
            try:
                digest = self._fetch(state, index, round_no, reported)
                break
            except Exception as exc:
                if reported[0]:
                    state.progress(-reported[0])
                if self._transfer_coordinator.done():
                    raise
                if not (is_retryable(exc) or isinstance(exc, _ShortRead) or (state.retry_os_errors and isinstance(exc, OSError))):
                    raise
                last = exc
                logger.debug("Range %d of %s/%s failed (attempt %d/%d): %r", index, state.bucket, state.key, attempt, attempts, exc)
        else:
            raise RetriesExceededError(last)  # type: ignore[arg-type]
        state.range_done(index, round_no, digest)

    def _fetch(self, state: _DownloadState, index: int, round_no: int, reported: List[int]) -> Any:
        start, length = state.ranges[index]
        params = dict(state.get_args)
        if not state.whole:
            # the last range is open-ended, as ibm-cos-sdk asks for it
            last = index == len(state.ranges) - 1
            params["Range"] = "bytes=%d-" % start if last else "bytes=%d-%d" % (start, start + length - 1)
        with request_hints(if_match=state.if_match):
            response = state.client.get_object(Bucket=state.bucket, Key=state.key, **params)
        body = response["Body"]
        readinto = getattr(body, "readinto", None) or _reader_into(body)
        try:
            if response.get("ContentLength", length) != length:
                raise _ShortRead("Expected %d bytes for range %d, the response has %s" % (length, index, response.get("ContentLength")))
            mode = state.verifier.mode
            want_crc = mode in ("crc32", "composite")
            md5 = hashlib.md5() if mode == "md5" else None
            crc = 0
            writer = state.writer
            progress = state.progress if round_no == 1 else None
            limiter = state.limiter
            token = object()
            coordinator = self._transfer_coordinator
            if writer.streams:
                buffer = thread_buffer()
                memory = None
            else:
                memory = bytearray(length)
                buffer = memoryview(memory)
            got = 0
            while got < length:
                if coordinator.done():
                    raise coordinator.exception or RuntimeError("transfer ended")
                view = buffer[: min(len(buffer), length - got)] if memory is None else buffer[got:]
                count = readinto(view)
                if not count:
                    raise _ShortRead("Range %d ended after %d of %d bytes" % (index, got, length))
                block = view[:count]
                if want_crc:
                    crc = crc32(block, crc)
                if md5 is not None:
                    md5.update(block)
                if memory is None:
                    writer.write(start + got, block)
                got += count
                if limiter is not None:
                    limiter.throttle(count, token, coordinator)
                if progress is not None:
                    reported[0] += count
                    progress(count)
            # reach the end of the body: the client checks a response checksum there
            if readinto(buffer[:1] if memory is None else memoryview(bytearray(1))):
                raise _ShortRead("Range %d has more than %d bytes" % (index, length))
        except BaseException:
            try:
                body.close()
            except Exception:
                pass
            raise
        if memory is not None:
            self.holds_slot = False
            writer.deliver(index, memory)
        if md5 is not None:
            return md5.hexdigest()
        return crc if want_crc else length
