"""Uploads: one PutObject below the multipart threshold, a parallel multipart upload above.

Where the bytes come from
    * a filename, or a plain binary file object (``open(path, 'rb')``) on a regular file:
      parts are read with ``os.pread`` straight from the file descriptor into a 1 MiB
      buffer owned by the worker thread, once to checksum them and once while the HTTP
      layer sends them -- nothing else is held in memory, whatever the part size;
    * any other readable object (BytesIO, pipes, sockets, custom streams): read in order
      by the submission thread into part buffers; at most ``max_in_memory_upload_chunks``
      of them exist per manager, so memory stays at that many parts.

Integrity
    Each part (and a single PutObject) carries ``x-amz-checksum-crc32`` of its bytes,
    computed here in C over the whole part before it is sent; the server rejects the
    part if what arrived differs, and the part is sent again. CreateMultipartUpload
    announces ``ChecksumAlgorithm=CRC32`` and CompleteMultipartUpload lists each part's
    CRC32 when the part's response returned it. When the request is signed with a
    payload hash (SigV4 over plain http), the SHA-256 is computed in the same pass as
    the CRC32 and handed to the signer, so the part is read twice, not three times.

Failure and cancellation
    Once CreateMultipartUpload succeeded, AbortMultipartUpload is registered as a
    failure clean-up of the transfer: any failed part, a failed completion, a
    cancellation, ``shutdown(cancel=True)`` or Ctrl-C in ``result()`` ends with the
    upload aborted before ``result()`` returns -- no orphaned parts. Parts are retried
    (on top of the client's own retries) on connection errors, timeouts and 5xx.

COS retention arguments (RetentionPeriod, RetentionExpirationDate, RetentionLegalHoldId)
go to PutObject, or to CompleteMultipartUpload for multipart uploads -- the request on
which COS takes them.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import stat
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, TypeVar

from ibm_botocore.checksums import crc32
from ibm_botocore import s3
from ibm_s3transfer.constants import (
    COMPLETE_MULTIPART_ARGS,
    CREATE_MULTIPART_BLOCKLIST,
    FULL_OBJECT_CHECKSUM_ARGS,
    PUT_OBJECT_BLOCKLIST,
    UPLOAD_PART_ARGS,
)
from ibm_s3transfer.crc import crc32_to_b64
from ibm_s3transfer.parts import part_size, spans
from ibm_s3transfer.retry import RetryPolicy, call_with_retries
from ibm_s3transfer.retry import is_retryable  # noqa: F401  (re-exported: importable from here before retry.py existed)
from ibm_s3transfer.tasks import ManagedSubmissionTask, TransferResources, TypedTask
from ibm_s3transfer.utils import (
    IO_BLOCK_SIZE,
    OSUtils,
    ProgressReporter,
    get_callbacks,
    pread_into,
    thread_buffer,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

_PART_ATTEMPTS = 3
_DIGEST_BLOCK = 1024 * 1024


class _HashingSlots:
    """As many parts hashed at once as there are cores, each slot with its own read buffer.

    Hashing is pure CPU: more threads doing it than cores only adds GIL hand-offs and
    context switches; large blocks keep the hand-offs per part few.
    """

    def __init__(self, count: int, block: int) -> None:
        self._unallocated = count
        self._block = block
        self._free: List[memoryview] = []
        self._cond = threading.Condition()

    def acquire(self) -> memoryview:
        with self._cond:
            while not self._free:
                if self._unallocated:
                    self._unallocated -= 1
                    return memoryview(bytearray(self._block))
                self._cond.wait()
            return self._free.pop()

    def release(self, buffer: memoryview) -> None:
        with self._cond:
            self._free.append(buffer)
            self._cond.notify()


_HASHING = _HashingSlots(max(1, min(4, os.cpu_count() or 1)), _DIGEST_BLOCK)


# -- request bodies ----------------------------------------------------------------------------
class UploadBody:
    """A seekable request body over a region of a file descriptor, or over a memory view.

    ``read(n)`` returns ``bytes``, as any file object does. The SDK's own consumers (the
    HTTP layer, the aws-chunked framer) call ``read_view(n)`` instead: a memoryview of at
    most ``n`` bytes that stays valid until the next read from the same thread, so no
    block is copied on its way to the socket. Progress is reported, and bandwidth consumed, only
    while the body is being *sent* (between ``before-send`` and the response): reads by
    the signer or by checksum code are not counted. Seeking back reports negative
    progress, so a resent part does not count twice.
    """

    def __init__(
        self,
        length: int,
        fd: Optional[int] = None,
        offset: int = 0,
        view: Optional[memoryview] = None,
        progress: Optional[ProgressReporter] = None,
        limiter: Any = None,
        coordinator: Any = None,
    ) -> None:
        self._length = length
        self._fd = fd
        self._offset = offset
        self._view = view
        self._pos = 0
        self._progress = progress
        self._limiter = limiter
        self._coordinator = coordinator
        self._token = object()
        self._transferring = False
        self._reported = 0
        self._sha256_hex: Optional[str] = None
        self._crc32_b64: Optional[str] = None

    # -- file protocol ----------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def __len__(self) -> int:
        return self._length

    def seek(self, position: int, whence: int = 0) -> int:
        if whence == 1:
            position += self._pos
        elif whence == 2:
            position += self._length
        position = max(0, min(position, self._length))
        if position < self._pos and self._reported:
            rewind = min(self._reported, self._pos - position)
            self._reported -= rewind
            if self._progress is not None:
                self._progress(-rewind)
        self._pos = position
        return position

    def read(self, amount: Optional[int] = -1) -> bytes:
        data = self.read_view(amount)
        return data if isinstance(data, bytes) else bytes(data)

    def read_view(self, amount: Optional[int] = -1) -> Any:
        """Like ``read``, but a memoryview valid until this thread's next read (no copy)."""
        left = self._length - self._pos
        if left <= 0:
            return b""
        if amount is None or amount < 0:
            whole, count = True, left
        else:
            whole, count = False, min(amount, left)
        if self._view is not None:
            data: Any = self._view[self._pos : self._pos + count]
            if whole:
                data = bytes(data)
        elif whole or count > IO_BLOCK_SIZE:
            data = bytearray(count)
            got = pread_into(self._fd, memoryview(data), self._offset + self._pos)  # type: ignore[arg-type]  # _fd is set whenever _view is None
            if got < count:
                raise IOError("The file being uploaded became shorter during the upload")
        else:
            data = thread_buffer()[:count]
            got = pread_into(self._fd, data, self._offset + self._pos)  # type: ignore[arg-type]  # _fd is set whenever _view is None
            if got < count:
                raise IOError("The file being uploaded became shorter during the upload")
        self._pos += count
        if self._transferring:
            if self._limiter is not None:
                self._limiter.throttle(count, self._token, self._coordinator)
            self._reported += count
            if self._progress is not None:
                self._progress(count)
        return data

    def close(self) -> None:
        pass

    # -- zero-copy sending ---------------------------------------------------------------
    def sendfile_region(self) -> Optional[Tuple[int, int, int, Any]]:
        """(fd, offset, count, on_sent) for the HTTP layer to sendfile(2) the rest of the body.

        Offered for file-backed bodies while they are being sent, unless bandwidth is
        limited (the limiter meters reads).
        """
        if self._fd is None or self._limiter is not None or not self._transferring:
            return None
        return self._fd, self._offset + self._pos, self._length - self._pos, self._sent

    def _sent(self, count: int) -> None:
        self._pos += count
        self._reported += count
        if self._progress is not None:
            self._progress(count)

    # -- transfer hooks -----------------------------------------------------------------
    def signal_transferring(self) -> None:
        self._transferring = True

    def signal_not_transferring(self) -> None:
        self._transferring = False

    def precomputed_checksum(self, algorithm: str) -> Optional[str]:
        """The base64 checksum of the whole body, when computed with the SHA-256 (the client uses it)."""
        if algorithm == "crc32" and self._pos == 0:
            return self._crc32_b64
        return None

    @property
    def precomputed_sha256_hex(self) -> Optional[str]:
        """SHA-256 of the whole body, when it was computed with the CRC32 (signers use it)."""
        return self._sha256_hex if self._pos == 0 else None

    def iter_blocks(self, buffer: memoryview) -> Iterator[memoryview]:
        """The body's bytes, block by block (read into ``buffer``), without moving the read position."""
        block_size = len(buffer)
        if self._view is not None:
            for start in range(0, self._length, block_size):
                yield self._view[start : start + block_size]
            return
        position = 0
        while position < self._length:
            count = min(block_size, self._length - position)
            view = buffer[:count]
            if pread_into(self._fd, view, self._offset + position) < count:  # type: ignore[arg-type]
                raise IOError("The file being uploaded became shorter during the upload")
            yield view
            position += count

    def compute_digests(self, want_crc32: bool, want_sha256: bool) -> Optional[int]:
        """CRC32 (returned) and SHA-256 (kept for the signer) of the body, in one pass."""
        if not want_crc32 and not want_sha256:
            return None
        crc = 0
        sha = hashlib.sha256() if want_sha256 else None
        buffer = _HASHING.acquire()
        try:
            for view in self.iter_blocks(buffer):
                if want_crc32:
                    crc = crc32(view, crc)
                if sha is not None:
                    sha.update(view)
        finally:
            _HASHING.release(buffer)
        if sha is not None:
            self._sha256_hex = sha.hexdigest()
        return crc if want_crc32 else None


