"""Downloads with worker processes instead of threads (``ProcessPoolDownloader``).

::

    with ProcessPoolDownloader(client_kwargs={"endpoint_url": ..., "aws_access_key_id": ...}) as downloader:
        downloader.download_file("bucket", "key", "/tmp/file").result()

Each worker process builds its own client with
``ibm_botocore.session.Session().create_client('s3', **client_kwargs)`` and writes the
ranges it fetches straight into the temporary file ``<filename>.<8 hex digits>`` at
their offsets; the parent renames it over ``filename`` once every range arrived with
its full length and matches what ``ibm_s3transfer.integrity`` plans for it -- the same
plan as the threaded downloader's: a CRC32 (full-object, or composite ``<b64>-<N>`` with
the ranges aligned to the parts) combined from the ranges' CRC32s, else the ETag
(``ProcessTransferConfig(verify_etag=...)``, by default on over http only). For a
multipart ETag each worker fetches whole parts and returns their MD5s; a single-PUT
object above the threshold is hashed by the parent from the temporary file (MD5 cannot
be combined across processes). On a mismatch the object is fetched once more: a stored
checksum that still does not match fails the download, an ETag that two identical
fetches disagree with is accepted (logged at DEBUG). On failure the temporary file is removed.
"""
from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Tuple

from ibm_botocore.checksums import crc32
from ibm_s3transfer.constants import ALLOWED_DOWNLOAD_ARGS, MB, PROCESS_USER_AGENT
from ibm_s3transfer.exceptions import CancelledError, ChecksumMismatchError, RetriesExceededError
from ibm_s3transfer.futures import InterruptibleFuture
from ibm_s3transfer.parts import spans
from ibm_s3transfer.retry import RetryPolicy, call_with_retries, get_range
from ibm_s3transfer.utils import CallArgs, pread_into, pwrite_all, random_file_extension, thread_buffer

logger = logging.getLogger(__name__)

# Full fetches of the object before a checksum mismatch fails the download.
_VERIFY_ROUNDS = 2

__all__ = ["ProcessTransferConfig", "ProcessPoolDownloader", "ProcessPoolTransferFuture", "ProcessPoolTransferMeta"]


class ProcessTransferConfig:
    """Settings of a ProcessPoolDownloader."""

    multipart_threshold: int
    multipart_chunksize: int
    max_request_processes: int
    verify_etag: Optional[bool]

    def __init__(self, multipart_threshold: int = 8 * MB, multipart_chunksize: int = 8 * MB, max_request_processes: int = 10,
                 verify_etag: Optional[bool] = None) -> None:
        self.multipart_threshold = multipart_threshold
        self.multipart_chunksize = multipart_chunksize
        self.max_request_processes = max_request_processes
        # ETag (MD5) check of objects without a stored checksum: None = over plain http only
        self.verify_etag = verify_etag


class ProcessPoolTransferMeta:
    def __init__(self, transfer_id: int, call_args: CallArgs) -> None:
        self._transfer_id = transfer_id
        self._call_args = call_args
        self._user_context: Dict[str, Any] = {}

    @property
    def call_args(self) -> CallArgs:
        return self._call_args

    @property
    def transfer_id(self) -> int:
        return self._transfer_id

    @property
    def user_context(self) -> Dict[str, Any]:
        return self._user_context


class ProcessPoolTransferFuture(InterruptibleFuture):
    """The handle of one process-pool download."""

    def __init__(self, future: "Future[Any]", meta: ProcessPoolTransferMeta, cancel_event: threading.Event) -> None:
        self._future = future
        self._meta = meta
        self._cancel_event = cancel_event

    @property
    def meta(self) -> ProcessPoolTransferMeta:
        return self._meta

    def done(self) -> bool:
        return self._future.done()

    def _wait(self) -> Any:
        return self._future.result()

    def cancel(self) -> None:
        self._cancel_event.set()


# -- worker side ---------------------------------------------------------------------------------
_WORKER_CLIENT: Any = None


def _init_worker(client_kwargs: Dict[str, Any]) -> None:
    global _WORKER_CLIENT
    from ibm_botocore.config import Config
    from ibm_botocore.session import Session

    kwargs = dict(client_kwargs)
    config = kwargs.pop("config", None) or Config()
    config = config.merge(Config(user_agent_extra=PROCESS_USER_AGENT)) if hasattr(config, "merge") else config
    _WORKER_CLIENT = Session().create_client("s3", config=config, **kwargs)


