"""The AsperaTransferManager, on this SDK's own parallel HTTP engine.

The API of ibm-cos-sdk's Aspera transfer manager -- ``upload``, ``download``,
``upload_directory``, ``download_directory``, :class:`AsperaConfig`, subscribers,
``pause()`` / ``resume()`` / ``cancel()`` -- carried out with parallel multipart uploads
and ranged downloads over HTTPS (:mod:`ibm_s3transfer.directory` on the
:class:`~ibm_s3transfer.manager.TransferManager`) instead of IBM's closed-source FASP
library and ``ascp`` binary. It needs no extra package, works on every supported Python,
with IAM API-key **and** HMAC clients, against COS or any S3-compatible server. The
``cos-aspera`` package is not used even when it is installed.

How the settings map (see docs/aspera.md):

* ``AsperaConfig.multi_session`` -- parallel connections of one transfer (an int, or
  ``"all"`` for ``AsperaManagerConfig.ascp_max_concurrent``); unset: 10;
* ``multi_session_threshold_mb`` -- files of at least this many MB (10^6 bytes) are split
  into parts / ranges sent over those connections; unset: 8 MiB;
* ``target_rate_mbps`` / ``target_rate_cap_mbps`` -- one bandwidth ceiling in megabits per
  second (10^6 bit/s) for all the connections of the transfer (the lower one if both);
* ``AsperaManagerConfig.ascp_max_concurrent`` -- transfers running at once;
  ``max_submission_queue_size`` -- transfers waiting beyond them (then
  AsperaTransferQueueError "Max queued items reached");
* ``min_rate_*``, ``rate_policy``, ``lock_*``, ``destination_root``, ``ascp_log_path``,
  ``max_fasp_cache_size``, ``verify_ssl`` and ``delegated_token_manager`` are accepted and
  validated, and have no effect (TLS follows the client's own settings).

Directory transfers follow Aspera's default resume policy: files already complete at the
destination (same size and MD5/ETag) are not sent again.
"""
from __future__ import annotations

import logging
import os
import threading
import uuid
from collections import deque
from typing import Any, Deque, Dict, List, Optional

from ibm_s3transfer.aspera._config import AsperaConfig, AsperaManagerConfig
from ibm_s3transfer.aspera.exceptions import AsperaTransferQueueError
from ibm_s3transfer.aspera.futures import AsperaTransferCoordinator, AsperaTransferFuture, AsperaTransferMeta
from ibm_s3transfer.aspera.utils import FilePair, check_io_access
from ibm_s3transfer.directory import (
    DirectoryPlan,
    DirectoryTransfer,
    LocalFile,
    RemoteObject,
    TransferItem,
    already_complete,
    normalize_prefix,
    plan_download,
    plan_upload,
)
from ibm_s3transfer.manager import TransferConfig
from ibm_s3transfer.utils import CallArgs

logger = logging.getLogger("ibmcos.aspera")

__all__ = ["AsperaConfig", "AsperaManagerConfig", "AsperaTransferManager", "FilePair"]

DEFAULT_SESSIONS = 10
_SEND = "send"
_RECEIVE = "receive"