def _signal_not_transferring(request: Any = None, **kwargs: Any) -> None:
    body = getattr(request, "body", None)
    if isinstance(body, UploadBody):
        body.signal_not_transferring()


def _signal_transferring(request: Any = None, **kwargs: Any) -> None:
    body = getattr(request, "body", None)
    if isinstance(body, UploadBody):
        body.signal_transferring()


# the handlers below (a client with only these is as it was made: ibm_s3transfer.procfiles)
UPLOAD_EVENT_HANDLERS = (_signal_not_transferring, _signal_transferring)


def register_upload_handlers(client: Any) -> None:
    """Count progress only while bodies are sent (not while they are signed)."""
    events = client.meta.events
    for operation in ("PutObject", "UploadPart"):
        events.register_first(
            "request-created.s3.%s" % operation, _signal_not_transferring, unique_id="s3upload-not-transferring-%s" % operation
        )
        events.register_last(
            "before-send.s3.%s" % operation, _signal_transferring, unique_id="s3upload-transferring-%s" % operation
        )


# -- where parts come from ---------------------------------------------------------------------
class BufferPool:
    """At most ``count`` part buffers in use at once, shared by a manager's uploads."""

    def __init__(self, count: int) -> None:
        self._count = count
        self._in_use = 0
        self.peak_in_use = 0
        self._free: Dict[int, List[bytearray]] = {}
        self._cond = threading.Condition()

    def acquire(self, size: int, coordinator: Any) -> bytearray:
        with self._cond:
            while self._in_use >= self._count:
                if coordinator.done():
                    raise coordinator.exception or RuntimeError("transfer ended")
                self._cond.wait(0.2)
            self._in_use += 1
            self.peak_in_use = max(self.peak_in_use, self._in_use)
            free = self._free.get(size)
            if free:
                return free.pop()
        return bytearray(size)

    def release(self, buffer: bytearray, reuse: bool = True) -> None:
        """Free the slot; ``reuse=False`` when the buffer's bytes are still being read."""
        with self._cond:
            self._in_use -= 1
            free = self._free.setdefault(len(buffer), [])
            if reuse and len(free) < 2:
                free.append(buffer)
            self._cond.notify()


