"""The TransferManager: managed uploads, downloads, copies and deletes.

::

    with TransferManager(client, TransferConfig(max_request_concurrency=10)) as manager:
        future = manager.upload("big.bin", "bucket", "key", extra_args={"RetentionPeriod": 3600})
        future.result()

Each call returns a :class:`~ibm_s3transfer.futures.TransferFuture` at once; a
submission thread works out what to do (HeadObject, CreateMultipartUpload, ...) and
hands the requests to a pool of ``max_request_concurrency`` threads. See
:mod:`ibm_s3transfer.upload` and :mod:`ibm_s3transfer.download` for what is read,
written, verified and cleaned up.

Memory is bounded whatever the object size: transfers from and to files use one
1 MiB buffer per request thread; uploads from arbitrary streams hold at most
``max_in_memory_upload_chunks`` parts, downloads into non-seekable streams at most
``max_in_memory_download_chunks`` ranges. ``io_chunksize`` and ``max_io_queue_size``
are accepted for compatibility: writes happen in the request threads, at their
offsets, so there is no I/O queue.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import Any, Dict, Iterable, List, Optional, Type

from ibm_s3transfer.bandwidth import BandwidthLimiter, LeakyBucket
from ibm_s3transfer import constants as _limits
from ibm_s3transfer.constants import FULL_OBJECT_CHECKSUM_ARGS, KB, MB
from ibm_s3transfer.copies import CopySubmissionTask
from ibm_s3transfer.delete import DeleteSubmissionTask
from ibm_s3transfer.download import DownloadSlots, DownloadSubmissionTask
from ibm_s3transfer.exceptions import CancelledError, FatalError
from ibm_s3transfer.futures import (
    IN_MEMORY_DOWNLOAD_TAG,
    IN_MEMORY_UPLOAD_TAG,
    BoundedExecutor,
    TaskSemaphore,
    TransferCoordinator,
    TransferFuture,
    TransferMeta,
)
from ibm_s3transfer.tasks import ManagedSubmissionTask, TransferResources
from ibm_s3transfer.upload import BufferPool, UploadSubmissionTask, register_upload_handlers
from ibm_s3transfer.utils import CallArgs, OSUtils, get_callbacks

logger = logging.getLogger(__name__)

__all__ = ["TransferConfig", "TransferManager", "TransferCoordinatorController"]


class TransferConfig:
    """Settings of a TransferManager (sizes in bytes, ``max_bandwidth`` in bytes/second)."""

    multipart_threshold: int
    multipart_chunksize: int
    max_request_concurrency: int
    max_submission_concurrency: int
    max_request_queue_size: int
    max_submission_queue_size: int
    max_io_queue_size: int
    io_chunksize: int
    num_download_attempts: int
    max_in_memory_upload_chunks: int
    max_in_memory_download_chunks: int
    max_bandwidth: Optional[int]
    verify_etag: Optional[bool]

    def __init__(
        self,
        multipart_threshold: int = 8 * MB,
        multipart_chunksize: int = 8 * MB,
        max_request_concurrency: int = 10,
        max_submission_concurrency: int = 5,
        max_request_queue_size: int = 1000,
        max_submission_queue_size: int = 1000,
        max_io_queue_size: int = 1000,
        io_chunksize: int = 256 * KB,
        num_download_attempts: int = 5,
        max_in_memory_upload_chunks: int = 10,
        max_in_memory_download_chunks: int = 10,
        max_bandwidth: Optional[int] = None,
        verify_etag: Optional[bool] = None,
    ) -> None:
        given = locals()
        for name in self._FIELDS:
            setattr(self, name, given[name])
        # Check downloads of objects without a stored checksum against their ETag (MD5):
        # None = over plain http only, True/False = always/never (see ibm_s3transfer.integrity).
        self.verify_etag = verify_etag
        self.validate_attrs()

    _FIELDS = (
        "multipart_threshold", "multipart_chunksize", "max_request_concurrency", "max_submission_concurrency",
        "max_request_queue_size", "max_submission_queue_size", "max_io_queue_size", "io_chunksize",
        "num_download_attempts", "max_in_memory_upload_chunks", "max_in_memory_download_chunks", "max_bandwidth",
    )

    def validate_attrs(self) -> None:
        """Every setting must be a positive integer (``max_bandwidth``: None or any positive number of bytes/s)."""
        for name in self._FIELDS:
            value = getattr(self, name, None)
            if name == "max_bandwidth" and (value is None or (isinstance(value, float) and value > 0)):
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError("Provided parameter %s of value %r must be a positive integer." % (name, value))
        if getattr(self, "verify_etag", None) not in (None, True, False):
            raise ValueError("Provided parameter verify_etag of value %r must be None, True or False." % (self.verify_etag,))

    _validate_attrs_are_nonzero = validate_attrs

    def __repr__(self) -> str:
        return "%s(%s)" % (self.__class__.__name__, ", ".join("%s=%r" % (n, getattr(self, n, None)) for n in self._FIELDS + ("verify_etag",)))


class TransferCoordinatorController:
    """The coordinators of a manager's unfinished transfers (for shutdown)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._coordinators: List[TransferCoordinator] = []

    @property
    def tracked_transfer_coordinators(self) -> List[TransferCoordinator]:
        with self._lock:
            return list(self._coordinators)

    def add_transfer_coordinator(self, coordinator: TransferCoordinator) -> None:
        with self._lock:
            self._coordinators.append(coordinator)

    def remove_transfer_coordinator(self, coordinator: TransferCoordinator) -> None:
        with self._lock:
            try:
                self._coordinators.remove(coordinator)
            except ValueError:
                pass

    def cancel(self, msg: str = "", exc_type: type = CancelledError) -> None:
        for coordinator in self.tracked_transfer_coordinators:
            coordinator.cancel(msg, exc_type)

    def wait(self) -> None:
        """Wait until every tracked transfer finished (their errors are not raised here)."""
        for coordinator in self.tracked_transfer_coordinators:
            coordinator.wait()


