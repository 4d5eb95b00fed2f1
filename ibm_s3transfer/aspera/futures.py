"""Futures of Aspera transfers (needs the ``cos-aspera`` package)."""
from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional

from ibm_s3transfer.aspera._sdk import fasp
from ibm_s3transfer.aspera.exceptions import AsperaTransferFailedError
from ibm_s3transfer.exceptions import CancelledError

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


class enumAsperaMsgType:  # noqa: N801
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
    def __init__(self, call_args: Any, transfer_id: str) -> None:
        self.call_args = call_args
        self.transfer_id = transfer_id
        self.user_context: Dict[str, Any] = {}
        self.size: Optional[int] = None


class AsperaTransferCoordinator:
    """Follows one ascp session through the FASP manager's messages."""

    def __init__(self, meta: AsperaTransferMeta, subscribers: Optional[List[Any]] = None) -> None:
        self.meta = meta
        self.status = enumAsperaStatus.NEW
        self._subscribers = subscribers or []
        self._done = threading.Event()
        self._exception: Optional[BaseException] = None
        self._last_error = ""
        self._bytes = 0

    # FASP manager listener
    def transferReporter(self, xfer_id: str, message: str) -> None:  # noqa: N802 - called by faspmanager2
        fields = dict(line.split(": ", 1) for line in str(message).splitlines() if ": " in line)
        kind = fields.get("Type", "")
        if kind in (enumAsperaMsgType.INIT, enumAsperaMsgType.SESSION):
            self.status = enumAsperaStatus.RUNNING
        elif kind == enumAsperaMsgType.STATS:
            total = int(fields.get("Bytescont", fields.get("TransferBytes", "0")) or 0)
            if total > self._bytes:
                self._notify("progress", bytes_transferred=total - self._bytes)
                self._bytes = total
        elif kind in (enumAsperaMsgType.ERROR, enumAsperaMsgType.FILEERROR):
            self._last_error = fields.get("Description", message)
        elif kind == enumAsperaMsgType.DONE:
            self._finish(enumAsperaStatus.SUCCESS)
        elif kind in (enumAsperaMsgType.STOP, enumAsperaMsgType.ARGSTOP):
            if self.status not in (enumAsperaStatus.SUCCESS, enumAsperaStatus.CANCELLED):
                self._finish(enumAsperaStatus.FAILED, AsperaTransferFailedError(self._last_error or "Aspera transfer stopped"))

    def _notify(self, kind: str, **kwargs: Any) -> None:
        for subscriber in self._subscribers:
            method = getattr(subscriber, "on_" + kind, None)
            if method is not None:
                method(future=self, **kwargs)

    def _finish(self, status: str, exception: Optional[BaseException] = None) -> None:
        if self._done.is_set():
            return
        self.status = status
        self._exception = exception
        self._done.set()
        self._notify("done")

    def cancel(self, msg: str = "") -> None:
        if not self._done.is_set():
            fasp.stopTransfer(self.meta.transfer_id)
            self._finish(enumAsperaStatus.CANCELLED, CancelledError(msg))

    def result(self) -> None:
        self._done.wait()
        if self._exception is not None:
            raise self._exception

    def is_done(self) -> bool:
        return self._done.is_set()

    def last_error(self) -> str:
        return self._last_error

    def set_exception(self, exception: BaseException) -> None:
        self._finish(enumAsperaStatus.FAILED, exception)


class AsperaTransferFuture:
    """The handle of one Aspera transfer."""

    def __init__(self, meta: AsperaTransferMeta, coordinator: AsperaTransferCoordinator) -> None:
        self._meta = meta
        self._coordinator = coordinator

    @property
    def meta(self) -> AsperaTransferMeta:
        return self._meta

    def is_done(self) -> bool:
        return self._coordinator.is_done()

    def result(self) -> None:
        try:
            return self._coordinator.result()
        except KeyboardInterrupt:
            self.cancel()
            raise

    def cancel(self) -> None:
        self._coordinator.cancel()

    def pause(self) -> None:
        fasp.modifyTransfer(self._meta.transfer_id, CTRL_PAUSE)
        self._coordinator.status = enumAsperaStatus.PAUSED

    def resume(self) -> None:
        fasp.modifyTransfer(self._meta.transfer_id, CTRL_RESUME)
        self._coordinator.status = enumAsperaStatus.RUNNING

    def set_exception(self, exception: BaseException) -> None:
        self._coordinator.set_exception(exception)

    def is_error(self) -> bool:
        return self._coordinator.status == enumAsperaStatus.FAILED

    def is_success(self) -> bool:
        return self._coordinator.status == enumAsperaStatus.SUCCESS

    def get_last_error(self) -> str:
        return self._coordinator.last_error()
