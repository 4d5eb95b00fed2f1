"""High-level S3 transfers for ibm_boto3: ``TransferConfig``, ``S3Transfer`` and the manager.

``client.upload_file`` / ``download_file`` / ``upload_fileobj`` / ``download_fileobj`` /
``copy`` (and the same methods of ``Bucket`` and ``Object``) run through here::

    from ibm_boto3.s3.transfer import TransferConfig
    config = TransferConfig(multipart_threshold=15 * 1024 ** 2, multipart_chunksize=5 * 1024 ** 2)
    client.upload_file("big.bin", "bucket", "key", ExtraArgs={"RetentionPeriod": 86400}, Config=config)

or directly, with a :class:`TransferManager`::

    manager = ibm_boto3.s3.transfer.TransferManager(client, config=config)
    manager.upload("big.bin", "bucket", "key").result()
    manager.shutdown()
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from ibm_botocore.exceptions import ClientError

from ibm_boto3.exceptions import RetriesExceededError, S3UploadFailedError
from ibm_s3transfer.constants import GB, KB, MB
from ibm_s3transfer.exceptions import RetriesExceededError as _RangeRetriesExceeded
from ibm_s3transfer.futures import NonThreadedExecutor
from ibm_s3transfer.manager import TransferConfig as S3TransferConfig
from ibm_s3transfer.manager import TransferManager
from ibm_s3transfer.subscribers import BaseSubscriber
from ibm_s3transfer.utils import OSUtils

__all__ = [
    "TransferConfig",
    "S3Transfer",
    "TransferManager",
    "ProgressCallbackInvoker",
    "create_transfer_manager",
    "KB",
    "MB",
    "GB",
]


def create_transfer_manager(client: Any, config: "TransferConfig", osutil: Optional[OSUtils] = None) -> TransferManager:
    """A TransferManager for ``client``; ``config.use_threads=False`` runs everything in the calling thread."""
    inline = not getattr(config, "use_threads", True)
    return TransferManager(client, config=config, osutil=osutil, executor_cls=NonThreadedExecutor if inline else None)


class TransferConfig(S3TransferConfig):
    """Transfer settings with the ibm_boto3 names.

    ``max_concurrency`` is the number of request threads (``max_request_concurrency``)
    and ``max_io_queue`` is ``max_io_queue_size``; each pair stays in sync.
    ``use_threads=False`` runs transfers in the calling thread.
    ``verify_etag`` checks downloads of objects that carry no stored checksum against
    their ETag (MD5): None (default) over plain http only, True always, False never.
    """

    max_concurrency: int
    max_io_queue: int
    use_threads: bool

    _ALIASES = (("max_concurrency", "max_request_concurrency"), ("max_io_queue", "max_io_queue_size"))

    def __init__(
        self,
        multipart_threshold: int = 8 * MB,
        max_concurrency: int = 10,
        multipart_chunksize: int = 8 * MB,
        num_download_attempts: int = 5,
        max_io_queue: int = 100,
        io_chunksize: int = 256 * KB,
        use_threads: bool = True,
        max_bandwidth: Optional[int] = None,
        verify_etag: Optional[bool] = None,
    ) -> None:
        super().__init__(
            multipart_threshold=multipart_threshold,
            max_request_concurrency=max_concurrency,
            multipart_chunksize=multipart_chunksize,
            num_download_attempts=num_download_attempts,
            max_io_queue_size=max_io_queue,
            io_chunksize=io_chunksize,
            max_bandwidth=max_bandwidth,
            verify_etag=verify_etag,
        )
        self.use_threads = use_threads

    def __setattr__(self, name: str, value: Any) -> None:
        # keep each ibm_boto3 name and its TransferManager name equal
        object.__setattr__(self, name, value)
        for first, second in self._ALIASES:
            if name == first:
                object.__setattr__(self, second, value)
            elif name == second:
                object.__setattr__(self, first, value)


class ProgressCallbackInvoker(BaseSubscriber):
    """Calls ``callback(bytes_transferred)`` on every progress event."""

    def __init__(self, callback: Callable[[int], Any]) -> None:
        self._callback = callback

    def on_progress(self, bytes_transferred: int, **kwargs: Any) -> None:  # type: ignore[override]
        self._callback(bytes_transferred)


def _as_filename(filename: Any) -> str:
    import os

    if isinstance(filename, (str, os.PathLike)):
        return os.fspath(filename)
    raise ValueError("Filename must be a string or a path-like object")


def _callback_subscribers(callback: Optional[Callable[[int], Any]]) -> Optional[List[ProgressCallbackInvoker]]:
    return None if not callback else [ProgressCallbackInvoker(callback)]


class S3Transfer:
    """``upload_file`` / ``download_file`` on top of a TransferManager."""

    ALLOWED_DOWNLOAD_ARGS = list(TransferManager.ALLOWED_DOWNLOAD_ARGS)
    ALLOWED_UPLOAD_ARGS = list(TransferManager.ALLOWED_UPLOAD_ARGS)

    def __init__(self, client: Any = None, config: Optional[TransferConfig] = None, osutil: Optional[OSUtils] = None, manager: Optional[TransferManager] = None) -> None:
        if client is None and manager is None:
            raise ValueError("S3Transfer needs a client or a TransferManager")
        if manager is not None and (client is not None or config is not None or osutil is not None):
            raise ValueError("S3Transfer takes either a TransferManager, or a client with an optional config and osutil, not both")
        self._manager = manager or create_transfer_manager(
            client, config if config is not None else TransferConfig(), osutil=osutil if osutil is not None else OSUtils()
        )

    def upload_file(self, filename: str, bucket: str, key: str, callback: Optional[Callable[[int], Any]] = None, extra_args: Optional[Dict[str, Any]] = None) -> None:
        """Upload ``filename`` to ``bucket``/``key`` (multipart above the threshold)."""
        filename = _as_filename(filename)
        future = self._manager.upload(filename, bucket, key, extra_args, _callback_subscribers(callback))
        try:
            future.result()
        except ClientError as failure:
            raise S3UploadFailedError("Failed to upload %s to %s/%s: %s" % (filename, bucket, key, failure)) from failure

    def download_file(self, bucket: str, key: str, filename: str, extra_args: Optional[Dict[str, Any]] = None, callback: Optional[Callable[[int], Any]] = None) -> None:
        """Download ``bucket``/``key`` to ``filename`` (written only once complete and verified)."""
        filename = _as_filename(filename)
        future = self._manager.download(bucket, key, filename, extra_args, _callback_subscribers(callback))
        try:
            future.result()
        except _RangeRetriesExceeded as failure:
            raise RetriesExceededError(failure.last_exception) from failure

    def __enter__(self) -> "S3Transfer":
        return self

    def __exit__(self, *args: Any) -> None:
        self._manager.__exit__(*args)
