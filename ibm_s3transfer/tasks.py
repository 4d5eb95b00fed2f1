"""Tasks: the units of work transfers submit to the executors.

A :class:`Task` runs its work (``_run``) unless its transfer already failed or was
cancelled, reports any exception to the transfer's coordinator, and always tells the
coordinator it finished (which is how the coordinator knows when the transfer as a
whole is over). A :class:`SubmissionTask` is the first task of every transfer: it
runs on the submission executor, decides how to carry the transfer out and submits
the request tasks.

The SDK's own tasks keep what they work on in typed attributes set by their
constructors and override ``_run``; a task built the older way, with a dict of
``main_kwargs``, runs ``_main(**main_kwargs)`` (the default ``_run``).
"""
from __future__ import annotations

import logging
from dataclasses import InitVar, dataclass
from typing import Any, ClassVar, Dict, Optional

from ibm_s3transfer.utils import get_callbacks

logger = logging.getLogger(__name__)

__all__ = ["Task", "SubmissionTask"]


@dataclass(frozen=True)
class TransferResources:
    """What the manager hands the submission task of one transfer."""

    client: Any
    config: Any
    osutil: Any
    request_executor: Any
    submission_executor: Any
    transfer_future: Any
    buffer_pool: Any  # an upload.BufferPool (part buffers of uploads from streams)
    download_slots: Any  # a download.DownloadSlots (ranges held for non-seekable targets)
    bandwidth_limiter: Any = None


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
            result = self._run()
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

    def _run(self) -> Any:
        """The task's work; by default ``_main`` called with the task's ``main_kwargs``."""
        return self._main(**self._main_kwargs)

    def _main(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("_main()")

    def _cleanup(self) -> None:
        """Runs after the task whatever happened (releases buffers)."""


class SubmissionTask(Task):
    """Starts a transfer: marks it running, tells ``on_queued`` subscribers, submits its work."""

    def _main(self, transfer_future: Any, **kwargs: Any) -> None:
        self._started(transfer_future)
        self._submit(transfer_future=transfer_future, **kwargs)

    def _started(self, transfer_future: Any) -> None:
        self._transfer_coordinator.set_status_to_running()
        for callback in get_callbacks(transfer_future, "queued"):
            callback()

    def _submit(self, transfer_future: Any, **kwargs: Any) -> None:
        raise NotImplementedError("_submit()")


@dataclass(eq=False, repr=False)
class TypedTask(Task):
    """A task whose inputs are typed fields (subclasses are dataclasses as well)."""

    coordinator: InitVar[Any]
    # a final task's result is the transfer's result
    final: ClassVar[bool] = False

    def __post_init__(self, coordinator: Any) -> None:
        Task.__init__(self, coordinator, is_final=self.final)


@dataclass(eq=False, repr=False)
class ObjectRequestTask(TypedTask):
    """One request on ``bucket``/``key`` with the caller's extra arguments."""

    client: Any
    bucket: str
    key: str
    extra_args: Dict[str, Any]


class ManagedSubmissionTask(SubmissionTask):
    """The submission task of a TransferManager transfer: its resources as one typed value."""

    def __init__(self, transfer_coordinator: Any, resources: TransferResources) -> None:
        super().__init__(transfer_coordinator)
        self._resources = resources

    def _run(self) -> None:
        self._started(self._resources.transfer_future)
        self._submit_requests(self._resources)

    def _submit_requests(self, resources: TransferResources) -> None:
        raise NotImplementedError("_submit_requests()")
