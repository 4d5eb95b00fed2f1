"""Tasks: the units of work transfers submit to the executors.

A :class:`Task` runs ``_main`` unless its transfer already failed or was cancelled,
reports any exception to the transfer's coordinator, and always tells the
coordinator it finished (which is how the coordinator knows when the transfer as a
whole is over). A :class:`SubmissionTask` is the first task of every transfer: it
runs on the submission executor, decides how to carry the transfer out and submits
the request tasks.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from ibm_s3transfer.utils import get_callbacks

logger = logging.getLogger(__name__)

__all__ = ["Task", "SubmissionTask"]


class Task:
    """One unit of a transfer's work."""

    def __init__(self, transfer_coordinator: Any, main_kwargs: Optional[Dict[str, Any]] = None, is_final: bool = False) -> None:
        self._transfer_coordinator = transfer_coordinator
        self._main_kwargs = main_kwargs or {}
        self._is_final = is_final

    @property
    def transfer_id(self) -> Any:
        return self._transfer_coordinator.transfer_id

    def __repr__(self) -> str:
        return "%s(transfer_id=%s)" % (self.__class__.__name__, self.transfer_id)

    def __call__(self) -> Any:
        coordinator = self._transfer_coordinator
        try:
            if coordinator.done():
                return None
            result = self._main(**self._main_kwargs)
            if self._is_final:
                coordinator.set_result(result)
            return result
        except BaseException as exc:  # the coordinator carries it to result()
            logger.debug("%r failed", self, exc_info=True)
            coordinator.set_exception(exc)
            return None
        finally:
            try:
                self._cleanup()
            finally:
                coordinator.task_finished()

    def _main(self, **kwargs: Any) -> Any:
        raise NotImplementedError("_main()")

    def _cleanup(self) -> None:
        """Runs after the task whatever happened (releases buffers)."""


class SubmissionTask(Task):
    """Starts a transfer: marks it running, tells ``on_queued`` subscribers, submits its work."""

    def _main(self, transfer_future: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self._transfer_coordinator.set_status_to_running()
        for callback in get_callbacks(transfer_future, "queued"):
            callback()
        self._submit(transfer_future=transfer_future, **kwargs)

    def _submit(self, transfer_future: Any, **kwargs: Any) -> None:
        raise NotImplementedError("_submit()")