def _fill(stream: Any, view: memoryview) -> int:
    """Read from ``stream`` until ``view`` is full or the stream ends."""
    total = 0
    length = len(view)
    readinto = getattr(stream, "readinto", None)
    while total < length:
        if readinto is not None:
            got = readinto(view[total:])
        else:
            data = stream.read(length - total)
            got = len(data) if data else 0
            if got:
                view[total : total + got] = data
        if not got:
            break
        total += got
    return total


class _Source:
    size: Optional[int] = None

    def close(self) -> None:
        pass


class FileRegionSource(_Source):
    """A regular file read with pread (filename or plain binary file object)."""

    def __init__(self, fd: int, start: int, size: int, owned: bool, fileobj: Any = None, close: Any = None) -> None:
        self.fd = fd
        self.start = start
        self.size = size
        self._owned = owned
        self._fileobj = fileobj
        self._close = close

    def body(self, offset: int, length: int, **kwargs: Any) -> UploadBody:
        return UploadBody(length, fd=self.fd, offset=self.start + offset, **kwargs)

    def finish(self) -> None:
        if self._fileobj is not None:
            try:
                self._fileobj.seek(self.start + (self.size or 0))
            except (OSError, ValueError):
                pass

    def close(self) -> None:
        if self._close is not None:
            self._close()
        elif self._owned:
            try:
                os.close(self.fd)
            except OSError:
                pass


