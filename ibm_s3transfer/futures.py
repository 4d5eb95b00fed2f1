"""Futures, the per-transfer coordinator, and the executors the tasks run on.

Every transfer has one :class:`TransferCoordinator`. It counts the transfer's tasks
that were submitted and have not finished yet; the transfer is *finished* when its
status is final (success, failed or cancelled) and that count is zero. Only then are
the failure clean-ups run (abort the multipart upload, delete the temporary file),
then the done callbacks (``on_done`` subscribers), and only then does
``TransferFuture.result()`` return. So when ``result()`` raises, nothing of the failed
transfer is left running or left behind.

Tasks check the coordinator before doing anything: once a transfer failed or was
cancelled, its queued tasks return immediately.
"""
from __future__ import annotations

import concurrent.futures
import logging
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Protocol, Set

from ibm_s3transfer.exceptions import CancelledError, NoResourcesAvailable, TransferNotDoneError

logger = logging.getLogger(__name__)

__all__ = [
    "BaseExecutor",
    "BoundedExecutor",
    "ExecutorFuture",
    "NonThreadedExecutor",
    "NonThreadedExecutorFuture",
    "TaskSemaphore",
    "TaskTag",
    "TransferCoordinator",
    "TransferFuture",
    "TransferMeta",
    "IN_MEMORY_UPLOAD_TAG",
    "IN_MEMORY_DOWNLOAD_TAG",
]

_FINAL = frozenset(("success", "failed", "cancelled"))
_WAIT_FOREVER = threading.TIMEOUT_MAX


class TransferMeta:
    """What is known about a transfer: its arguments, id, size and a user dict."""

    def __init__(self, call_args: Any = None, transfer_id: Optional[int] = None) -> None:
        self._call_args = call_args
        self._transfer_id = transfer_id
        self._size: Optional[int] = None
        self._etag: Optional[str] = None
        self._user_context: Dict[str, Any] = {}

    @property
    def call_args(self) -> Any:
        """The arguments the transfer was requested with (bucket, key, fileobj, ...)."""
        return self._call_args

    @property
    def transfer_id(self) -> Optional[int]:
        return self._transfer_id

    @property
    def size(self) -> Optional[int]:
        """The number of bytes the transfer moves, once known."""
        return self._size

    @property
    def etag(self) -> Optional[str]:
        return self._etag

    @property
    def user_context(self) -> Dict[str, Any]:
        """A dict for subscribers and callers to keep their own state in."""
        return self._user_context

    def provide_transfer_size(self, size: int) -> None:
        """Tell the transfer its size (saves a HeadObject on downloads)."""
        self._size = size

    def provide_object_etag(self, etag: str) -> None:
        self._etag = etag


