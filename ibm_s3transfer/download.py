"""Downloads: one GET below the multipart threshold, parallel ranged GETs above.

Where the bytes go
    * a filename: on Linux an unnamed file in the same directory (``O_TMPFILE``), elsewhere
      (or where the file system cannot) a temporary file ``<name>.<8 hex digits>``; sized
      up front; every range is written with ``os.pwrite`` at its offset by the thread
      that received it (no shared file position, no I/O thread), straight from a 1 MiB
      buffer the thread reuses. Only after every range arrived complete and the checks
      below passed does it get the name ``<name>`` (``link`` of the unnamed file, or
      ``os.replace``; an existing ``<name>`` is replaced whole). On failure or
      cancellation the unnamed file is closed (and so gone; a crash leaves nothing either)
      or the temporary file deleted, and ``<name>`` is left as it was;
    * a plain binary file object on a regular file: the same positional writes on its
      descriptor, after its current position;
    * other seekable objects (BytesIO, ...): seek + write under a lock;
    * non-seekable objects (pipes, sockets, custom streams): ranges are held in memory
      (at most ``max_in_memory_download_chunks`` per manager) and written in order.

What is verified
    Every GET carries ``If-Match: <ETag>`` (the object cannot change half-way) and
    every range must deliver exactly its length (a short or cut body is resumed where it
    stopped). What the bytes must match is decided by ``ibm_s3transfer.integrity``: the
    object's stored checksum (CRC32 combined from the ranges' CRC32s, composite CRC32
    over part-aligned ranges, SHA-256/SHA-1 hashed once at the end), else its ETag
    (MD5 of the object, or of the part MD5s, computed as the ranges arrive; on by
    default over http, ``TransferConfig(verify_etag=...)`` decides otherwise).

    On a mismatch the ranges are fetched again (into the temporary file, never into
    the target) and the check is repeated as soon as a re-fetched range differs from
    the first copy, up to ``num_download_attempts`` rounds. When the same bytes arrive
    twice and still do not match: a stored checksum is then checked against the ETag
    (read back from what was written; a composite CRC32 also with the real part sizes) and
    the download fails only if that disagrees too; an ETag alone that two identical
    fetches disagree with is not an MD5 (some encrypted objects), so the data is accepted
    (logged at DEBUG). Non-seekable targets cannot be rewritten: the second fetch is only
    compared with the first, and a difference fails the download after the data was written.

Retries
    Each range is retried up to ``num_download_attempts`` times on connection errors,
    timeouts, 5xx and truncated bodies (on top of the client's own retries of the
    request), then the download fails with RetriesExceededError. A response whose bytes
    do not match its own checksum header (FlexibleChecksumError) is fetched once more,
    then that error is raised. (The loop and its rules: ``ibm_s3transfer.retry``.)
"""
from __future__ import annotations

import io
import logging
import os
import stat
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ibm_botocore.checksums import crc32
from ibm_botocore.s3 import request_hints
from ibm_s3transfer.crc import composite_crc32
from ibm_s3transfer.exceptions import ChecksumMismatchError, RetriesExceededError
from ibm_s3transfer.integrity import (  # noqa: F401  (re-exported: the downloaders' shared plan)
    HEAD_ARGS,
    Verifier,
    digest_written,
    md5_of_written,
    part_ranges,
    plan_verification,
    unique_digests,
)
from ibm_s3transfer.integrity import etag_verifier  # directory downloads: the ETag of a listing
from ibm_s3transfer.parts import spans
from ibm_s3transfer.retry import RetryPolicy, call_with_retries, get_range, is_retryable
from ibm_s3transfer.tasks import ManagedSubmissionTask, TransferResources, TypedTask
from ibm_s3transfer.utils import (
    OSUtils,
    ProgressReporter,
    get_callbacks,
    pread_into,
    pwrite_all,
    random_file_extension,
    thread_buffer,
)

logger = logging.getLogger(__name__)



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