class StreamSource(_Source):
    """Any readable object, read in order (its size is known when it is seekable)."""

    def __init__(self, stream: Any, size: Optional[int], owned: bool) -> None:
        self.stream = stream
        self.size = size
        self._owned = owned
        self.prefix: Optional[memoryview] = None

    def read_into(self, view: memoryview) -> int:
        total = 0
        if self.prefix is not None and len(self.prefix):
            count = min(len(view), len(self.prefix))
            view[:count] = self.prefix[:count]
            self.prefix = self.prefix[count:]
            total = count
        if total < len(view):
            total += _fill(self.stream, view[total:])
        return total

    def finish(self) -> None:
        pass

    def close(self) -> None:
        if self._owned:
            try:
                self.stream.close()
            except Exception:
                pass


_PLAIN_FILE_TYPES = (io.BufferedReader, io.BufferedRandom, io.FileIO)


def open_source(fileobj: Any, osutil: Any) -> _Source:
    """Pick the fastest safe way to read ``fileobj`` (a filename or a readable object)."""
    if isinstance(fileobj, (str, os.PathLike)):
        path = os.fspath(fileobj)
        if osutil.is_special_file(path):
            stream = osutil.open(path, "rb")
            return StreamSource(stream, None, owned=True)
        if type(osutil).open is not OSUtils.open or type(osutil).get_file_size is not OSUtils.get_file_size:
            return _custom_source(osutil, path)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            size = os.fstat(fd).st_size
        except OSError:
            os.close(fd)
            raise
        return FileRegionSource(fd, 0, size, owned=True)
    if type(fileobj) in _PLAIN_FILE_TYPES and hasattr(os, "preadv"):
        try:
            fd = fileobj.fileno()
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode) and fileobj.seekable():
                start = fileobj.tell()
                return FileRegionSource(fd, start, max(0, info.st_size - start), owned=False, fileobj=fileobj)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
    known_size: Optional[int] = None
    try:
        if fileobj.seekable():
            position = fileobj.tell()
            end = fileobj.seek(0, 2)
            fileobj.seek(position)
            known_size = max(0, end - position)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        known_size = None
    return StreamSource(fileobj, known_size, owned=False)


def _custom_source(osutil: Any, path: str) -> _Source:
    """A file read through a user's ``OSUtils`` (its ``get_file_size`` and ``open``), with pread when it has a descriptor."""
    size = osutil.get_file_size(path)
    stream = osutil.open(path, "rb")
    try:
        fd = stream.fileno()
        if stat.S_ISREG(os.fstat(fd).st_mode) and stream.seekable():
            return FileRegionSource(fd, stream.tell(), size, owned=False, fileobj=stream, close=stream.close)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        pass
    return StreamSource(stream, size, owned=True)


# -- argument routing --------------------------------------------------------------------------
def _pick(args: Dict[str, Any], names: List[str]) -> Dict[str, Any]:
    return {k: v for k, v in args.items() if k in names}


def _drop(args: Dict[str, Any], names: List[str]) -> Dict[str, Any]:
    return {k: v for k, v in args.items() if k not in names}


def _accepted_by(client: Any, operation: str, args: Dict[str, Any]) -> Dict[str, Any]:
    """Drop arguments the operation's model does not know (e.g. MpuObjectSize on COS)."""
    try:
        members = client.meta.service_model.operation_model(operation).input_shape.members
    except Exception:
        return args
    dropped = [k for k in args if k not in members]
    if dropped:
        logger.debug("%s does not take %s; not sent", operation, ", ".join(dropped))
    return {k: v for k, v in args.items() if k in members}