class TransferCoordinator:
    """State of one transfer, shared by its future and its tasks."""

    def __init__(self, transfer_id: Optional[int] = None) -> None:
        self.transfer_id = transfer_id
        self._status = "not-started"
        self._result: Any = None
        self._exception: Optional[BaseException] = None
        self._lock = threading.Lock()
        self._done_event = threading.Event()
        self._pending = 0
        self._finishing = False
        self._associated: Set[Any] = set()
        self._failure_cleanups: List[Callable[[], Any]] = []
        self._done_callbacks: List[Callable[[], Any]] = []

    def __repr__(self) -> str:
        return "%s(transfer_id=%s)" % (self.__class__.__name__, self.transfer_id)

    # -- state --------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """not-started, queued, running, cancelled, failed or success."""
        return self._status

    @property
    def exception(self) -> Optional[BaseException]:
        return self._exception

    @property
    def associated_futures(self) -> Set[Any]:
        """Executor futures of this transfer's tasks that have not finished."""
        with self._lock:
            return set(self._associated)

    @property
    def failure_cleanups(self) -> List[Callable[[], Any]]:
        return self._failure_cleanups

    def set_status_to_queued(self) -> None:
        with self._lock:
            if self._status not in _FINAL:
                self._status = "queued"

    def set_status_to_running(self) -> None:
        with self._lock:
            if self._status not in _FINAL:
                self._status = "running"

    def set_result(self, result: Any) -> None:
        """Mark the transfer successful (unless it already failed or was cancelled)."""
        with self._lock:
            if self._status in _FINAL:
                return
            self._result = result
            self._status = "success"

    def set_exception(self, exception: BaseException, override: bool = False) -> None:
        """Mark the transfer failed; the first error wins unless ``override``."""
        with self._lock:
            if self._status in _FINAL and not override:
                return
            self._exception = exception
            if self._status != "cancelled" or override:
                self._status = "failed"

    def cancel(self, msg: str = "", exc_type: type = CancelledError) -> None:
        """Stop the transfer: queued tasks are skipped, running ones end on their own."""
        with self._lock:
            if self._status in _FINAL:
                return
            self._exception = exc_type(msg)
            self._status = "cancelled"
            finish = self._pending == 0 and not self._finishing
            if finish:
                self._finishing = True
        if finish:
            self._finish()

    def done(self) -> bool:
        """True once the status is final (success, failed or cancelled)."""
        return self._status in _FINAL

    def result(self) -> Any:
        """Wait until the transfer finished; return its result or raise its error."""
        self._done_event.wait(_WAIT_FOREVER)
        if self._exception is not None:
            raise self._exception
        return self._result

    def wait(self, timeout: Optional[float] = None) -> bool:
        return self._done_event.wait(_WAIT_FOREVER if timeout is None else timeout)

    @property
    def finished(self) -> bool:
        """True once clean-ups and done callbacks have run."""
        return self._done_event.is_set()

    # -- tasks --------------------------------------------------------------------------
    def task_submitted(self) -> None:
        with self._lock:
            self._pending += 1

    def task_finished(self) -> None:
        with self._lock:
            self._pending -= 1
            finish = self._pending == 0 and self._status in _FINAL and not self._finishing
            if finish:
                self._finishing = True
        if finish:
            self._finish()

    def submit(self, executor: Any, task: Callable[[], Any], tag: Any = None) -> Any:
        """Submit one of this transfer's tasks to ``executor`` and account for it."""
        self.task_submitted()
        try:
            future = executor.submit(task, tag=tag)
        except BaseException:
            self.task_finished()
            raise
        with self._lock:
            if not future.done():
                self._associated.add(future)
        future.add_done_callback(lambda: self._forget(future))
        return future

    def _forget(self, future: Any) -> None:
        with self._lock:
            self._associated.discard(future)

    def add_associated_future(self, future: Any) -> None:
        with self._lock:
            self._associated.add(future)

    def remove_associated_future(self, future: Any) -> None:
        self._forget(future)

    def add_failure_cleanup(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``function`` when the transfer ends without success (abort, delete temp file)."""
        with self._lock:
            self._failure_cleanups.append(lambda: function(*args, **kwargs))

    def add_done_callback(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``function`` when the transfer ends, after the failure clean-ups."""
        with self._lock:
            self._done_callbacks.append(lambda: function(*args, **kwargs))

    def _finish(self) -> None:
        try:
            if self._status != "success":
                for cleanup in self._failure_cleanups:
                    try:
                        cleanup()
                    except Exception:
                        logger.debug("Failure clean-up of transfer %s raised", self.transfer_id, exc_info=True)
            for callback in self._done_callbacks:
                try:
                    callback()
                except Exception:
                    logger.debug("Done callback of transfer %s raised", self.transfer_id, exc_info=True)
        finally:
            self._done_event.set()

    # kept for callers that use the older name
    def announce_done(self) -> None:
        with self._lock:
            if self._finishing or self._status not in _FINAL:
                return
            self._finishing = True
        self._finish()


class _Outcome(Protocol):
    """What an InterruptibleFuture waits on and cancels (a transfer's coordinator)."""

    def result(self) -> Any: ...

    def cancel(self) -> None: ...


class InterruptibleFuture:
    """A transfer handle whose ``result()`` cancels the transfer when Ctrl-C interrupts the wait.

    Shared by the handles of managed, process-pool and Aspera-compatible transfers:
    ``_wait`` blocks for the outcome, ``cancel`` stops the transfer (which then cleans up).
    """

    _coordinator: _Outcome

    def result(self) -> Any:
        """Block until the transfer finished; raise its error, if any.

        Ctrl-C while waiting cancels the transfer (which then cleans up) and re-raises.
        """
        try:
            return self._wait()
        except KeyboardInterrupt:
            self.cancel()
            raise

    def _wait(self) -> Any:
        return self._coordinator.result()

    def cancel(self) -> None:
        """Cancel the transfer; ``result()`` then raises CancelledError."""
        self._coordinator.cancel()


class TransferFuture(InterruptibleFuture):
    """The handle of one transfer, returned by every TransferManager method."""

    _coordinator: TransferCoordinator

    def __init__(self, meta: Optional[TransferMeta] = None, coordinator: Optional[TransferCoordinator] = None) -> None:
        self._meta = meta if meta is not None else TransferMeta()
        self._coordinator = coordinator if coordinator is not None else TransferCoordinator()

    @property
    def meta(self) -> TransferMeta:
        return self._meta

    def done(self) -> bool:
        """True once the transfer succeeded, failed or was cancelled."""
        return self._coordinator.done()

    def set_exception(self, exception: BaseException) -> None:
        """Replace the outcome of a finished transfer with ``exception``."""
        if not self.done():
            raise TransferNotDoneError("set_exception can only be called once the transfer is complete.")
        self._coordinator.set_exception(exception, override=True)


# -- executors ------------------------------------------------------------------------------
class TaskTag:
    """Names a class of tasks that share a limit (e.g. parts held in memory)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return "TaskTag(%r)" % self.name

    def __str__(self) -> str:
        return self.name


IN_MEMORY_UPLOAD_TAG = TaskTag("in_memory_upload")
IN_MEMORY_DOWNLOAD_TAG = TaskTag("in_memory_download")


class TaskSemaphore:
    """A counting semaphore whose acquire returns a token to release with."""

    def __init__(self, count: int) -> None:
        self._semaphore = threading.Semaphore(count)

    def acquire(self, tag: Any = None, blocking: bool = True) -> Any:
        if not self._semaphore.acquire(blocking):
            raise NoResourcesAvailable("No free slot for %s" % (tag,))
        return True

    def release(self, tag: Any = None, token: Any = None) -> None:
        self._semaphore.release()


class ExecutorFuture:
    """A thin wrapper of a concurrent.futures.Future whose callbacks take no argument."""

    def __init__(self, future: "concurrent.futures.Future[Any]") -> None:
        self._future = future

    def result(self) -> Any:
        return self._future.result()

    def done(self) -> bool:
        return self._future.done()

    def add_done_callback(self, fn: Callable[[], Any]) -> None:
        self._future.add_done_callback(lambda _f: fn())


class BaseExecutor:
    """Interface of the executors BoundedExecutor can wrap."""

    def __init__(self, max_workers: Optional[int] = None) -> None:
        self._max_workers = max_workers

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("submit()")

    def shutdown(self, wait: bool = True) -> None:
        raise NotImplementedError("shutdown()")


class NonThreadedExecutorFuture:
    """An already-completed future."""

    def __init__(self) -> None:
        self._result: Any = None
        self._exception: Optional[BaseException] = None
        self._done = False
        self._callbacks: List[Callable[[Any], Any]] = []

    def set_result(self, result: Any) -> None:
        self._result = result
        self._set_done()

    def set_exception_info(self, exception: BaseException, traceback: Any = None) -> None:
        self._exception = exception
        self._set_done()

    def set_exception(self, exception: BaseException) -> None:
        self.set_exception_info(exception)

    def _set_done(self) -> None:
        self._done = True
        for callback in self._callbacks:
            callback(self)
        self._callbacks = []

    def done(self) -> bool:
        return self._done

    def result(self, timeout: Optional[float] = None) -> Any:
        if self._exception is not None:
            raise self._exception
        return self._result

    def add_done_callback(self, fn: Callable[[Any], Any]) -> None:
        if self._done:
            fn(self)
        else:
            self._callbacks.append(fn)


class NonThreadedExecutor(BaseExecutor):
    """Runs every task immediately in the submitting thread (``use_threads=False``)."""

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> NonThreadedExecutorFuture:
        future = NonThreadedExecutorFuture()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception:
            exc = sys.exc_info()[1]
            future.set_exception_info(exc)  # type: ignore[arg-type]
        return future

    def shutdown(self, wait: bool = True) -> None:
        pass


class BoundedExecutor:
    """An executor whose queue is bounded: ``submit`` blocks while ``max_size`` tasks wait.

    ``tag_semaphores`` maps a TaskTag to a TaskSemaphore; a task submitted with that
    tag also holds a slot of its semaphore until it finishes.
    """

    EXECUTOR_CLS: Any = concurrent.futures.ThreadPoolExecutor

    def __init__(
        self,
        max_size: int,
        max_num_threads: int,
        tag_semaphores: Optional[Dict[Any, TaskSemaphore]] = None,
        executor_cls: Any = None,
    ) -> None:
        cls = executor_cls if executor_cls is not None else self.EXECUTOR_CLS
        self._executor = cls(max_workers=max_num_threads)
        self._max_num_threads = max_num_threads
        self._queue_slots: Optional[TaskSemaphore] = TaskSemaphore(max_size) if max_size else None
        self._tag_semaphores = tag_semaphores or {}

    @property
    def max_num_threads(self) -> int:
        return self._max_num_threads

    def submit(self, task: Callable[[], Any], tag: Any = None, block: bool = True) -> ExecutorFuture:
        held: List[TaskSemaphore] = []
        try:
            if self._queue_slots is not None:
                self._queue_slots.acquire(tag, block)
                held.append(self._queue_slots)
            tag_semaphore = self._tag_semaphores.get(tag) if tag is not None else None
            if tag_semaphore is not None:
                tag_semaphore.acquire(tag, block)
                held.append(tag_semaphore)
            future = self._executor.submit(task)
        except BaseException:
            for semaphore in held:
                semaphore.release(tag)
            raise
        wrapped = ExecutorFuture(future)
        if held:
            def _release(_f: Any = None) -> None:
                for semaphore in held:
                    semaphore.release(tag)

            future.add_done_callback(_release)
        return wrapped

    def shutdown(self, wait: bool = True) -> None:
        self._executor.shutdown(wait)
