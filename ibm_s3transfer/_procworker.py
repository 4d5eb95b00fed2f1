"""A worker process of a directory transfer (see ``ibm_s3transfer.procfiles``): files in
from stdin, one result per file out on stdout, pause / resume / cancel obeyed between files."""
from __future__ import annotations

import logging
import os
import pickle
import queue
import sys
import threading
from typing import Any, Dict, Optional, Tuple

from ibm_s3transfer.directory import DirectoryPlan, DirectoryTransfer, _InlineFiles
from ibm_s3transfer.procfiles import _picklable, _send


def _build_client(recipe: Tuple[Optional[str], Any]) -> Any:
    from ibm_botocore.clientfactory import build_client
    from ibm_botocore.session import Session

    profile, arguments = recipe
    return build_client(Session(profile=profile), arguments)


class _ToParent(logging.Handler):
    """Sends each log record to the parent, which handles it with the user's logging setup
    (message already formatted; a traceback as text)."""

    def __init__(self, outbox: Any, lock: threading.Lock) -> None:
        super().__init__()
        self._outbox = outbox
        self._lock = lock

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = dict(record.__dict__)
            fields["msg"] = record.getMessage()
            fields["args"] = None
            if record.exc_info:
                fields["exc_text"] = record.exc_text or logging.Formatter().formatException(record.exc_info)
            fields["exc_info"] = None
            fields["processName"] = "ibm_s3transfer-worker-%d" % os.getpid()
            fields = {key: value for key, value in fields.items() if _picklable_value(value)}
            _send(self._outbox, self._lock, ("log", fields))
        except Exception:
            self.handleError(record)


def _picklable_value(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, tuple))


def _warm() -> None:
    """What every client build needs, done while the setup has not come yet (a prestarted
    worker waits for it): the S3 model, parsed once per process."""
    from ibm_botocore.session import Session

    try:
        Session().get_service_model("s3")
    except Exception:  # (the build itself will say what is wrong)
        pass


def main() -> None:
    """Run by a worker process: files in from stdin, results out on stdout."""
    # (SIGINT is ignored from the worker's first line: see procfiles._spawn)
    inbox = sys.stdin.buffer
    outbox = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, not into the messages
    lock = threading.Lock()
    _warm()
    try:
        setup = pickle.load(inbox)
    except (EOFError, OSError, pickle.UnpicklingError):
        os._exit(0)  # started ahead and not needed (or the parent is gone)
    for name, level in setup["log_levels"].items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger().addHandler(_ToParent(outbox, lock))
    direction, bucket, prefix, directory = setup["plan"]
    plan = DirectoryPlan(direction, bucket, prefix, directory)
    arguments: Dict[str, Any] = {}
    files: "queue.Queue[Any]" = queue.Queue()

    class Transfer(DirectoryTransfer):
        def _collect(self, finished: Tuple[Any, Any]) -> None:
            item, future = finished
            error: Optional[BaseException] = None
            try:
                future.result()
            except BaseException as exc:
                error = exc
            super()._collect(finished)
            arguments.pop(item.key, None)
            if not (self._cancelled and error is not None):
                _send(outbox, lock, ("done", item.key, _picklable(error), self._reported))

        def _halt(self, exc: BaseException) -> None:
            super()._halt(exc)
            _send(outbox, lock, ("halt", _picklable(exc)))

    transfer = Transfer(_build_client(setup["recipe"]), plan, config=setup["config"],
                        extra_args=lambda item: arguments.get(item.key) or {}, max_concurrent_files=setup["max_files"],
                        fail_fast=False, processes=1)
    if setup["paused"]:
        transfer.pause()

    def incoming() -> Any:
        while True:
            item = files.get()
            if item is None:
                return
            yield item

    def read() -> None:
        try:
            while True:
                message = pickle.load(inbox)
                kind = message[0]
                if kind == "files":
                    for item, args in message[1]:
                        arguments[item.key] = args
                        files.put(item)
                elif kind == "pause":
                    transfer.pause()
                elif kind == "resume":
                    transfer.resume()
                elif kind == "cancel":
                    transfer.cancel()
                    files.put(None)
                elif kind == "end":  # no more files; pause and cancel may still come
                    files.put(None)
        except (EOFError, OSError, pickle.UnpicklingError):
            transfer.cancel()  # the parent is gone (or done with us)
            files.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    runner = _InlineFiles(transfer, plan, incoming(), None, count=setup["max_files"])
    _send(outbox, lock, ("ready",))
    runner.start()
    runner.join()
    runner.close()
    _send(outbox, lock, ("finished",))
    outbox.close()
    sys.stderr.flush()
    # not through interpreter shutdown: the reader thread is blocked reading stdin (for a
    # cancel that will not come now), and finalizing would wait for its lock
    os._exit(0)