class ChecksumPlan:
    """Which checksum the upload sends and who computes it, decided once per transfer.

    The client's S3 step decides how each PutObject / UploadPart body is signed and where
    its checksum goes (:func:`ibm_botocore.s3.upload_body_plan` gives that decision ahead
    of the request); this plan only says what the transfer computes itself:

    * a checksum in an aws-chunked trailer (https) is computed by the client while it
      sends the body -- nothing is hashed beforehand, as ibm-cos-sdk does;
    * a checksum in a header (plain http, SigV2) is computed here, in the same pass over
      the part as the signer's SHA-256 when the signer hashes payloads, and the body then
      goes out with sendfile(2).
    """

    def __init__(self, client: Any, extra_args: Dict[str, Any]) -> None:
        self.full_object = next((k for k in FULL_OBJECT_CHECKSUM_ARGS if k in extra_args), None)
        algorithm = extra_args.get("ChecksumAlgorithm")
        setting = getattr(client.meta.config, "request_checksum_calculation", None) or "when_supported"
        if self.full_object is not None:
            algorithm = algorithm or self.full_object[len("Checksum") :]
        elif algorithm is None and setting == "when_supported":
            algorithm = "CRC32"
        # The parameter is sent only when the caller (or the manager's default) named an
        # algorithm, as spelled (ibm-cos-sdk passes it through); the client's own default
        # checksum is still computed here when the plan asks for CRC32.
        self.requested_algorithm: Optional[str] = algorithm if self.full_object is not None else extra_args.get("ChecksumAlgorithm")
        self.algorithm: Optional[str] = algorithm.upper() if isinstance(algorithm, str) else None
        body_plan = s3.upload_body_plan(client, self.algorithm)
        self.trailer = body_plan.in_trailer
        # CRC32 is computed here for header use; other algorithms are left to the client.
        self.crc32 = self.algorithm == "CRC32" and not self.trailer
        self.sha256_for_signer = body_plan.sign_payload


# -- tasks -------------------------------------------------------------------------------------
class UploadSubmissionTask(ManagedSubmissionTask):
    """Decides between PutObject and multipart, and submits the requests."""

    def _submit_requests(self, resources: TransferResources) -> None:
        coordinator, transfer_future = self._transfer_coordinator, resources.transfer_future
        buffer_pool: BufferPool = resources.buffer_pool
        call_args = transfer_future.meta.call_args
        extra_args = dict(call_args.extra_args or {})
        source = open_source(call_args.fileobj, resources.osutil)
        coordinator.add_done_callback(source.close)
        # (a size given through provide_transfer_size is only used for progress: a stream
        # is read to its end whatever it was said to hold)
        if source.size is not None:
            transfer_future.meta.provide_transfer_size(source.size)
        plan = ChecksumPlan(resources.client, extra_args)
        progress = ProgressReporter(get_callbacks(transfer_future, "progress"))
        context = _UploadContext(
            resources.client, resources.config, coordinator, resources.request_executor, call_args.bucket, call_args.key,
            extra_args, plan, progress, resources.bandwidth_limiter, buffer_pool, source,
        )
        threshold = resources.config.multipart_threshold
        if source.size is not None and source.size < threshold and not isinstance(source, StreamSource):
            context.put_object()
            return
        if isinstance(source, StreamSource) and (source.size is None or source.size < threshold):
            # Read up to the threshold (in a pooled buffer, so memory stays bounded) to
            # decide between PutObject and multipart.
            wanted = threshold if source.size is None else source.size
            head = buffer_pool.acquire(wanted, coordinator)
            try:
                got = source.read_into(memoryview(head)[:wanted])
            except BaseException:
                buffer_pool.release(head)
                raise
            if got < threshold:
                transfer_future.meta.provide_transfer_size(got)
                context.put_object(memory=memoryview(head)[:got], buffer=head)
                return
            # A stream of at least the threshold: its first bytes become the first part(s).
            # The slot is freed now (the parts take their own); the bytes are copied out.
            buffer_pool.release(head, reuse=False)
            source.prefix = memoryview(head)
        context.multipart(transfer_future)


