"""ibm_s3transfer: managed transfers (multipart uploads, ranged downloads, copies) for IBM COS.

The API to use is :class:`ibm_s3transfer.manager.TransferManager`. This module also
keeps the original, simpler interface (``S3Transfer`` with its own ``TransferConfig``,
``upload_file`` / ``download_file`` with a plain ``callback(bytes_amount)``), which now
runs on the TransferManager machinery.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional

from ibm_s3transfer.constants import KB, MB
from ibm_s3transfer.exceptions import RetriesExceededError, S3UploadFailedError
from ibm_s3transfer.utils import OSUtils, StreamReaderProgress, random_file_extension

if TYPE_CHECKING:  # at run time imported inside _manager_config, as before
    from ibm_s3transfer.manager import TransferConfig as ManagerConfig

__author__ = "IBM"
__version__ = "2.16.2"

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = [
    "MB",
    "KB",
    "S3Transfer",
    "TransferConfig",
    "MultipartUploader",
    "MultipartDownloader",
    "OSUtils",
    "ReadFileChunk",
    "StreamReaderProgress",
    "ShutdownQueue",
    "QueueShutdownError",
    "RetriesExceededError",
    "S3UploadFailedError",
    "random_file_extension",
    "disable_upload_callbacks",
    "enable_upload_callbacks",
]

SHUTDOWN_SENTINEL = object()


class QueueShutdownError(Exception):
    """put() on a ShutdownQueue after trigger_shutdown()."""


if TYPE_CHECKING:
    _AnyQueue = queue.Queue[Any]
else:  # queue.Queue takes no type arguments at run time before Python 3.9
    _AnyQueue = queue.Queue


class ShutdownQueue(_AnyQueue):
    """A queue that refuses new items once ``trigger_shutdown()`` was called."""

    def _init(self, maxsize: int) -> None:
        self._shutdown = False
        self._shutdown_lock = threading.Lock()
        queue.Queue._init(self, maxsize)

    def trigger_shutdown(self) -> None:
        with self._shutdown_lock:
            self._shutdown = True

    def put(self, item: Any, block: bool = True, timeout: Optional[float] = None) -> None:
        with self._shutdown_lock:
            if self._shutdown:
                raise QueueShutdownError("Cannot put item to queue when queue has been shutdown.")
        queue.Queue.put(self, item, block, timeout)


def disable_upload_callbacks(request: Any, operation_name: str, **kwargs: Any) -> None:
    if operation_name in ("PutObject", "UploadPart") and hasattr(request.body, "disable_callback"):
        request.body.disable_callback()


def enable_upload_callbacks(request: Any, operation_name: str, **kwargs: Any) -> None:
    if operation_name in ("PutObject", "UploadPart") and hasattr(request.body, "enable_callback"):
        request.body.enable_callback()


class TransferConfig:
    """Settings of the original S3Transfer interface."""

    def __init__(
        self,
        multipart_threshold: int = 8 * MB,
        max_concurrency: int = 10,
        multipart_chunksize: int = 8 * MB,
        num_download_attempts: int = 5,
        max_io_queue: int = 100,
    ) -> None:
        self.multipart_threshold = multipart_threshold
        self.max_concurrency = max_concurrency
        self.multipart_chunksize = multipart_chunksize
        self.num_download_attempts = num_download_attempts
        self.max_io_queue = max_io_queue

    def _manager_config(self, **overrides: Any) -> ManagerConfig:
        from ibm_s3transfer.manager import TransferConfig as ManagerConfig

        class _LegacyConfig(ManagerConfig):
            # the original interface retries a download after any OSError
            retry_os_errors = True

        settings: Dict[str, Any] = dict(
            multipart_threshold=self.multipart_threshold,
            multipart_chunksize=self.multipart_chunksize,
            max_request_concurrency=self.max_concurrency,
            num_download_attempts=self.num_download_attempts,
            max_io_queue_size=self.max_io_queue,
        )
        settings.update(overrides)
        return _LegacyConfig(**settings)


class ReadFileChunk:
    """``chunk_size`` bytes of an open file from ``start_byte`` (the original interface).

    ``callback(amount)`` hears of every read while enabled, and of the (negative)
    difference when ``seek`` moves back.
    """

    def __init__(self, fileobj: Any, start_byte: int, chunk_size: int, full_file_size: int,
                 callback: Optional[Callable[[int], Any]] = None, enable_callback: bool = True) -> None:
        self._fileobj = fileobj
        self._start_byte = start_byte
        self._size = max(0, min(chunk_size, full_file_size - start_byte))
        self._fileobj.seek(start_byte)
        self._amount_read = 0
        self._callback = callback
        self._callback_enabled = enable_callback

    @classmethod
    def from_filename(cls, filename: str, start_byte: int, chunk_size: int,
                      callback: Optional[Callable[[int], Any]] = None, enable_callback: bool = True) -> "ReadFileChunk":
        fileobj = open(filename, "rb")
        return cls(fileobj, start_byte, chunk_size, os.fstat(fileobj.fileno()).st_size, callback, enable_callback)

    def _tell_callback(self, amount: int) -> None:
        if self._callback is not None and self._callback_enabled:
            self._callback(amount)

    def read(self, amount: Optional[int] = None) -> bytes:
        left = self._size - self._amount_read
        data: bytes = self._fileobj.read(left if amount is None else min(left, amount))
        self._amount_read += len(data)
        self._tell_callback(len(data))
        return data

    def enable_callback(self) -> None:
        self._callback_enabled = True

    def disable_callback(self) -> None:
        self._callback_enabled = False

    def seek(self, where: int) -> None:
        self._fileobj.seek(self._start_byte + where)
        self._tell_callback(where - self._amount_read)
        self._amount_read = where

    def tell(self) -> int:
        return self._amount_read

    def close(self) -> None:
        self._fileobj.close()

    def __len__(self) -> int:
        return self._size

    def __enter__(self) -> "ReadFileChunk":
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def __iter__(self) -> Iterator[Any]:
        return iter([])


class _CallbackSubscriber:
    def __init__(self, callback: Callable[[int], Any]) -> None:
        self._callback = callback

    def on_progress(self, bytes_transferred: int, **kwargs: Any) -> None:
        self._callback(bytes_transferred)


class _KnownSize:
    def __init__(self, size: int) -> None:
        self._size = size

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        future.meta.provide_transfer_size(self._size)


def _run(client: Any, config: Any, osutil: Any, start: Callable[[Any], Any]) -> Any:
    from ibm_s3transfer.manager import TransferManager

    class _LegacyManager(TransferManager):
        # the original interface validates its own argument lists
        @staticmethod
        def _check_arg_names(given: Dict[str, Any], allowed: List[str]) -> None:
            return None

        # and passes only the caller's arguments (the client adds its default checksum)
        def _add_checksum_defaults(self, extra_args: Dict[str, Any]) -> None:
            return None

    manager = _LegacyManager(client, config, osutil)
    with manager:
        return start(manager).result()


def _validate(actual: Optional[Dict[str, Any]], allowed: List[str]) -> Dict[str, Any]:
    actual = dict(actual or {})
    for name in actual:
        if name not in allowed:
            raise ValueError("Invalid extra_args key '%s', must be one of: %s" % (name, ", ".join(allowed)))
    return actual


class S3Transfer:
    """The original transfer interface: ``upload_file`` and ``download_file``."""

    ALLOWED_DOWNLOAD_ARGS = ["VersionId", "SSECustomerAlgorithm", "SSECustomerKey", "SSECustomerKeyMD5", "RequestPayer"]
    ALLOWED_UPLOAD_ARGS = [
        "ACL",
        "CacheControl",
        "ContentDisposition",
        "ContentEncoding",
        "ContentLanguage",
        "ContentType",
        "Expires",
        "GrantFullControl",
        "GrantRead",
        "GrantReadACP",
        "GrantWriteACL",
        "Metadata",
        "RequestPayer",
        "ServerSideEncryption",
        "StorageClass",
        "SSECustomerAlgorithm",
        "SSECustomerKey",
        "SSECustomerKeyMD5",
        "SSEKMSKeyId",
        "RetentionExpirationDate",
        "RetentionLegalHoldId",
        "RetentionPeriod",
    ]

    def __init__(self, client: Any, config: Optional[TransferConfig] = None, osutil: Optional[OSUtils] = None) -> None:
        self._client = client
        self._config = config if config is not None else TransferConfig()
        self._osutil = osutil if osutil is not None else OSUtils()

    def upload_file(self, filename: str, bucket: str, key: str, callback: Optional[Callable[[int], Any]] = None, extra_args: Optional[Dict[str, Any]] = None) -> None:
        """Upload ``filename`` to ``bucket``/``key``; ``callback(bytes_amount)`` reports progress."""
        extra_args = _validate(extra_args, self.ALLOWED_UPLOAD_ARGS)
        subscribers = [_CallbackSubscriber(callback)] if callback is not None else []
        try:
            _run(self._client, self._config._manager_config(), self._osutil,
                 lambda m: m.upload(filename, bucket, key, extra_args, subscribers))
        except Exception as exc:
            from ibm_botocore.exceptions import ClientError

            if isinstance(exc, ClientError):
                raise S3UploadFailedError("Failed to upload %s to %s: %s" % (filename, "/".join([bucket, key]), exc))
            raise

    def download_file(self, bucket: str, key: str, filename: str, extra_args: Optional[Dict[str, Any]] = None, callback: Optional[Callable[[int], Any]] = None) -> None:
        """Download ``bucket``/``key`` to ``filename`` (through a temporary file)."""
        extra_args = _validate(extra_args, self.ALLOWED_DOWNLOAD_ARGS)
        subscribers = [_CallbackSubscriber(callback)] if callback is not None else []
        _run(self._client, self._config._manager_config(), self._osutil,
             lambda m: m.download(bucket, key, filename, extra_args, subscribers))

    def _object_size(self, bucket: str, key: str, extra_args: Dict[str, Any]) -> int:
        size: int = self._client.head_object(Bucket=bucket, Key=key, **extra_args)["ContentLength"]
        return size


class MultipartUploader:
    """Uploads a file as a multipart upload whatever its size (original interface)."""

    UPLOAD_PART_ARGS = ["SSECustomerKey", "SSECustomerAlgorithm", "SSECustomerKeyMD5", "RequestPayer"]

    def __init__(self, client: Any, config: TransferConfig, osutil: OSUtils, executor_cls: Any = ThreadPoolExecutor) -> None:
        self._client = client
        self._config = config
        self._os = osutil
        self._executor_cls = executor_cls

    def upload_file(self, filename: str, bucket: str, key: str, callback: Optional[Callable[[int], Any]], extra_args: Dict[str, Any]) -> None:
        subscribers = [_CallbackSubscriber(callback)] if callback is not None else []
        config = self._config._manager_config(multipart_threshold=1)
        try:
            _run(self._client, config, self._os, lambda m: m.upload(filename, bucket, key, dict(extra_args or {}), subscribers))
        except Exception as exc:
            from ibm_botocore.exceptions import ClientError

            if isinstance(exc, ClientError):
                raise S3UploadFailedError("Failed to upload %s to %s: %s" % (filename, "/".join([bucket, key]), exc))
            raise


class MultipartDownloader:
    """Downloads an object with parallel ranged GETs (original interface)."""

    def __init__(self, client: Any, config: TransferConfig, osutil: OSUtils, executor_cls: Any = ThreadPoolExecutor) -> None:
        self._client = client
        self._config = config
        self._os = osutil
        self._executor_cls = executor_cls

    def download_file(self, bucket: str, key: str, filename: str, object_size: int, extra_args: Dict[str, Any], callback: Optional[Callable[[int], Any]] = None) -> None:
        # the caller knows the size: no HeadObject
        subscribers: List[Any] = [_KnownSize(object_size)]
        if callback is not None:
            subscribers.append(_CallbackSubscriber(callback))
        config = self._config._manager_config(multipart_threshold=1)

        def start(manager: Any) -> Any:
            future = manager.download(bucket, key, filename, dict(extra_args or {}), subscribers)
            return future

        _run(self._client, config, self._os, start)
