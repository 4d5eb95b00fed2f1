"""The small files of a directory transfer, shared with worker processes.

A file below the multipart threshold is one request, and one Python process runs the
Python side of one request at a time (the GIL): to a fast server it moves about 2,000
small files a second whatever the number of threads. With more than one CPU,
:class:`ProcessFiles` lifts that limit. Each worker is a fresh interpreter
(``sys.executable``, started with :mod:`subprocess`, not :mod:`multiprocessing`, so the
user's ``__main__`` is never imported again) that builds the same client and runs the
same small-file threads (:class:`~ibm_s3transfer.directory.DirectoryTransfer`'s) on the
files it is handed, a batch at a time, from the list the parent's own threads also take
from. Results and byte counts come back per file; the parent does the accounting, so
``files_done``, ``errors``, progress, ``fail_fast``, ``pause()``, ``resume()`` and
``cancel()`` behave as without workers (pause and cancel are passed on at once; a
worker stops between files, and a cancelled download leaves no temporary file). Log
records come back too, at this process's levels, and go to its handlers.

How many workers (``workers_for``): ``processes`` of the transfer if given (the number
of processes in all, this one included: 1 means none), else ``IBM_COS_TRANSFER_PROCESSES``,
else one fewer than the CPUs this process may use, at most 4, and one per 400 small files
(a worker is ready after a fraction of a second, in which this process moves a few
hundred). For downloads that automatic count applies where the files are created
unnamed (Linux's O_TMPFILE, see ibm_s3transfer.download); elsewhere only when asked: named
temporary files are created and renamed under the folder's lock, and there workers
made downloads 15% slower. Measured on a 2-core machine, 1,000 files of 64 KiB: uploads
1.3-1.6x faster with a worker, downloads (unnamed files) 1.3-1.4x.
Workers are used only when the client can be built again from what it was made with
(HMAC keys, or an IAM API key, and no event handlers of the user's on its requests, such
as a Stubber) and no bandwidth ceiling is set; otherwise, or if a worker cannot start,
the parent's threads do all the files. The messages are pickles over the worker's stdin
and stdout pipes; keys travel only there (never in arguments or the environment).
"""
from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import pickle
import subprocess
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

logger = logging.getLogger(__name__)

__all__ = ["ProcessFiles", "workers_for", "client_recipe", "prestart"]

ENV_PROCESSES = "IBM_COS_TRANSFER_PROCESSES"
MAX_AUTO_WORKERS = 4
FILES_PER_WORKER = 400
# files a worker holds (running and queued): twice what it may run at once, at most 32
# (more would leave this process idle at the end while the worker works through them);
# a batch of up to 8 tops it up
_HELD = 32
_BATCH = 8
_WORKER_KEY = "\x00worker-%d"  # its entry among the transfer's in-flight futures (no key has a NUL)
_REQUEST_EVENTS = (
    "provide-client-params", "before-parameter-build", "before-call", "request-created", "choose-signer",
    "before-sign", "before-send", "needs-retry", "after-call", "after-call-error",
)
_OPERATIONS = ("PutObject", "GetObject", "HeadObject")
# a worker logs at this process's levels for these, and its records come back here
_LOGGERS = ("ibm_s3transfer", "ibm_botocore", "ibm_boto3")


def _usable_cpus() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # Linux: the CPUs this process may run on
    if affinity is not None:
        try:
            return len(affinity(0))
        except OSError:
            pass
    return os.cpu_count() or 1