def _fetch_range(bucket: str, key: str, get_args: Dict[str, Any], temp: str, start: int, length: int, whole: bool, attempts: int,
                 want_md5: bool = False) -> Tuple[int, int, Optional[bytes]]:
    """GET one range into ``temp`` at its offset; returns (bytes, crc32, md5 or None)."""
    fd = os.open(temp, os.O_WRONLY)
    try:
        def attempt(_number: int) -> Tuple[int, int, Optional[bytes]]:
            response = get_range(_WORKER_CLIENT, bucket, key, get_args, start, start + length - 1, whole)
            return _write_range(response["Body"], fd, start, length, want_md5)

        policy = RetryPolicy(attempts, wrap_exhausted=True)
        return call_with_retries(attempt, policy, what="Range at %d of %s/%s" % (start, bucket, key))
    finally:
        os.close(fd)


def _write_range(body: Any, fd: int, start: int, length: int, want_md5: bool) -> Tuple[int, int, Optional[bytes]]:
    """Copies ``length`` bytes of ``body`` to ``fd`` at ``start``; (bytes, crc32, md5 or None)."""
    buffer = thread_buffer()
    got = 0
    crc = 0
    md5 = hashlib.md5() if want_md5 else None
    while got < length:
        count = body.readinto(buffer[: min(len(buffer), length - got)])
        if not count:
            raise ConnectionError("range ended after %d of %d bytes" % (got, length))
        view = buffer[:count]
        crc = crc32(view, crc)
        if md5 is not None:
            md5.update(view)
        pwrite_all(fd, view, start + got)
        got += count
    return got, crc, md5.digest() if md5 is not None else None