class MultipartJob:
    """A multipart upload (or copy) in progress: collects parts, completes or aborts it."""

    def __init__(self, client: Any, coordinator: Any, bucket: str, key: str, extra_args: Dict[str, Any]) -> None:
        self.client = client
        self.coordinator = coordinator
        self.bucket = bucket
        self.key = key
        self.extra_args = extra_args
        self.upload_id: Optional[str] = None
        self._lock = threading.Lock()
        self._parts: List[Dict[str, Any]] = []
        self._parts_done = 0
        self._parts_total: Optional[int] = None
        self._completing = False

    def create(self, create_args: Dict[str, Any]) -> str:
        """CreateMultipartUpload; from then on a failure of the transfer aborts the upload."""
        create_args = _accepted_by(self.client, "CreateMultipartUpload", create_args)
        response = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.key, **create_args)
        self.upload_id = response["UploadId"]
        self.coordinator.add_failure_cleanup(self.abort)
        return self.upload_id

    def part_done(self, entry: Dict[str, Any]) -> None:
        with self._lock:
            self._parts.append(entry)
            self._parts_done += 1
            ready = self._parts_total is not None and self._parts_done == self._parts_total and not self._completing
            if ready:
                self._completing = True
        if ready:
            self._complete()

    def all_submitted(self, total: int) -> None:
        with self._lock:
            self._parts_total = total
            ready = self._parts_done == total and not self._completing
            if ready:
                self._completing = True
        if ready:
            self._complete()

    def _complete(self) -> None:
        if self.coordinator.done():
            return
        parts = sorted(self._parts, key=lambda p: p["PartNumber"])
        args = _pick(self.extra_args, COMPLETE_MULTIPART_ARGS)
        args = _accepted_by(self.client, "CompleteMultipartUpload", args)
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": parts}, **args
        )
        self.completed()
        self.coordinator.set_result(None)

    def completed(self) -> None:
        """Hook run after CompleteMultipartUpload succeeded."""

    def abort(self) -> None:
        args = _pick(self.extra_args, ["RequestPayer", "ExpectedBucketOwner"])
        last: Optional[BaseException] = None
        for _ in range(3):
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, **args)
                return
            except Exception as exc:
                code = (getattr(exc, "response", None) or {}).get("Error", {}).get("Code")
                if code == "NoSuchUpload":
                    return
                last = exc
        logger.warning("Could not abort multipart upload %s of %s/%s: %s", self.upload_id, self.bucket, self.key, last)


class _UploadContext(MultipartJob):
    """Everything the tasks of one upload share."""

    def __init__(
        self, client: Any, config: Any, coordinator: Any, executor: Any, bucket: str, key: str,
        extra_args: Dict[str, Any], plan: ChecksumPlan, progress: ProgressReporter, limiter: Any,
        buffer_pool: BufferPool, source: Any,
    ) -> None:
        super().__init__(client, coordinator, bucket, key, extra_args)
        self.config = config
        self.executor = executor
        self.plan = plan
        self.progress = progress
        self.limiter = limiter
        self.buffer_pool = buffer_pool
        self.source = source
        self._bytes_submitted = 0

    # -- single request ------------------------------------------------------------------
    def put_object(self, memory: Optional[memoryview] = None, buffer: Optional[bytearray] = None) -> None:
        task = PutObjectTask(self.coordinator, self, buffer, memory)
        try:
            self.coordinator.submit(self.executor, task)
        except BaseException:
            task._cleanup()
            raise

    def make_body(self, offset: int, length: int, memory: Optional[memoryview] = None) -> UploadBody:
        kwargs = {"progress": self.progress, "limiter": self.limiter, "coordinator": self.coordinator}
        body = UploadBody(length, view=memory, **kwargs) if memory is not None else self.source.body(offset, length, **kwargs)
        if self.plan.trailer:
            # the client wraps the body in an aws-chunked stream: every read is the send
            body.signal_transferring()
        return body

    def checksum_params(self, body: UploadBody, whole_object: bool = False) -> Dict[str, Any]:
        # A caller-given full-object checksum is the one a single PutObject sends.
        own_crc = self.plan.crc32 and not (whole_object and self.plan.full_object)
        crc = body.compute_digests(own_crc, self.plan.sha256_for_signer)
        if crc is not None:
            # handed to the client through the body, not as a parameter (what users'
            # Stubber expectations and handlers see stays ibm-cos-sdk's)
            body._crc32_b64 = crc32_to_b64(crc)
        params: Dict[str, Any] = {}
        if self.plan.requested_algorithm:
            params["ChecksumAlgorithm"] = self.plan.requested_algorithm
        return params

    # -- multipart -----------------------------------------------------------------------
    def multipart(self, transfer_future: Any) -> None:
        coordinator = self.coordinator
        create_args = _drop(self.extra_args, CREATE_MULTIPART_BLOCKLIST)
        if self.plan.requested_algorithm:
            create_args["ChecksumAlgorithm"] = self.plan.requested_algorithm
        if self.plan.full_object:
            create_args["ChecksumType"] = "FULL_OBJECT"
        self.create(create_args)
        size = self.source.size
        chunksize = part_size(self.config.multipart_chunksize, size)
        count = 0
        if isinstance(self.source, FileRegionSource):
            # (an empty file is one empty part)
            for offset, length in spans(size, chunksize) or [(0, 0)]:
                if coordinator.done():
                    return
                count += 1
                self._submit_part(count, offset, length, None)
        else:
            while True:
                if coordinator.done():
                    return
                buffer = self.buffer_pool.acquire(chunksize, coordinator)
                try:
                    got = self.source.read_into(memoryview(buffer))
                except BaseException:
                    self.buffer_pool.release(buffer)
                    raise
                if got == 0 and count > 0:
                    self.buffer_pool.release(buffer)
                    break
                count += 1
                self._submit_part(count, self._bytes_submitted, got, buffer)
                if got < chunksize:
                    break
            if self.source.size is None:
                transfer_future.meta.provide_transfer_size(self._bytes_submitted)
        self.all_submitted(count)

    def _submit_part(self, number: int, offset: int, length: int, buffer: Optional[bytearray]) -> None:
        self._bytes_submitted += length
        task = UploadPartTask(self.coordinator, self, buffer, number, offset, length)
        try:
            self.coordinator.submit(self.executor, task)
        except BaseException:
            if buffer is not None:
                self.buffer_pool.release(buffer)
            raise

    def completed(self) -> None:
        self.source.finish()