def workers_for(processes: Optional[int], small_files: int, automatic: bool = True) -> int:
    """Worker processes for ``small_files`` files (0: none); ``processes`` counts this one too.
    ``automatic=False``: none unless ``processes`` or the environment ask for them."""
    if small_files < 2:
        return 0
    if processes is None:
        configured = os.environ.get(ENV_PROCESSES, "").strip()
        if configured:
            try:
                processes = int(configured)
            except ValueError:
                logger.warning("%s=%r is not a whole number; ignored", ENV_PROCESSES, configured)
    if processes is not None:
        return max(0, min(int(processes) - 1, small_files // 2))
    if not automatic:
        return 0
    return max(0, min(_usable_cpus() - 1, MAX_AUTO_WORKERS, small_files // FILES_PER_WORKER))


def _has_user_handlers(client: Any) -> bool:
    from ibm_botocore.hooks import HierarchicalEmitter
    from ibm_s3transfer.upload import UPLOAD_EVENT_HANDLERS

    events = client.meta.events
    if type(events) is not HierarchicalEmitter:
        return True
    for event in _REQUEST_EVENTS:
        for operation in _OPERATIONS:
            for handler in events._handlers_for("%s.s3.%s" % (event, operation)):
                if handler not in UPLOAD_EVENT_HANDLERS:
                    return True
    return False


def client_recipe(client: Any) -> Optional[Tuple[Optional[str], Any]]:
    """(profile, ClientArguments) that build the same client in another process, or None."""
    from ibm_botocore._credbase import Credentials

    origin = getattr(client, "_ibm_origin", None)
    if origin is None or _has_user_handlers(client):
        return None
    credentials: Any = getattr(getattr(client, "_request_signer", None), "_credentials", None)
    keys: Dict[str, Any] = dict(aws_access_key_id=None, aws_secret_access_key=None, aws_session_token=None,
                                ibm_api_key_id=None, token_manager=None, auth_function=None)
    if getattr(credentials, "is_oauth", False):
        if not getattr(credentials, "api_key_id", None):
            return None  # a token manager or auth function of the user's: not ours to copy
        keys.update(ibm_api_key_id=credentials.api_key_id, ibm_service_instance_id=credentials.service_instance_id,
                    ibm_auth_endpoint=credentials.auth_endpoint)
    elif type(credentials) is Credentials:
        frozen = credentials.get_frozen_credentials()
        keys.update(aws_access_key_id=frozen.access_key, aws_secret_access_key=frozen.secret_key,
                    aws_session_token=frozen.token)
    elif credentials is not None:
        return None  # refreshing credentials of another kind
    arguments = dataclasses.replace(origin.arguments, verify=origin.verify, **keys)
    recipe = (origin.profile, arguments)
    try:
        pickle.dumps(recipe)
    except Exception:
        return None
    return recipe


class _Outcome:
    """A finished file as the transfer's accounting expects it (``result()``)."""

    __slots__ = ("error",)

    def __init__(self, error: Optional[BaseException]) -> None:
        self.error = error

    def result(self) -> None:
        if self.error is not None:
            raise self.error


def _interpreter_flags() -> List[str]:
    flags = sys.flags
    if flags.isolated:
        return ["-I"]
    return [flag for flag, on in (("-E", flags.ignore_environment), ("-s", flags.no_user_site),
                                  ("-B", flags.dont_write_bytecode)) if on]


def _write(stream: Any, message: Any) -> bool:
    try:
        pickle.dump(message, stream, protocol=pickle.HIGHEST_PROTOCOL)
        stream.flush()
        return True
    except (OSError, ValueError, pickle.PicklingError):
        return False


def _send(stream: Any, lock: threading.Lock, message: Any) -> bool:
    with lock:
        return _write(stream, message)


def _receive(stdout: Any) -> Any:
    """A worker's next message; its log records on the way are handled by this process's
    loggers and handlers."""
    while True:
        message = pickle.load(stdout)
        if message[0] != "log":
            return message
        record = logging.makeLogRecord(message[1])
        logging.getLogger(record.name).handle(record)


_OWN_SESSION: Dict[str, Any] = {"start_new_session": True} if os.name == "posix" else {}


def _can_spawn() -> bool:
    """A fresh interpreter can be started (not in a frozen program, or without one)."""
    return bool(sys.executable) and not getattr(sys, "frozen", False)


def _spawn() -> Optional["subprocess.Popen[bytes]"]:
    """A new worker process (it imports the SDK, then waits for its setup), or None."""
    # Ctrl-C at a terminal reaches the parent (which cancels), not the workers: they run in a
    # session of their own (and ignore SIGINT from their first line); they end when their
    # input closes. The parent's import path, as it is (not the current directory that -c
    # would add).
    code = ("import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); sys.path[:] = %r\n"
            "from ibm_s3transfer._procworker import main; main()") % (
        [os.path.abspath(entry or os.curdir) for entry in sys.path],)
    try:
        return subprocess.Popen([sys.executable, *_interpreter_flags(), "-c", code],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, **_OWN_SESSION)
    except OSError as exc:
        logger.debug("A worker process did not start (%s); the files stay in this process", exc)
        return None


_prestarted: List["subprocess.Popen[bytes]"] = []
_prestarted_lock = threading.Lock()


def prestart(count: Optional[int] = None) -> int:
    """Start worker processes now, before a directory transfer knows it wants them: a
    worker takes about 0.1 s to import the SDK, which then overlaps with this process's own
    start (what ``cos`` does for recursive transfers). The next transfers that use workers
    take these first; any left over are killed at exit (they hold nothing). ``count``
    defaults to one if there is a spare CPU (more are started as needed). Returns how many
    were started: none where workers are not used (one CPU, ``IBM_COS_TRANSFER_PROCESSES=1``,
    a frozen program)."""
    if count is None:
        count = min(1, workers_for(None, sys.maxsize))  # (IBM_COS_TRANSFER_PROCESSES=1: none)
    if count <= 0 or not _can_spawn():
        return 0
    started = 0
    for _ in range(count):
        proc = _spawn()
        if proc is None:
            break
        with _prestarted_lock:
            _prestarted.append(proc)
        started += 1
    return started


def _take_prestarted() -> Optional["subprocess.Popen[bytes]"]:
    with _prestarted_lock:
        while _prestarted:
            proc = _prestarted.pop(0)
            if proc.poll() is None:
                return proc
    return None


def _end_prestarted() -> None:
    """At exit: workers that were never used are killed, not waited for (one may still be
    importing; it holds no files and no setup)."""
    with _prestarted_lock:
        left = list(_prestarted)
        del _prestarted[:]
    for proc in left:
        try:
            proc.kill()
        except OSError:
            pass
        _close_pipes(proc)
        proc.wait()


atexit.register(_end_prestarted)


def _close_pipes(proc: "subprocess.Popen[bytes]") -> None:
    for stream in (proc.stdin, proc.stdout):
        try:
            stream.close()  # type: ignore[union-attr]
        except OSError:
            pass


class _Worker:
    """One worker process, seen from the parent: a thread feeds it files and accounts for them."""

    def __init__(self, pool: "ProcessFiles", number: int) -> None:
        self.pool = pool
        self.number = number
        self.held: Dict[str, Any] = {}  # key -> item sent and not reported
        self.reported = 0
        self.started = False  # it said it was ready
        self.accepting = False  # its setup is sent: pause / resume may follow
        self.moved = 0  # files it moved
        self.lock = threading.Lock()
        self.proc: Optional[subprocess.Popen] = None  # type: ignore[type-arg]
        self.thread = threading.Thread(target=self._run, name="ibm_s3transfer-procfiles-%d" % number, daemon=True)

    def send(self, message: Any) -> bool:
        proc = self.proc
        return proc is not None and _send(proc.stdin, self.lock, message)

    def cancel(self) -> bool:  # as an in-flight "future" of the transfer
        self.send(("cancel",))
        return True

    def gate_moved(self, state: str) -> None:
        with self.lock:
            if self.accepting:
                _write(self.proc.stdin, (state,))  # type: ignore[union-attr]

    def _start(self) -> bool:
        with self.pool.lock:
            if self.pool.closing:
                return False
            self.proc = _take_prestarted() or _spawn()
            if self.proc is None:
                return False
        owner, plan = self.pool.owner, self.pool.plan
        with self.lock:  # the gate's state and the setup that carries it, against gate_moved
            self.accepting = _write(self.proc.stdin, {
                "recipe": self.pool.recipe, "config": owner._config, "max_files": owner._max_files,
                "plan": (plan.direction, plan.bucket, plan.prefix, plan.directory), "paused": owner._gate.paused,
                "log_levels": {name: logging.getLogger(name).getEffectiveLevel() for name in _LOGGERS},
            })
        return self.accepting

    def _top_up(self) -> bool:
        """Send more files if it holds few; False when there are none left to send."""
        owner = self.pool.owner
        hold = max(2, min(_HELD, 2 * owner._max_files))
        step = max(1, min(_BATCH, hold // 2))
        while len(self.held) <= hold - step:
            owner._gate.wait()
            batch = [] if owner._stopping() else self.pool.take(step)
            if not batch:
                return False
            for item in batch:
                self.held[item.key] = item
            if not self.send(("files", [(item, owner._args_for(item)) for item in batch])):
                return False
        return True

    def _run(self) -> None:
        owner = self.pool.owner
        try:
            if not self._start():
                return
            stdout: Any = self.proc.stdout  # type: ignore[union-attr]
            if _receive(stdout) != ("ready",):
                return
            self.started = True
            with owner._lock:
                owner._in_flight[_WORKER_KEY % self.number] = self
                if owner._cancelled:
                    self.cancel()
            feeding = self._top_up()
            if not feeding:
                self.send(("end",))
            while True:
                message = _receive(stdout)
                if message[0] == "finished":
                    break
                if message[0] == "halt":  # an error outside any one file (an unsafe path)
                    owner._halt(message[1])
                elif message[0] == "done":
                    _, key, error, total = message
                    item = self.held.pop(key)
                    owner._add_progress(total - self.reported)
                    self.reported = total
                    self.moved += error is None
                    owner._collect((item, _Outcome(error)))
                    if feeding:
                        feeding = self._top_up()
                        if not feeding:
                            self.send(("end",))
        except (EOFError, OSError, pickle.UnpicklingError, ValueError) as exc:
            if self.held:
                logger.warning("A worker process of the directory transfer ended early: %s", exc)
        except BaseException as exc:  # our own bug: stop the transfer with it
            owner._halt(exc)
        finally:
            self._finish()

    def _finish(self) -> None:
        owner = self.pool.owner
        with owner._lock:
            owner._in_flight.pop(_WORKER_KEY % self.number, None)
        # files it was given and did not report (it could not start, or it died): moved here
        for item in list(self.held.values()):
            if owner._stopping() or not self.pool.run_here(item):
                break
        self.held.clear()
        proc = self.proc
        if proc is not None:
            _close_pipes(proc)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class ProcessFiles:
    """Worker processes taking small files of ``owner`` (a DirectoryTransfer) through ``take``."""

    def __init__(self, owner: Any, plan: Any, inline: Any, workers: int, recipe: Any) -> None:
        self.owner = owner
        self.plan = plan
        self.take: Callable[[int], List[Any]] = inline.take
        self.run_here: Callable[[Any], bool] = inline.run_one
        self.recipe = recipe
        self.lock = threading.Lock()
        self.closing = False  # this process's threads are done: start no worker now
        self.workers = [_Worker(self, number) for number in range(workers)]
        owner._gate.listen(self._gate_moved)

    @classmethod
    def maybe(cls, owner: Any, plan: Any, inline: Any, small_files: int,
              processes: Optional[int]) -> Optional["ProcessFiles"]:
        """Workers for ``inline``'s files (an ``_InlineFiles``), or None (see the module documentation)."""
        from ibm_s3transfer.download import UNNAMED_FILES

        workers = workers_for(processes, small_files, automatic=plan.direction == "upload" or UNNAMED_FILES)
        if not workers or owner._config.max_bandwidth or not _can_spawn():
            return None
        try:
            recipe = client_recipe(owner._client)
        except Exception:  # a client of a shape we do not know: it stays in this process
            logger.debug("The client cannot be described for worker processes", exc_info=True)
            return None
        if recipe is None:
            return None
        return cls(owner, plan, inline, workers, recipe)

    @property
    def started(self) -> int:
        return sum(worker.started for worker in self.workers)

    @property
    def moved(self) -> int:
        return sum(worker.moved for worker in self.workers)

    def _gate_moved(self, state: str) -> None:
        for worker in self.workers:
            worker.gate_moved(state)

    def start(self) -> None:
        for worker in self.workers:
            worker.thread.start()

    def join(self) -> None:
        """After this process's own threads ran out of files: a worker not ready yet gets
        none (it holds none), so it is stopped rather than waited for."""
        with self.lock:
            self.closing = True
            for worker in self.workers:
                if not worker.started and worker.proc is not None:
                    try:
                        worker.proc.kill()
                    except OSError:
                        pass
        for worker in self.workers:
            worker.thread.join()
        self.owner._gate.listen(self._gate_moved, remove=True)


def _picklable(error: Optional[BaseException]) -> Optional[BaseException]:
    if error is None:
        return None
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError("%s: %s" % (type(error).__name__, error))
