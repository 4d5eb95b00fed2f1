"""The AsperaTransferManager (deprecated; needs the ``cos-aspera`` package).

Transfers are started by IBM's FASP manager (``faspmanager2`` from ``cos-aspera``),
which runs ``ascp``. This module only obtains the transfer specification from the
bucket's Aspera transfer service and queues the transfers.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections import deque
from functools import lru_cache
from typing import Any, Deque, Dict, List, Optional

from ibm_s3transfer.aspera._sdk import fasp
from ibm_s3transfer.aspera._config import AsperaConfig, AsperaManagerConfig
from ibm_s3transfer.aspera.exceptions import AsperaTransferQueueError, AsperaTransferSpecError
from ibm_s3transfer.aspera.futures import AsperaTransferCoordinator, AsperaTransferFuture, AsperaTransferMeta
from ibm_s3transfer.aspera.utils import FilePair, check_io_access
from ibm_s3transfer.utils import CallArgs

logger = logging.getLogger("ibmcos.aspera")

__all__ = ["AsperaConfig", "AsperaManagerConfig", "AsperaTransferManager", "FilePair"]


class AsperaTransferManager:
    """Queues Aspera uploads and downloads of files and directories."""

    def __init__(self, client: Any, config: Optional[AsperaManagerConfig] = None, transfer_config: Optional[AsperaConfig] = None, delegated_token_manager: Any = None) -> None:
        from ibm_botocore.client import BaseClient

        assert isinstance(client, BaseClient), "AsperaTransferManager needs an ibm_boto3 client"
        self._client = client
        self._config = config or AsperaManagerConfig()
        self._transfer_config = transfer_config
        if delegated_token_manager is None:
            from ibm_botocore.credentials import DelegatedTokenManager  # type: ignore[attr-defined]

            credentials = client._request_signer._credentials
            delegated_token_manager = DelegatedTokenManager(
                api_key_id=credentials.api_key_id,
                service_instance_id=credentials.service_instance_id,
                auth_endpoint=credentials.auth_endpoint,
                receiver_client_ids="aspera_ats",
                verify=self._config.verify_ssl,
            )
        self._token_manager = delegated_token_manager
        self._queue: Deque[Any] = deque()
        self._running: List[AsperaTransferCoordinator] = []
        self._lock = threading.Condition()
        self._closed = False
        self._waiting = False
        self._worker = threading.Thread(target=self._run_queue, daemon=True)
        self._worker.start()
        self._connection_info = lru_cache(maxsize=self._config.max_fasp_cache_size)(self._fetch_connection_info)

    # -- public -----------------------------------------------------------------------------
    def upload(self, fileobj: str, bucket: str, key: str, transfer_config: Optional[AsperaConfig] = None, subscribers: Optional[List[Any]] = None) -> AsperaTransferFuture:
        check_io_access(fileobj, os.R_OK, True)
        return self._queue_transfer(bucket, [FilePair(key, fileobj)], "send", transfer_config, subscribers)

    def download(self, bucket: str, key: str, fileobj: str, transfer_config: Optional[AsperaConfig] = None, subscribers: Optional[List[Any]] = None) -> AsperaTransferFuture:
        check_io_access(os.path.dirname(os.path.abspath(fileobj)), os.W_OK)
        return self._queue_transfer(bucket, [FilePair(key, fileobj)], "receive", transfer_config, subscribers)

    def upload_directory(self, directory: str, bucket: str, key: str, transfer_config: Optional[AsperaConfig] = None, subscribers: Optional[List[Any]] = None) -> AsperaTransferFuture:
        check_io_access(directory, os.R_OK)
        return self._queue_transfer(bucket, [FilePair(key, directory)], "send", transfer_config, subscribers)

    def download_directory(self, bucket: str, key: str, directory: str, transfer_config: Optional[AsperaConfig] = None, subscribers: Optional[List[Any]] = None) -> AsperaTransferFuture:
        check_io_access(directory, os.W_OK)
        return self._queue_transfer(bucket, [FilePair(key, directory)], "receive", transfer_config, subscribers)

    def wait(self) -> None:
        with self._lock:
            self._waiting = True
        try:
            for coordinator in list(self._running):
                coordinator.result()
        finally:
            with self._lock:
                self._waiting = False

    def shutdown(self, cancel: bool = False, cancel_msg: str = "") -> None:
        with self._lock:
            self._closed = True
            if cancel:
                self._queue.clear()
            self._lock.notify_all()
        if cancel:
            for coordinator in list(self._running):
                coordinator.cancel(cancel_msg)
        self.wait()

    def __enter__(self) -> "AsperaTransferManager":
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        self.shutdown(cancel=exc_type is not None, cancel_msg=str(exc_value or ""))

    @staticmethod
    def set_log_details(aspera_log_path: Optional[str] = None, sdk_log_level: int = logging.NOTSET) -> None:
        if aspera_log_path:
            fasp.setLogLocation(aspera_log_path)
        if sdk_log_level != logging.NOTSET:
            logger.setLevel(sdk_log_level)

    # -- internals ------------------------------------------------------------------------------
    def _queue_transfer(self, bucket: str, pairs: List[FilePair], direction: str, transfer_config: Optional[AsperaConfig], subscribers: Optional[List[Any]]) -> AsperaTransferFuture:
        config = transfer_config or self._transfer_config
        if config is not None and config.multi_session not in (None, -1) and config.multi_session > self._config.ascp_max_concurrent:
            raise ValueError("Max sessions is %d" % self._config.ascp_max_concurrent)
        meta = AsperaTransferMeta(CallArgs(bucket=bucket, file_pair_list=pairs, direction=direction, transfer_config=config), str(uuid.uuid4()))
        coordinator = AsperaTransferCoordinator(meta, list(subscribers or []))
        with self._lock:
            if self._closed or self._waiting:
                raise AsperaTransferQueueError("Cannot queue transfers after shutdown or during wait")
            if len(self._queue) >= self._config.max_submission_queue_size:
                raise AsperaTransferQueueError("Max queued items reached")
            self._queue.append(coordinator)
            self._lock.notify_all()
        for subscriber in subscribers or []:
            if hasattr(subscriber, "on_queued"):
                subscriber.on_queued(future=coordinator)
        return AsperaTransferFuture(meta, coordinator)

    def _run_queue(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._lock.wait(0.5)
                if not self._queue and self._closed:
                    return
                self._running = [c for c in self._running if not c.is_done()]
                if len(self._running) >= self._config.ascp_max_concurrent:
                    self._lock.wait(0.5)
                    continue
                coordinator = self._queue.popleft()
                self._running.append(coordinator)
            try:
                self._start(coordinator)
            except Exception as exc:
                coordinator.set_exception(exc)

    def _fetch_connection_info(self, bucket: str) -> Dict[str, str]:
        info = self._client.get_bucket_aspera(Bucket=bucket)
        return {"id": info["AccessKey"]["Id"], "secret": info["AccessKey"]["Secret"], "url": info["ATSEndpoint"]}

    def _start(self, coordinator: AsperaTransferCoordinator) -> None:
        import requests

        args = coordinator.meta.call_args
        info = self._connection_info(args.bucket)
        credentials = {"type": "token", "token": {"delegated_refresh_token": self._token_manager.get_token()}}
        headers = {"accept": "application/json", "Content-Type": "application/json", "X-Aspera-Storage-Credentials": json.dumps(credentials)}
        paths = [{"source": p.fileobj if args.direction == "send" else p.key, "destination": p.key if args.direction == "send" else p.fileobj} for p in args.file_pair_list]
        body = {"transfer_requests": [{"transfer_request": {"paths": paths, "tags": {"aspera": {"node": {"storage_credentials": credentials}}}}}]}
        action = "upload_setup" if args.direction == "send" else "download_setup"
        response = requests.post("%s/files/%s" % (info["url"], action), auth=(info["id"], info["secret"]), headers=headers,
                                 data=json.dumps(body), verify=self._config.verify_ssl)
        try:
            spec = response.json()["transfer_specs"][0]["transfer_spec"]
        except (ValueError, KeyError, IndexError) as exc:
            raise AsperaTransferSpecError("No transfer spec in the Aspera service's answer: %s" % exc)
        spec["destination_root"] = "/"
        config = args.transfer_config
        if config is not None:
            spec.update(config.dict)
            if config.is_multi_session_all():
                spec["multi_session"] = 0
                host = spec.get("remote_host", "")
                first, dot, rest = host.partition(".")
                spec["remote_host"] = first + "-all" + dot + rest
        fasp.startTransfer(coordinator.meta.transfer_id, None, json.dumps({"transfer_spec": spec}), coordinator)
