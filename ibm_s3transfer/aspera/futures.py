"""Futures of Aspera-compatible transfers (run by :mod:`ibm_s3transfer.directory`)."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Dict, List, Optional

from ibm_s3transfer.directory import DirectoryPlan, DirectoryTransfer
from ibm_s3transfer.exceptions import CancelledError
from ibm_s3transfer.futures import InterruptibleFuture

logger = logging.getLogger("ibmcos.aspera")

__all__ = ["AsperaTransferFuture", "AsperaTransferCoordinator", "AsperaTransferMeta", "enumAsperaStatus", "enumAsperaMsgType"]

CTRL_PAUSE = 4
CTRL_RESUME = 5


class enumAsperaStatus:  # noqa: N801 - public name of the original API
    NEW = "new"
    RUNNING = "running"
    FAILED = "failed"
    SUCCESS = "success"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class enumAsperaMsgType:  # noqa: N801 - kept for code that imports it; no FASP messages here
    INIT = "INIT"
    SESSION = "SESSION"
    NOTIFICATION = "NOTIFICATION"
    STATS = "STATS"
    ARGSTOP = "ARGSTOP"
    STOP = "STOP"
    DONE = "DONE"
    ERROR = "ERROR"
    FILEERROR = "FILEERROR"


class AsperaTransferMeta:
    """The arguments of a transfer, its id, its size (bytes to move, once known) and a user dict."""

    def __init__(self, call_args: Any, transfer_id: str) -> None:
        self.call_args = call_args
        self.transfer_id = transfer_id
        self.user_context: Dict[str, Any] = {}
        self.size: Optional[int] = None

    def provide_transfer_size(self, size: int) -> None:
        self.size = size


class AsperaTransferCoordinator:
    """State of one transfer: queued, then running a DirectoryTransfer, then done.

    Subscribers hear ``on_queued`` once, ``on_progress`` with the cumulative byte count
    (never decreasing) and ``on_done`` once; one that raises is logged and ignored.
    """

    def __init__(self, meta: AsperaTransferMeta, subscribers: Optional[List[Any]] = None) -> None:
        self.meta = meta
        self.status = enumAsperaStatus.NEW
        self.future: Any = None  # the AsperaTransferFuture given to subscribers
        # builds the DirectoryTransfer: builder(progress=, on_plan=, on_done=)
        self.builder: Optional[Callable[..., DirectoryTransfer]] = None
        self._subscribers = list(subscribers or [])
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._exception: Optional[BaseException] = None
        self._last_error = ""
        self._transfer: Optional[DirectoryTransfer] = None
        self._paused = False
        self._announced = False

    # -- subscribers ----------------------------------------------------------------------
    def notify(self, kind: str, **kwargs: Any) -> None:
        for subscriber in self._subscribers:
            method = getattr(subscriber, "on_" + kind, None)
            if method is None:
                continue
            try:
                method(future=self.future, **kwargs)
            except Exception:
                logger.exception("Subscriber %r raised in on_%s; the transfer goes on", subscriber, kind)

    def _progress(self, total: int) -> None:
        self.notify("progress", bytes_transferred=total)

    def _planned(self, plan: DirectoryPlan) -> None:
        self.meta.provide_transfer_size(plan.total_bytes)

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Run the transfer made by ``builder`` (unless it was cancelled while queued)."""
        with self._lock:
            if self._done.is_set() or self.status == enumAsperaStatus.CANCELLED or self.builder is None:
                return
            transfer = self.builder(progress=self._progress, on_plan=self._planned, on_done=self._transfer_done)
            self._transfer = transfer
            if self._paused:
                transfer.pause()
                self.status = enumAsperaStatus.PAUSED
            else:
                self.status = enumAsperaStatus.RUNNING
        transfer.start()

    def _transfer_done(self, transfer: DirectoryTransfer) -> None:
        try:
            transfer.result(timeout=0)
        except CancelledError as exc:
            self._finish(enumAsperaStatus.CANCELLED, exc)
        except BaseException as exc:
            self._finish(enumAsperaStatus.FAILED, exc)
        else:
            self._finish(enumAsperaStatus.SUCCESS, None)

    def _finish(self, status: str, exception: Optional[BaseException]) -> None:
        with self._lock:
            if self._announced:
                return
            self._announced = True
            self.status = status
            self._exception = exception
            if exception is not None and not isinstance(exception, CancelledError):
                self._last_error = str(exception)
        self.notify("done")
        self._done.set()

    def pause(self) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self._paused = True
            if self._transfer is not None:
                self._transfer.pause()
                self.status = enumAsperaStatus.PAUSED

    def resume(self) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self._paused = False
            if self._transfer is not None:
                self._transfer.resume()
                self.status = enumAsperaStatus.RUNNING

    def cancel(self, msg: str = "") -> None:
        with self._lock:
            transfer = self._transfer
            if self._done.is_set():
                return
            if transfer is None:
                self.status = enumAsperaStatus.CANCELLED
        if transfer is not None:
            transfer.cancel(msg)
        else:
            self._finish(enumAsperaStatus.CANCELLED, CancelledError(msg))

    def set_exception(self, exception: BaseException) -> None:
        with self._lock:
            transfer = self._transfer
        if transfer is not None and not transfer.done():
            transfer.cancel(str(exception))
            transfer.wait()
        with self._lock:
            if self._announced:
                self.status = enumAsperaStatus.FAILED
                self._exception = exception
                self._last_error = str(exception)
                return
        self._finish(enumAsperaStatus.FAILED, exception)

    def result(self, timeout: Optional[float] = None) -> None:
        if not self._done.wait(timeout):
            raise TimeoutError("The Aspera transfer has not finished")
        if self._exception is not None:
            raise self._exception

    def wait(self) -> None:
        self._done.wait()

    def is_done(self) -> bool:
        return self._done.is_set()

    def last_error(self) -> str:
        return self._last_error

    @property
    def bytes_transferred(self) -> int:
        transfer = self._transfer
        return transfer.bytes_transferred if transfer is not None else 0


class AsperaTransferFuture(InterruptibleFuture):
    """The handle of one transfer: wait for it, pause, resume or cancel it.

    ``result()`` blocks until the transfer finished and raises its error (CancelledError
    after ``cancel()``, which stops it: open multipart uploads are aborted and partial
    downloads removed).
    """

    _coordinator: AsperaTransferCoordinator

    def __init__(self, meta: AsperaTransferMeta, coordinator: AsperaTransferCoordinator) -> None:
        self._meta = meta
        self._coordinator = coordinator
        coordinator.future = self

    @property
    def meta(self) -> AsperaTransferMeta:
        return self._meta

    def is_done(self) -> bool:
        return self._coordinator.is_done()

    def pause(self) -> None:
        """No new part or range starts until resume(); those in flight finish."""
        self._coordinator.pause()

    def resume(self) -> None:
        self._coordinator.resume()

    def set_exception(self, exception: BaseException) -> None:
        self._coordinator.set_exception(exception)

    def is_error(self) -> bool:
        return self._coordinator.status == enumAsperaStatus.FAILED

    def is_success(self) -> bool:
        return self._coordinator.status == enumAsperaStatus.SUCCESS

    def get_last_error(self) -> str:
        """The message of the error that failed the transfer ('' if none)."""
        return self._coordinator.last_error()