class TransferManager:
    """Runs S3 transfers on thread pools; every method returns a TransferFuture."""

    ALLOWED_DOWNLOAD_ARGS = _limits.ALLOWED_DOWNLOAD_ARGS
    ALLOWED_UPLOAD_ARGS = _limits.ALLOWED_UPLOAD_ARGS
    ALLOWED_COPY_ARGS = _limits.ALLOWED_COPY_ARGS
    ALLOWED_DELETE_ARGS = _limits.ALLOWED_DELETE_ARGS
    VALIDATE_SUPPORTED_BUCKET_VALUES = True
    _UNSUPPORTED_BUCKET_PATTERNS = {
        "S3 Object Lambda": re.compile(r"^arn:(aws)[a-zA-Z-]*:s3-object-lambda:[a-z\-0-9]+:[0-9]{12}:accesspoint[/:][a-zA-Z0-9\-]{1,63}"),
    }

    def __init__(self, client: Any, config: Optional[TransferConfig] = None, osutil: Optional[OSUtils] = None, executor_cls: Any = None) -> None:
        self._client = client
        self._config = config if config is not None else TransferConfig()
        self._osutil = osutil if osutil is not None else OSUtils()
        config = self._config
        self._tracker = TransferCoordinatorController()
        self._submitters = BoundedExecutor(
            max_size=config.max_submission_queue_size,
            max_num_threads=config.max_submission_concurrency,
            executor_cls=executor_cls,
        )
        self._requests = BoundedExecutor(
            max_size=config.max_request_queue_size,
            max_num_threads=config.max_request_concurrency,
            tag_semaphores={
                IN_MEMORY_UPLOAD_TAG: TaskSemaphore(config.max_in_memory_upload_chunks),
                IN_MEMORY_DOWNLOAD_TAG: TaskSemaphore(config.max_in_memory_download_chunks),
            },
            executor_cls=executor_cls,
        )
        self._buffer_pool = BufferPool(config.max_in_memory_upload_chunks)
        self._download_slots = DownloadSlots(config.max_in_memory_download_chunks)
        self._bandwidth_limiter: Optional[BandwidthLimiter] = None
        if config.max_bandwidth is not None:
            self._bandwidth_limiter = BandwidthLimiter(LeakyBucket(config.max_bandwidth))
        self._id_lock = threading.Lock()
        self._next_id = 0
        self._shut_down = False
        register_upload_handlers(client)

    @property
    def client(self) -> Any:
        return self._client

    @property
    def config(self) -> TransferConfig:
        return self._config

    # -- the four transfers --------------------------------------------------------------
    def upload(self, fileobj: Any, bucket: str, key: str, extra_args: Optional[Dict[str, Any]] = None, subscribers: Optional[Iterable[Any]] = None) -> TransferFuture:
        """Upload a file (name, or readable binary file-like object) to ``bucket``/``key``."""
        extra_args = self._checked(extra_args, self.ALLOWED_UPLOAD_ARGS, bucket)
        self._add_checksum_defaults(extra_args)
        call_args = CallArgs(fileobj=fileobj, bucket=bucket, key=key, extra_args=extra_args, subscribers=list(subscribers or []))
        return self._start(call_args, UploadSubmissionTask)

    def download(self, bucket: str, key: str, fileobj: Any, extra_args: Optional[Dict[str, Any]] = None, subscribers: Optional[Iterable[Any]] = None) -> TransferFuture:
        """Download ``bucket``/``key`` into a file (name, or writable binary file-like object)."""
        extra_args = self._checked(extra_args, self.ALLOWED_DOWNLOAD_ARGS, bucket)
        call_args = CallArgs(bucket=bucket, key=key, fileobj=fileobj, extra_args=extra_args, subscribers=list(subscribers or []))
        return self._start(call_args, DownloadSubmissionTask)

    def copy(
        self,
        copy_source: Dict[str, Any],
        bucket: str,
        key: str,
        extra_args: Optional[Dict[str, Any]] = None,
        subscribers: Optional[Iterable[Any]] = None,
        source_client: Any = None,
    ) -> TransferFuture:
        """Copy ``copy_source`` ({'Bucket', 'Key', 'VersionId'?}) to ``bucket``/``key``."""
        extra_args = self._checked(extra_args, self.ALLOWED_COPY_ARGS, bucket)
        if isinstance(copy_source, dict):
            self._refuse_unsupported_bucket(copy_source.get("Bucket", ""))
        call_args = CallArgs(
            copy_source=copy_source, bucket=bucket, key=key, extra_args=extra_args,
            subscribers=list(subscribers or []), source_client=source_client if source_client is not None else self._client,
        )
        return self._start(call_args, CopySubmissionTask)

    def delete(self, bucket: str, key: str, extra_args: Optional[Dict[str, Any]] = None, subscribers: Optional[Iterable[Any]] = None) -> TransferFuture:
        """Delete ``bucket``/``key``."""
        extra_args = self._checked(extra_args, self.ALLOWED_DELETE_ARGS, bucket)
        call_args = CallArgs(bucket=bucket, key=key, extra_args=extra_args, subscribers=list(subscribers or []))
        return self._start(call_args, DeleteSubmissionTask)

    # -- helpers ---------------------------------------------------------------------------
    def _checked(self, extra_args: Optional[Dict[str, Any]], allowed: List[str], bucket: str) -> Dict[str, Any]:
        """A copy of ``extra_args`` after checking its keys and the bucket."""
        checked = dict(extra_args or {})
        self._check_arg_names(checked, allowed)
        self._refuse_unsupported_bucket(bucket)
        return checked

    @staticmethod
    def _check_arg_names(given: Dict[str, Any], allowed: List[str]) -> None:
        unknown = [name for name in given if name not in allowed]
        if unknown:
            raise ValueError("Invalid extra_args key '%s', must be one of: %s" % (unknown[0], ", ".join(allowed)))

    def _refuse_unsupported_bucket(self, bucket: str) -> None:
        if self.VALIDATE_SUPPORTED_BUCKET_VALUES and isinstance(bucket, str):
            for kind, regex in self._UNSUPPORTED_BUCKET_PATTERNS.items():
                if regex.match(bucket):
                    raise ValueError("TransferManager methods do not support %s resource; use the client's operations directly." % kind)

    def _add_checksum_defaults(self, extra_args: Dict[str, Any]) -> None:
        full = next((name for name in FULL_OBJECT_CHECKSUM_ARGS if name in extra_args), None)
        if full is not None:
            extra_args.setdefault("ChecksumType", "FULL_OBJECT")
            extra_args.setdefault("ChecksumAlgorithm", full[len("Checksum") :])
            return
        setting = getattr(self._client.meta.config, "request_checksum_calculation", None) or "when_supported"
        if setting == "when_supported" and "ChecksumAlgorithm" not in extra_args:
            extra_args["ChecksumAlgorithm"] = "CRC32"

    def _start(self, call_args: CallArgs, submission_task_cls: Type[ManagedSubmissionTask]) -> TransferFuture:
        with self._id_lock:
            transfer_id = self._next_id
            self._next_id += 1
        coordinator = TransferCoordinator(transfer_id=transfer_id)
        future = TransferFuture(TransferMeta(call_args, transfer_id=transfer_id), coordinator)
        for callback in get_callbacks(future, "done"):
            coordinator.add_done_callback(callback)
        controller = self._tracker
        controller.add_transfer_coordinator(coordinator)
        coordinator.add_done_callback(controller.remove_transfer_coordinator, coordinator)
        resources = TransferResources(
            client=self._client, config=self._config, osutil=self._osutil, request_executor=self._requests,
            submission_executor=self._submitters, transfer_future=future, buffer_pool=self._buffer_pool,
            download_slots=self._download_slots, bandwidth_limiter=self._bandwidth_limiter,
        )
        coordinator.set_status_to_queued()
        # (on_queued subscribers are told by the submission task, once)
        try:
            coordinator.submit(self._submitters, submission_task_cls(coordinator, resources))
        except BaseException as exc:
            coordinator.set_exception(exc)
            coordinator.announce_done()
            raise
        return future

    # -- life cycle ------------------------------------------------------------------------
    def __enter__(self) -> "TransferManager":
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        # Leaving the block because of an error cancels what is still running: with
        # CancelledError for Ctrl-C, with FatalError for anything else.
        if exc_type is None:
            self._stop(False, "", CancelledError)
            return
        reason = str(exc_value) or repr(exc_value)
        error_cls = CancelledError if issubclass(exc_type, KeyboardInterrupt) else FatalError
        self._stop(True, reason, error_cls)

    def shutdown(self, cancel: bool = False, cancel_msg: str = "") -> None:
        """Wait for the transfers to finish (cancel them first with ``cancel=True``) and stop the threads."""
        self._stop(cancel, cancel_msg, CancelledError)

    def _stop(self, cancel: bool, message: str, error_cls: type) -> None:
        if cancel:
            self._tracker.cancel(message, error_cls)
        try:
            self._tracker.wait()
        except KeyboardInterrupt:
            self._tracker.cancel("KeyboardInterrupt()")
            raise
        finally:
            self._submitters.shutdown()
            self._requests.shutdown()
            self._shut_down = True