_O_TMPFILE = getattr(os, "O_TMPFILE", 0) if os.path.isdir("/proc/self/fd") else 0  # link() goes through /proc
# downloads to a filename may use unnamed files (the file system may still refuse one)
UNNAMED_FILES = bool(_O_TMPFILE)
_PROC_FD = "/proc/self/fd/%d"


def _link(fd: int, name: str) -> None:
    # linkat(AT_SYMLINK_FOLLOW) of the /proc entry names the open file itself; os.link uses
    # linkat only when given a dir_fd (plain link() would link the /proc entry). The src
    # path is absolute, so the kernel ignores that dir_fd.
    os.link(_PROC_FD % fd, name, src_dir_fd=fd, follow_symlinks=True)


def _copy_out(fd: int, filename: str) -> None:
    """The unnamed file's bytes to a named temporary file, renamed over ``filename``."""
    temp = "%s.%s" % (filename, random_file_extension())
    block = memoryview(bytearray(1 << 20))
    try:
        with open(temp, "xb") as out:
            offset = 0
            while True:
                got = pread_into(fd, block, offset)
                if not got:
                    break
                out.write(block[:got])
                offset += got
        os.replace(temp, filename)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


class _SizedFd:
    """A download's file descriptor: sized up front, its final size checked, closed once."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size
        self._closed = False
        try:
            os.ftruncate(fd, size)
        except OSError:
            pass

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            os.close(self.fd)

    def check_size(self) -> None:
        actual = os.fstat(self.fd).st_size
        if actual != self.size:
            raise _ShortRead("Downloaded %d bytes, expected %d" % (actual, self.size))


def _name_unnamed(fd: int, filename: str) -> None:
    """Give the complete unnamed file the name ``filename`` (replacing a file there whole)."""
    try:
        _link(fd, filename)
        return
    except FileExistsError:
        pass
    except OSError as exc:  # the platform refused the link: copy it to a named file instead
        logger.debug("Naming the unnamed download file failed (%s); copying it", exc)
        _copy_out(fd, filename)
        return
    # replace the existing file: a name of our own first, then the rename
    temp = "%s.%s" % (filename, random_file_extension())
    _link(fd, temp)
    try:
        os.replace(temp, filename)
    except BaseException:
        os.unlink(temp)
        raise


def _unnamed_target(filename: str, size: int, coordinator: Any) -> Optional[Tuple[Any, Any]]:
    """Linux: the data goes to an unnamed file in the target's folder (``O_TMPFILE``), given
    its name only once complete (``link``), so no partial file is ever visible, not even
    after a crash; the kernel also allocates it without holding the folder's lock, so
    many small downloads into one folder no longer queue for it twice (create, rename).
    None where the file system or the platform cannot (then: a named temporary file)."""
    if not _O_TMPFILE:
        return None
    try:
        fd = os.open(os.path.dirname(os.path.abspath(filename)), _O_TMPFILE | os.O_RDWR, 0o666)
    except OSError:
        return None
    target = _SizedFd(fd, size)
    coordinator.add_failure_cleanup(target.close)  # an unnamed file vanishes when closed

    def finish() -> None:
        try:
            target.check_size()
            _name_unnamed(fd, filename)
        finally:
            target.close()

    return _FdWriter(fd), finish


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


# -- submission --------------------------------------------------------------------------------
def _needs_head(extra_args: Dict[str, Any]) -> bool:
    """Encrypted with a customer key or read by version: the listed ETag does not tell enough."""
    return any(name in extra_args for name in ("SSECustomerKey", "SSECustomerAlgorithm", "VersionId"))


class DownloadSubmissionTask(ManagedSubmissionTask):
    """Finds out the size and checksum, prepares the target and submits the range GETs."""

    def _submit_requests(self, resources: TransferResources) -> None:
        coordinator = self._transfer_coordinator
        client, config, transfer_future = resources.client, resources.config, resources.transfer_future
        download_slots: DownloadSlots = resources.download_slots
        call_args = transfer_future.meta.call_args
        bucket, key = call_args.bucket, call_args.key
        extra_args = dict(call_args.extra_args or {})
        head_args = {k: v for k, v in extra_args.items() if k in HEAD_ARGS}
        etag = None
        verifier = Verifier("none")
        layout: Optional[List[int]] = None
        size = transfer_future.meta.size
        listed_etag = transfer_future.meta.etag
        if size is not None and listed_etag and size < config.multipart_threshold and not _needs_head(extra_args):
            # Size and ETag given before submission (from a listing, by directory
            # downloads): no HeadObject. The GET is conditional on that ETag, and an ETag
            # that is an MD5 is checked against the data.
            etag = listed_etag
            verifier = etag_verifier(client, {"ETag": etag}, bucket, key, head_args, size)[0] or Verifier("none")
        elif size is None:
            # the stored checksum is asked for outside the parameters users' stubs expect
            with request_hints(checksum_mode=True):
                head = client.head_object(Bucket=bucket, Key=key, **head_args)
            size = head["ContentLength"]
            transfer_future.meta.provide_transfer_size(size)
            etag = head.get("ETag")
            if etag:
                transfer_future.meta.provide_object_etag(etag)
            verifier, layout = plan_verification(client, head, bucket, key, head_args, size, config)
        if layout:
            ranges, verifier.part_bounds = part_ranges(layout, config.multipart_chunksize)
            whole = len(ranges) == 1
        elif size < config.multipart_threshold:
            ranges, whole = [(0, size)], True
        else:
            ranges, whole = spans(size, config.multipart_chunksize), False
        get_args = dict(extra_args)
        # The GETs are pinned to the HEAD's ETag by a request hint (If-Match on the wire,
        # not a parameter), unless the caller gave IfMatch.
        if_match = etag if "IfMatch" not in extra_args else None
        writer, finish = self._prepare_target(call_args.fileobj, resources.osutil, size, coordinator, download_slots)
        state = _DownloadState(
            client=client, config=config, coordinator=coordinator, bucket=bucket, key=key, get_args=get_args,
            if_match=if_match, retry_os_errors=getattr(config, "retry_os_errors", False),
            ranges=ranges, whole=whole, writer=writer, finish=finish, verifier=verifier,
            progress=ProgressReporter(get_callbacks(transfer_future, "progress")), limiter=resources.bandwidth_limiter,
            request_executor=resources.request_executor, submission_executor=resources.submission_executor,
            slots=download_slots,
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
        """The writer for ``fileobj`` and what to call once every range arrived (or None)."""
        if isinstance(fileobj, (str, os.PathLike)):
            return DownloadSubmissionTask._filename_target(os.fspath(fileobj), osutil, size, coordinator, slots)
        target = DownloadSubmissionTask._regular_file_target(fileobj, size)
        if target is not None:
            return target
        return DownloadSubmissionTask._stream_target(fileobj, size, slots)

    @staticmethod
    def _filename_target(filename: str, osutil: Any, size: int, coordinator: Any, slots: DownloadSlots) -> Tuple[Any, Any]:
        """A path: special files in order, else a sized temporary file renamed over it at the end."""
        if osutil.is_special_file(filename):
            stream = osutil.open(filename, "wb")
            coordinator.add_done_callback(stream.close)
            return _OrderedWriter(stream, slots), None
        plain = all(getattr(type(osutil), name) is getattr(OSUtils, name)
                    for name in ("open", "rename_file", "get_temp_filename", "remove_file"))
        if plain:
            unnamed = _unnamed_target(filename, size, coordinator)
            if unnamed is not None:
                return unnamed
        temp = osutil.get_temp_filename(filename)
        if type(osutil).open is not OSUtils.open:
            return DownloadSubmissionTask._custom_target(osutil, filename, temp, coordinator, slots)
        fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        target = _SizedFd(fd, size)

        def discard() -> None:
            target.close()
            osutil.remove_file(temp)

        coordinator.add_failure_cleanup(discard)

        def finish() -> None:
            try:
                target.check_size()
            finally:
                target.close()  # before the rename: Windows renames no open file
            osutil.rename_file(temp, filename)

        return _FdWriter(fd), finish

    @staticmethod
    def _regular_file_target(fileobj: Any, size: int) -> Optional[Tuple[Any, Any]]:
        """A plain binary file object on a regular file: positional writes after its position, else None."""
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
        return None

    @staticmethod
    def _stream_target(fileobj: Any, size: int, slots: DownloadSlots) -> Tuple[Any, Any]:
        """Any other object: seek + write when it is seekable, else ranges written in order."""
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


class _DiscardWriter:
    """Where a second fetch goes when the target cannot be rewritten: it is only compared."""

    rewritable = False
    streams = True

    def write(self, offset: int, view: Any) -> None:
        pass


@dataclass(eq=False, repr=False)
class _DownloadState:
    """Shared by the range tasks of one download: rounds, digests and completion."""

    client: Any
    config: Any
    coordinator: Any
    bucket: str
    key: str
    get_args: Dict[str, Any]
    if_match: Optional[str]
    retry_os_errors: bool
    ranges: List[Tuple[int, int]]
    whole: bool
    writer: Any  # an _FdWriter, _SeekWriter, _OrderedWriter or (second fetch) _DiscardWriter
    finish: Any
    verifier: Verifier
    progress: ProgressReporter
    limiter: Any
    request_executor: Any
    submission_executor: Any
    slots: DownloadSlots
    # -- derived, and changed as the rounds go
    digests: List[Any] = field(init=False)
    hashers: Optional[List[Any]] = field(init=False)
    retry_policy: RetryPolicy = field(init=False)
    round: int = field(init=False, default=0)
    _md5_rounds: List[List[Optional[bytes]]] = field(init=False, default_factory=list)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _pending: int = field(init=False, default=0)
    _satisfied: bool = field(init=False, default=False)
    _changed: bool = field(init=False, default=False)
    _target_rewritable: bool = field(init=False)
    _part_sizes: Optional[List[int]] = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.digests = [None] * len(self.ranges)
        self.hashers = self.verifier.new_hashers(self.ranges) if self.verifier.hashes_md5 else None
        self.retry_policy = RetryPolicy(
            self.config.num_download_attempts, self.coordinator.done, self._retryable, checksum_once=True, wrap_exhausted=True
        )
        self._target_rewritable = self.writer.rewritable
        if isinstance(self.writer, _OrderedWriter):
            self.coordinator.add_failure_cleanup(self.writer.drop_all)

    def _retryable(self, exc: BaseException) -> bool:
        return is_retryable(exc) or isinstance(exc, _ShortRead) or (self.retry_os_errors and isinstance(exc, OSError))

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
            task = RangeTask(coordinator, self, index, round_no, holds_slot=ordered)
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
                if not self._satisfied and self.verifier.wants_crc and self.verifier.check(self.ranges, self.digests):
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

    def _message(self, what: str) -> str:
        return "%s/%s: the downloaded data does not match the object's %s" % (self.bucket, self.key, what)

    def _round_complete(self) -> None:
        if self.coordinator.done():
            return
        if self.hashers is not None:
            self._md5_round_complete()
            return
        verifier = self.verifier
        if self._satisfied or verifier.check(self.ranges, self.digests):
            if not verifier.reads_back or self._read_back_matches() is not False:
                self._finalize()
                return
        elif verifier.mode in ("composite", "either") and self._recheck_with_part_sizes():
            # the parts were not all the size of part 1: the data matches the real parts
            self._finalize()
            return
        message = self._message(verifier.describe())
        logger.debug("%s (round %d)", message, self.round)
        if not self.writer.rewritable:
            raise ChecksumMismatchError(message)
        if self.round > 1 and not self._changed:
            # The same bytes arrived twice. A composite CRC32 was checked assuming equal
            # parts: check it again with the real part sizes. Then the ETag decides: a
            # checksum convention we misread must not reject good data.
            composite = verifier.mode in ("composite", "either")
            verdict = self._recheck_with_part_sizes() if composite else False
            if verdict:
                self._finalize()
                return
            etag = verifier.etag_check()
            real_sizes = self._part_sizes
            if etag is not None and etag.mode == "md5-parts" and real_sizes:
                etag.part_bounds = [sum(real_sizes[:i]) for i in range(len(real_sizes))]
            by_etag = md5_of_written(etag, self.writer.read_at, self._total()) if etag is not None else None
            if by_etag:
                logger.debug("%s, but it matches the ETag; accepting it", message)
                self._finalize()
                return
            if verifier.strict and (verdict is False or by_etag is False or not composite):
                raise RetriesExceededError(ChecksumMismatchError(message + " (the same data arrived twice)"))
            logger.warning("%s, but the same data arrived twice and cannot be checked otherwise; accepting it", message)
            self._finalize()
            return
        if self.round >= self.config.num_download_attempts:
            raise RetriesExceededError(ChecksumMismatchError(message))
        self._next_round()

    def _md5_round_complete(self) -> None:
        """ETag rounds: a match, or two fetches that agree, end the download."""
        verifier = self.verifier
        md5s = unique_digests(self.hashers)  # type: ignore[arg-type]
        if verifier.md5_matches(md5s):
            if self._target_rewritable or self.round == 1:
                self._finalize()
                return
            # a non-seekable target got the first fetch, which did not match
            raise ChecksumMismatchError(self._message(verifier.describe()))
        message = self._message(verifier.describe())
        complete = all(d is not None for d in md5s)
        if complete and md5s in self._md5_rounds:
            logger.debug("%s, but two fetches agree (the ETag is not an MD5 of the data); accepting it", message)
            self._finalize()
            return
        if complete:
            self._md5_rounds.append(md5s)
        if not self._target_rewritable and self.round > 1:
            raise ChecksumMismatchError(message)
        logger.debug("%s (round %d)", message, self.round)
        if self.round >= self.config.num_download_attempts:
            raise RetriesExceededError(ChecksumMismatchError(message))
        self.hashers = verifier.new_hashers(self.ranges)
        if not self._target_rewritable:
            self.writer = _DiscardWriter()
        self._next_round()

    def _next_round(self) -> None:
        coordinator = self.coordinator
        coordinator.submit(self.submission_executor, _RoundTask(coordinator, self))

    def _total(self) -> int:
        return sum(self.ranges[-1]) if self.ranges else 0

    def _read_back_matches(self) -> Optional[bool]:
        """Hash what was written, in order (None when the target cannot be read back)."""
        reader = getattr(self.writer, "read_at", None)
        if reader is None:
            return None
        digests = digest_written(reader, [(0, self._total())], self.verifier.mode)
        return None if digests is None else digests[0] == self.verifier.expected

    def _recheck_with_part_sizes(self) -> Optional[bool]:
        """Composite CRC32 over the real part boundaries, re-reading what was written.

        True/False when it could be computed, None when it could not (too many parts,
        part sizes unavailable, or a target that cannot be read back).
        """
        count = self.verifier.part_count
        if not count or count > 1000 or not hasattr(self.writer, "read_at"):
            return None
        sizes = self._part_sizes
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
        if sum(sizes) != self._total():
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


@dataclass(eq=False, repr=False)
class _RoundTask(TypedTask):
    """Submits the range tasks of the next round (on the submission executor)."""

    state: _DownloadState

    def _run(self) -> None:
        self.state.submit_round()


class _Progress:
    """How far one range got, across its attempts (a cut body is resumed, not restarted)."""

    __slots__ = ("got", "crc", "reported")

    def __init__(self) -> None:
        self.got = 0
        self.crc = 0
        self.reported = 0

    def restart(self, progress: ProgressReporter) -> None:
        """The range starts again from its first byte: take back the progress reported for it."""
        if self.reported:
            progress(-self.reported)
        self.got = self.crc = self.reported = 0


@dataclass(eq=False, repr=False)
class RangeTask(TypedTask):
    """GETs one range (or the whole object), checksums it and writes it to the target."""

    state: _DownloadState
    index: int
    round_no: int
    # a non-seekable target's memory slot, released once the range is delivered (or the task ends)
    holds_slot: bool = False

    def _cleanup(self) -> None:
        if self.holds_slot:
            self.holds_slot = False
            self.state.slots.release()

    def _run(self) -> None:
        state, index, round_no = self.state, self.index, self.round_no
        if round_no > 1 and state.satisfied():
            state.range_skipped()
            return
        done = _Progress()

        def failed(exc: BaseException, checksum_error: bool) -> None:
            if checksum_error:
                # the response did not match its own checksum header: once more, from the start
                done.restart(state.progress)
                if state.hashers is not None:
                    state.hashers[index].broken = True
            elif not state.writer.streams:
                done.restart(state.progress)  # in-memory ranges start again

        digest = call_with_retries(
            lambda _number: self._fetch(state, index, round_no, done), state.retry_policy, failed,
            what="Range %d of %s/%s" % (index, state.bucket, state.key),
        )
        state.range_done(index, round_no, digest)

    def _fetch(self, state: _DownloadState, index: int, round_no: int, done: _Progress) -> Any:
        """GETs what range ``index`` still lacks; its CRC32 (or its length) once it is complete."""
        start, length = state.ranges[index]
        memory_target = not state.writer.streams
        resume = 0 if memory_target else done.got
        if resume >= length and length:
            return done.crc if state.verifier.wants_crc else length
        # the last range is open-ended, as ibm-cos-sdk asks for it
        last = None if index == len(state.ranges) - 1 else start + length - 1
        response = get_range(state.client, state.bucket, state.key, state.get_args, start + resume, last,
                             whole=state.whole and not resume, if_match=state.if_match)
        return self._receive(state, index, round_no, done, response, start, length, resume, memory_target)

    def _receive(self, state: _DownloadState, index: int, round_no: int, done: _Progress, response: Any,
                 start: int, length: int, resume: int, memory_target: bool) -> Any:
        """Reads one response into the target (closing its body on any failure); an in-memory range is delivered whole."""
        body = response["Body"]
        readinto = getattr(body, "readinto", None) or _reader_into(body)
        try:
            if response.get("ContentLength", length - resume) != length - resume:
                raise _ShortRead("Expected %d bytes for range %d, the response has %s" % (length - resume, index, response.get("ContentLength")))
            want_crc = state.verifier.wants_crc
            hasher = state.hashers[index] if state.hashers is not None else None
            writer = state.writer
            memory = self._copy_body(state, index, round_no, done, readinto, start, length, want_crc, hasher, writer, memory_target)
        except BaseException:
            try:
                body.close()
            except Exception:
                pass
            raise
        if memory is not None:
            if hasher is not None:
                hasher.feed(start, memory)  # whole: an in-memory range restarts from its start
            self.holds_slot = False
            writer.deliver(index, memory)
        return done.crc if want_crc else length

    def _copy_body(self, state: _DownloadState, index: int, round_no: int, done: _Progress, readinto: Any,
                   start: int, length: int, want_crc: bool, hasher: Any, writer: Any, memory_target: bool) -> Optional[bytearray]:
        """The per-chunk loop: body -> CRC32/MD5 -> target at its offset; the range's bytes when held in memory."""
        progress = state.progress if round_no == 1 else None
        limiter = state.limiter
        token = object()
        coordinator = self._transfer_coordinator
        if memory_target:
            memory = bytearray(length)
            buffer = memoryview(memory)
        else:
            buffer = thread_buffer()
            memory = None
        while done.got < length:
            if coordinator.done():
                raise coordinator.exception or RuntimeError("transfer ended")
            view = buffer[: min(len(buffer), length - done.got)] if memory is None else buffer[done.got :]
            count = readinto(view)
            if not count:
                raise _ShortRead("Range %d ended after %d of %d bytes" % (index, done.got, length))
            block = view[:count]
            if want_crc:
                done.crc = crc32(block, done.crc)
            if memory is None:
                if hasher is not None:
                    hasher.feed(start + done.got, block)
                writer.write(start + done.got, block)
            done.got += count
            if limiter is not None:
                limiter.throttle(count, token, coordinator)
            if progress is not None:
                done.reported += count
                progress(count)
        # reach the end of the body: the client checks a response checksum there
        if readinto(buffer[:1] if memory is None else memoryview(bytearray(1))):
            raise _ShortRead("Range %d has more than %d bytes" % (index, length))
        return memory