# -- parent side ---------------------------------------------------------------------------------
class ProcessPoolDownloader:
    """Downloads files with a pool of ``max_request_processes`` worker processes."""

    def __init__(self, client_kwargs: Optional[Dict[str, Any]] = None, config: Optional[ProcessTransferConfig] = None) -> None:
        self._client_kwargs = dict(client_kwargs or {})
        self._config = config if config is not None else ProcessTransferConfig()
        self._pool: Optional[ProcessPoolExecutor] = None
        self._client: Any = None
        self._lock = threading.Lock()
        self._next_id = 0
        self._orchestrator = ThreadPoolExecutor(max_workers=max(1, self._config.max_request_processes))
        self._futures: List[ProcessPoolTransferFuture] = []
        self._shutdown = False

    def _start(self) -> None:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=self._config.max_request_processes, mp_context=context,
                initializer=_init_worker, initargs=(self._client_kwargs,),
            )
            from ibm_botocore.session import Session

            self._client = Session().create_client("s3", **self._client_kwargs)

    def download_file(self, bucket: str, key: str, filename: str, extra_args: Optional[Dict[str, Any]] = None, expected_size: Optional[int] = None) -> ProcessPoolTransferFuture:
        """Start downloading ``bucket``/``key`` to ``filename``."""
        extra_args = dict(extra_args or {})
        for name in extra_args:
            if name not in ALLOWED_DOWNLOAD_ARGS:
                raise ValueError("Invalid extra_args key '%s', must be one of: %s" % (name, ", ".join(ALLOWED_DOWNLOAD_ARGS)))
        with self._lock:
            if self._shutdown:
                raise RuntimeError("The downloader was shut down")
            self._start()
            transfer_id = self._next_id
            self._next_id += 1
        call_args = CallArgs(bucket=bucket, key=key, filename=os.fspath(filename), extra_args=extra_args, expected_size=expected_size)
        cancel_event = threading.Event()
        inner = self._orchestrator.submit(self._download, call_args, cancel_event)
        future = ProcessPoolTransferFuture(inner, ProcessPoolTransferMeta(transfer_id, call_args), cancel_event)
        self._futures.append(future)
        return future

    def _download(self, call_args: CallArgs, cancel_event: threading.Event) -> None:
        """Plans, fetches into a temporary file and renames it over the target once verified; removes it on failure."""
        bucket, key, filename = call_args.bucket, call_args.key, call_args.filename
        get_args, size, verifier, ranges = self._plan(call_args)
        temp = "%s.%s" % (filename, random_file_extension())
        fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            os.ftruncate(fd, size)
        finally:
            os.close(fd)
        try:
            self._fetch_verified(bucket, key, get_args, temp, ranges, cancel_event, verifier, size)
            os.replace(temp, filename)
        except BaseException:
            try:
                os.remove(temp)
            except OSError:
                pass
            raise

    def _plan(self, call_args: CallArgs) -> Tuple[Dict[str, Any], int, Any, List[Tuple[int, int, bool]]]:
        """The GET arguments, size, verification plan and ranges (start, length, whole) of one download."""
        from ibm_s3transfer.integrity import HEAD_ARGS, Verifier, part_ranges, plan_verification

        bucket, key = call_args.bucket, call_args.key
        extra_args = call_args.extra_args
        config = self._config
        size = call_args.expected_size
        verifier, layout = Verifier("none"), None
        get_args = dict(extra_args)
        if size is None:
            head_args = {k: v for k, v in extra_args.items() if k in HEAD_ARGS}
            head_args.setdefault("ChecksumMode", "ENABLED")
            head = self._client.head_object(Bucket=bucket, Key=key, **head_args)
            size = head["ContentLength"]
            if head.get("ETag"):
                get_args["IfMatch"] = head["ETag"]
            verifier, layout = plan_verification(self._client, head, bucket, key, head_args, size, config)
        if layout:
            # a part's MD5 is computed by one worker: MD5s of the part MD5s need whole parts
            step = max(layout) if verifier.mode == "md5-parts" else config.multipart_chunksize
            pieces, verifier.part_bounds = part_ranges(layout, step)
            ranges = [(start, length, len(pieces) == 1) for start, length in pieces]
        elif size < config.multipart_threshold:
            ranges = [(0, size, True)]
        else:
            ranges = [(start, length, False) for start, length in spans(size, config.multipart_chunksize)]
        return get_args, size, verifier, ranges

    def _fetch_verified(self, bucket: str, key: str, get_args: Dict[str, Any], temp: str, ranges: List[Tuple[int, int, bool]],
                        cancel_event: threading.Event, verifier: Any, size: int) -> None:
        """Fetches into ``temp`` until the data matches its plan (or two identical fetches disagree with an ETag)."""
        from ibm_s3transfer.integrity import md5_of_written

        spans = [(s, n) for s, n, _ in ranges]
        workers_md5 = verifier.hashes_md5 and (verifier.mode == "md5-parts" or len(ranges) == 1)
        seen: List[Any] = []
        for attempt in range(_VERIFY_ROUNDS):
            results = self._fetch_all(bucket, key, get_args, temp, ranges, cancel_event, workers_md5)
            if verifier.hashes_md5:
                md5s = [md5 for _, _, md5 in results] if workers_md5 else None
                if md5s is not None and verifier.md5_matches(md5s):
                    break
                if md5s is None and self._md5_of_file(verifier, md5_of_written, temp, size):
                    break
                fingerprint = md5s if md5s is not None else [crc for _, crc, _ in results]
                if fingerprint in seen:
                    logger.debug("%s/%s: two fetches agree but do not match the ETag; accepting them", bucket, key)
                    break
                seen.append(fingerprint)
            elif not verifier.wants_crc or verifier.check(spans, [crc for _, crc, _ in results]):
                break
            logger.debug("%s/%s: %s mismatch, fetching again (round %d)", bucket, key, verifier.describe(), attempt + 1)
        else:
            raise RetriesExceededError(ChecksumMismatchError(
                "%s/%s: the downloaded data does not match its %s" % (bucket, key, verifier.describe())))

    @staticmethod
    def _md5_of_file(verifier: Any, md5_of_written: Any, temp: str, size: int) -> bool:
        fd = os.open(temp, os.O_RDONLY)
        try:
            return bool(md5_of_written(verifier, lambda offset, view: pread_into(fd, view, offset), size))
        finally:
            os.close(fd)

    def _fetch_all(self, bucket: str, key: str, get_args: Dict[str, Any], temp: str,
                   ranges: List[Tuple[int, int, bool]], cancel_event: threading.Event, want_md5: bool = False) -> List[Tuple[int, int, Optional[bytes]]]:
        """Every range into ``temp`` by the worker processes; (bytes, crc32, md5) per range."""
        jobs = [
            self._pool.submit(_fetch_range, bucket, key, get_args, temp, start, length, whole, 5, want_md5)  # type: ignore[union-attr]
            for start, length, whole in ranges
        ]
        results = []
        for job in jobs:
            if cancel_event.is_set():
                for other in jobs:
                    other.cancel()
                raise CancelledError("Download cancelled")
            results.append(job.result())
        for (start, length, _), (got, _, _) in zip(ranges, results):
            if got != length:
                raise RetriesExceededError(ConnectionError("range at %d: %d of %d bytes" % (start, got, length)))
        return results

    def shutdown(self) -> None:
        """Wait for the downloads and stop the worker processes."""
        with self._lock:
            self._shutdown = True
        for future in self._futures:
            try:
                future.result()
            except BaseException:
                pass
        self._orchestrator.shutdown()
        if self._pool is not None:
            self._pool.shutdown()

    def __enter__(self) -> "ProcessPoolDownloader":
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        if exc_type is not None:
            for future in self._futures:
                future.cancel()
        self.shutdown()