@dataclass(eq=False, repr=False)
class _PartBufferTask(TypedTask):
    """A task that may hold one of the upload's pooled part buffers; freed once, whatever happens."""

    context: _UploadContext
    buffer: Optional[bytearray]

    def _release(self) -> None:
        buffer = self.buffer
        if buffer is not None:
            self.buffer = None
            self.context.buffer_pool.release(buffer)

    def _cleanup(self) -> None:
        self._release()


@dataclass(eq=False, repr=False)
class PutObjectTask(_PartBufferTask):
    """Uploads a whole object with one PutObject."""

    final = True
    memory: Optional[memoryview]

    def _cleanup(self) -> None:
        if self.buffer is not None:
            self.memory = None
        self._release()

    def _run(self) -> None:
        context, memory = self.context, self.memory
        size = context.source.size if memory is None else len(memory)
        body = context.make_body(0, size or 0, memory)
        args = _drop(context.extra_args, PUT_OBJECT_BLOCKLIST)
        args.update(context.checksum_params(body, whole_object=True))
        args = _accepted_by(context.client, "PutObject", args)
        _send_with_retries(
            self._transfer_coordinator,
            body,
            lambda: context.client.put_object(Bucket=context.bucket, Key=context.key, Body=body, **args),
        )
        context.source.finish()


@dataclass(eq=False, repr=False)
class UploadPartTask(_PartBufferTask):
    """Uploads one part and reports it to the upload's context."""

    number: int
    offset: int
    length: int

    def _run(self) -> None:
        context, number, buffer = self.context, self.number, self.buffer
        memory = memoryview(buffer)[: self.length] if buffer is not None else None
        body = context.make_body(self.offset, self.length, memory)
        args = _pick(context.extra_args, UPLOAD_PART_ARGS)
        args.update(context.checksum_params(body))
        client = context.client
        response = _send_with_retries(
            self._transfer_coordinator,
            body,
            lambda: client.upload_part(
                Bucket=context.bucket, Key=context.key, UploadId=context.upload_id, PartNumber=number,
                Body=body, **args
            ),
        )
        entry: Dict[str, Any] = {"ETag": response["ETag"], "PartNumber": number}
        for name in FULL_OBJECT_CHECKSUM_ARGS:
            if name in response:
                entry[name] = response[name]
        if memory is not None:
            memory.release()
        self._release()
        context.part_done(entry)


def _send_with_retries(coordinator: Any, body: UploadBody, send: Callable[[], T]) -> T:
    """``send()`` as the part policy allows; a resend starts from the body's first byte."""

    def attempt(number: int) -> T:
        if number > 1:
            # rewinding while "transferring" takes back the progress the failed send reported
            body.signal_transferring()
            body.seek(0)
            body.signal_not_transferring()
        return send()

    return call_with_retries(attempt, RetryPolicy(_PART_ATTEMPTS, coordinator.done), what="A part")