def transfer_config_for(config: Optional[AsperaConfig], manager_config: AsperaManagerConfig) -> TransferConfig:
    """The TransferConfig that carries out an AsperaConfig (see the module documentation)."""
    settings = config.dict if config is not None else {}
    sessions = settings.get("multi_session")
    if sessions is None:
        connections = DEFAULT_SESSIONS
    elif sessions == -1:
        connections = manager_config.ascp_max_concurrent
    else:
        connections = max(1, sessions)
    kwargs: Dict[str, Any] = {"max_request_concurrency": connections, "max_submission_concurrency": max(2, min(connections, 5))}
    threshold = settings.get("multi_session_threshold")
    if threshold is not None:
        kwargs["multipart_threshold"] = threshold
    rates = [settings[name] for name in ("target_rate_kbps", "target_rate_cap_kbps") if settings.get(name)]
    if rates:
        kwargs["max_bandwidth"] = max(1, min(rates) * 1000 // 8)  # kilobits/s -> bytes/s
    return TransferConfig(**kwargs)


class AsperaTransferManager:
    """Queues uploads and downloads of files and directories (the original's API)."""

    def __init__(
        self,
        client: Any,
        config: Optional[AsperaManagerConfig] = None,
        transfer_config: Optional[AsperaConfig] = None,
        delegated_token_manager: Any = None,
    ) -> None:
        from ibm_botocore.client import BaseClient

        assert isinstance(client, BaseClient), "AsperaTransferManager needs an ibm_boto3 client (not a resource or session)"
        self._client = client
        self._config = config if config is not None else AsperaManagerConfig()
        self._transfer_config = transfer_config
        # The original exchanged the client's API key for a delegated token for the Aspera
        # service; requests here are signed by the client itself (API key or HMAC).
        self._token_manager = delegated_token_manager
        self._lock = threading.Lock()
        self._waiting: Deque[Any] = deque()
        self._running: List[AsperaTransferCoordinator] = []
        self._all: List[AsperaTransferCoordinator] = []
        self._closed = False
        self._in_wait = False

    # -- public -----------------------------------------------------------------------------
    def upload(self, fileobj: str, bucket: str, key: str, transfer_config: Optional[AsperaConfig] = None,
               subscribers: Optional[List[Any]] = None) -> AsperaTransferFuture:
        """Upload the file ``fileobj`` (a path) to ``bucket``/``key``."""
        check_io_access(fileobj, os.R_OK, True)
        path = os.path.abspath(os.fspath(fileobj))

        def plan() -> DirectoryPlan:
            info = os.stat(path)
            item = TransferItem(os.path.basename(path), key, path, LocalFile(info.st_size, info.st_mtime), None, "upload")
            return DirectoryPlan("upload", bucket, "", os.path.dirname(path), items=[item])

        return self._queue_transfer(bucket, [FilePair(key, fileobj)], _SEND, transfer_config, subscribers, plan)

    def download(self, bucket: str, key: str, fileobj: str, transfer_config: Optional[AsperaConfig] = None,
                 subscribers: Optional[List[Any]] = None) -> AsperaTransferFuture:
        """Download ``bucket``/``key`` to the file ``fileobj`` (a path; its folder must be writable)."""
        path = os.path.abspath(os.fspath(fileobj))
        check_io_access(os.path.dirname(path), os.W_OK)

        def plan() -> DirectoryPlan:
            head = self._client.head_object(Bucket=bucket, Key=key)
            item = TransferItem(os.path.basename(path), key, path, None,
                                RemoteObject(head["ContentLength"], head.get("ETag"), head.get("LastModified")), "download")
            return DirectoryPlan("download", bucket, "", os.path.dirname(path), items=[item])

        return self._queue_transfer(bucket, [FilePair(key, fileobj)], _RECEIVE, transfer_config, subscribers, plan)

    def upload_directory(self, directory: str, bucket: str, key: str, transfer_config: Optional[AsperaConfig] = None,
                         subscribers: Optional[List[Any]] = None) -> AsperaTransferFuture:
        """Upload every regular file under ``directory`` as ``key/<relative path>``."""
        return self._queue_directory(_SEND, directory, bucket, key, transfer_config, subscribers)

    def download_directory(self, bucket: str, key: str, directory: str, transfer_config: Optional[AsperaConfig] = None,
                           subscribers: Optional[List[Any]] = None) -> AsperaTransferFuture:
        """Download every object under the prefix ``key`` to ``directory/<relative path>``."""
        return self._queue_directory(_RECEIVE, directory, bucket, key, transfer_config, subscribers)

    def wait(self) -> None:
        """Wait until every transfer queued so far has finished (none may be queued meanwhile)."""
        with self._lock:
            self._in_wait = True
            pending = list(self._all)
        try:
            for coordinator in pending:
                coordinator.wait()
        finally:
            with self._lock:
                self._in_wait = False

    def shutdown(self, cancel: bool = False, cancel_msg: str = "") -> None:
        """Stop accepting transfers and wait for the others (cancel them first with ``cancel=True``)."""
        with self._lock:
            self._closed = True
            pending = list(self._all)
        if cancel:
            for coordinator in pending:
                coordinator.cancel(cancel_msg)
        self.wait()

    def __enter__(self) -> "AsperaTransferManager":
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        self.shutdown(cancel=exc_type is not None, cancel_msg=str(exc_value or ""))

    @staticmethod
    def set_log_details(aspera_log_path: Optional[str] = None, sdk_log_level: int = logging.NOTSET) -> None:
        """Set the level of the ``ibmcos.aspera`` logger (there is no ascp log: ``aspera_log_path`` is ignored)."""
        if sdk_log_level != logging.NOTSET:
            logger.setLevel(sdk_log_level)

    # -- internals ------------------------------------------------------------------------------
    def _validate_args(self, config: Optional[AsperaConfig]) -> None:
        if config is not None and not isinstance(config, AsperaConfig):
            raise ValueError("transfer_config must be an AsperaConfig")
        if config is not None and config.multi_session not in (None, -1) and config.multi_session > self._config.ascp_max_concurrent:
            raise ValueError("Max sessions is %d" % self._config.ascp_max_concurrent)

    def _queue_directory(self, direction: str, directory: str, bucket: str, key: str,
                         transfer_config: Optional[AsperaConfig], subscribers: Optional[List[Any]]) -> AsperaTransferFuture:
        """Check the directory and prefix now; list / walk and transfer in the transfer's thread.

        Files already complete at the destination are skipped (Aspera's resume policy)."""
        check_io_access(directory, os.R_OK if direction == _SEND else os.W_OK)
        if not os.path.isdir(directory):
            raise IOError("Error accessing Directory: %s" % directory)
        prefix = normalize_prefix(key)
        client = self._client
        skip = already_complete(client, bucket)

        def plan() -> DirectoryPlan:
            if direction == _SEND:
                return plan_upload(directory, bucket, prefix, client=client, skip=skip)
            return plan_download(client, bucket, prefix, directory, skip=skip)

        return self._queue_transfer(bucket, [FilePair(key, directory)], direction, transfer_config, subscribers, plan)

    def _queue_transfer(self, bucket: str, pairs: List[FilePair], direction: str, transfer_config: Optional[AsperaConfig],
                        subscribers: Optional[List[Any]], plan: Any) -> AsperaTransferFuture:
        config = transfer_config if transfer_config is not None else self._transfer_config
        self._validate_args(config)
        engine_config = transfer_config_for(config, self._config)
        meta = AsperaTransferMeta(CallArgs(bucket=bucket, file_pair_list=pairs, direction=direction, transfer_config=config),
                                  str(uuid.uuid4()))
        coordinator = AsperaTransferCoordinator(meta, list(subscribers or []))
        future = AsperaTransferFuture(meta, coordinator)
        client = self._client

        def make(**callbacks: Any) -> DirectoryTransfer:
            return DirectoryTransfer(client, plan, config=engine_config, **callbacks)

        coordinator.builder = make
        with self._lock:
            if self._closed or self._in_wait:
                raise AsperaTransferQueueError("Cannot queue transfers after shutdown or during wait")
            self._running = [c for c in self._running if not c.is_done()]
            if len(self._running) >= self._config.ascp_max_concurrent and len(self._waiting) >= self._config.max_submission_queue_size:
                raise AsperaTransferQueueError("Max queued items reached")
            self._all = [c for c in self._all if not c.is_done()]
            self._all.append(coordinator)
            self._waiting.append(coordinator)
        coordinator.notify("queued")
        self._pump()
        return future

    def _pump(self) -> None:
        """Start waiting transfers while fewer than ascp_max_concurrent run."""
        while True:
            with self._lock:
                self._running = [c for c in self._running if not c.is_done()]
                if not self._waiting or len(self._running) >= self._config.ascp_max_concurrent:
                    return
                coordinator = self._waiting.popleft()
                if coordinator.is_done():
                    continue
                self._running.append(coordinator)
            threading.Thread(target=self._follow, args=(coordinator,), name="ibmcos-aspera-transfer", daemon=True).start()

    def _follow(self, coordinator: AsperaTransferCoordinator) -> None:
        try:
            coordinator.start()
            coordinator.wait()
        except BaseException as exc:  # pragma: no cover - start() itself failing
            coordinator.set_exception(exc)
        finally:
            self._pump()
