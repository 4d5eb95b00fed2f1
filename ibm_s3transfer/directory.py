"""Directory transfers: a local tree to a key prefix and back, on the TransferManager.

The engine behind ``AsperaTransferManager.upload_directory`` / ``download_directory`` and
behind the ``cos`` command line's ``cp --recursive`` and ``sync``. Two steps:

1. **Plan** what to move::

       plan = plan_upload(directory, bucket, prefix, client=client,
                          include=lambda rel: not rel.endswith(".tmp"),
                          skip=already_complete(client, bucket))
       plan = plan_download(client, bucket, prefix, directory, include=None, skip=None)

   A plan is a :class:`DirectoryPlan`: the :class:`TransferItem` s to move (``items``)
   and those left out by ``skip`` (``skipped``), each with its relative path (``/``
   separators), object key, local path and what is known of both sides
   (:class:`LocalFile`: size, mtime; :class:`RemoteObject`: size, ETag, LastModified).

   * ``include(relative_path) -> bool`` chooses files (``--include`` / ``--exclude``);
   * ``skip(item) -> bool`` leaves out files that need no transfer. :func:`already_complete`
     is "same size and same content" (the MD5 of the file against the object's ETag,
     also for multipart ETags); a CLI ``sync`` passes its own size + mtime test.
     ``plan_upload`` lists the destination prefix once when given a ``client``, so
     ``item.remote`` is filled for uploads too.
   * The prefix names a folder: ``"photos"`` and ``"photos/"`` both mean keys
     ``photos/<relative path>``; ``""`` is the whole bucket. A leading ``/`` is refused
     (ValueError).
   * Safe paths: a key whose relative part has ``..`` or ``.`` segments, empty
     segments, a leading ``/``, backslashes, NUL or a drive letter, or that would resolve
     outside ``directory`` (through a symlink already there), raises
     :class:`UnsafeKeyError` (``unsafe="raise"``, the default: nothing is transferred)
     or is left out (``unsafe="skip"``; listed in ``plan.unsafe``). Folder markers (keys
     ending in ``/``) are not files and are ignored.
   * Uploads take regular files (symlinks to files are followed); symlinked directories
     are followed, but never into one of their own ancestors (no loops). An unreadable
     directory raises ``IOError("Error accessing Directory: <path>")``.

2. **Run** it::

       transfer = DirectoryTransfer(client, plan, config=TransferConfig(max_request_concurrency=10),
                                    progress=lambda total: print(total, "bytes"))
       transfer.start()
       transfer.pause(); transfer.resume()      # or transfer.cancel()
       summary = transfer.result()              # DirectorySummary, or raises the first error

   ``plan`` may also be a callable returning the plan (it then runs in the transfer's
   thread, so listing errors such as NoSuchBucket come out of ``result()``).
   Files at or above the multipart threshold go through a
   :class:`~ibm_s3transfer.manager.TransferManager` owned by the transfer: up to
   ``max_concurrent_files`` files at once, split into parts/ranges sent over
   ``config.max_request_concurrency`` connections. Smaller files (one request each) run
   start to end in worker threads of their own, as many at once as
   :class:`~ibm_s3transfer.concurrency.AdaptiveLimit` finds fastest (up to
   ``max_concurrent_files``): on a fast network a few threads beat many, on a slow one
   many beat few. ``config.max_bandwidth`` (bytes/s) is one ceiling for all of them.
   Downloads use the manager's verified downloader (temporary file, renamed when
   complete); objects below the multipart threshold are fetched with one GET
   conditional on the listed ETag (no HeadObject), and an MD5 ETag is checked against
   the data.

   * ``progress(total_bytes)`` is called with the cumulative bytes moved, never
     decreasing (a retried part does not count twice); an exception it raises is logged.
   * ``pause()``: no new file, part or range starts; those in flight finish (so a part
     is never sent twice). Waiting threads sleep on a condition (no polling).
     ``resume()`` carries on.
   * ``cancel()``: stops; open multipart uploads are aborted and temporary download
     files removed before ``result()`` raises CancelledError.
   * ``fail_fast=True`` (default): the first failing file cancels the rest and
     ``result()`` raises its error. ``fail_fast=False``: the other files carry on;
     ``result()`` raises the first error and ``transfer.errors`` maps key -> exception.
   * ``extra_args``: a dict for every file, or ``callable(item) -> dict``.
   * ``on_plan(plan)`` runs once the plan is known, ``on_done(transfer)`` once at the end
     (also after a cancel before ``start()``); exceptions they raise are logged.
   * ``max_concurrent_files`` defaults to twice ``config.max_request_concurrency`` (at
     least 4), so small files keep every connection busy.
   * ``processes``: with many small files and more than one CPU, worker processes take a
     share of them (one Python process is limited to about 2,000 small files a second by
     the interpreter). ``None`` (default): ``IBM_COS_TRANSFER_PROCESSES``, else (uploads,
     and downloads on Linux) one per spare CPU (at most 4) and per 400 small files; ``1``: this process
     only; ``n``: up to ``n`` processes in all. Only for clients that can be built again
     (HMAC keys or an IAM API key, no event handlers of yours on their requests) and
     with no ``max_bandwidth``; see :mod:`ibm_s3transfer.procfiles`.
     ``worker_processes`` and ``worker_files`` tell what they did.
   * State: ``status`` (not-started, running, paused, cancelled, failed, success),
     ``bytes_transferred``, ``files_done``, ``errors``, ``plan``, ``done()``, ``wait()``,
     ``worker_processes``, ``worker_files``;
     the summary has ``files_transferred``, ``bytes_transferred``, ``files_skipped`` and
     ``files_failed``.

Everything here is additive-only API: new keyword arguments may appear, none go away.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import os
import queue
import threading
import concurrent.futures
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from ibm_s3transfer.concurrency import AdaptiveLimit
from ibm_s3transfer.exceptions import CancelledError
from ibm_s3transfer.procfiles import ProcessFiles

logger = logging.getLogger(__name__)

__all__ = [
    "LocalFile",
    "RemoteObject",
    "TransferItem",
    "DirectoryPlan",
    "DirectorySummary",
    "DirectoryTransfer",
    "UnsafeKeyError",
    "PathFilter",
    "SkipPredicate",
    "plan_upload",
    "plan_download",
    "already_complete",
    "normalize_prefix",
    "safe_relative_path",
]

PathFilter = Callable[[str], bool]
SkipPredicate = Callable[["TransferItem"], bool]
ExtraArgs = Union[None, Dict[str, Any], Callable[["TransferItem"], Dict[str, Any]]]

_UPLOAD = "upload"
_DOWNLOAD = "download"


class UnsafeKeyError(ValueError):
    """An object key that would be written outside the target directory."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__("Refusing key %r: %s" % (key, reason))
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class LocalFile:
    size: int
    mtime: float


@dataclass(frozen=True)
class RemoteObject:
    size: int
    etag: Optional[str] = None
    last_modified: Any = None


@dataclass(frozen=True)
class TransferItem:
    """One file of a plan."""

    relative: str  # '/'-separated path below the directory / prefix
    key: str
    path: str  # absolute local path
    local: Optional[LocalFile]
    remote: Optional[RemoteObject]
    direction: str  # "upload" or "download"

    @property
    def size(self) -> int:
        """Bytes this item moves (the local size for uploads, the object size for downloads)."""
        side = self.local if self.direction == _UPLOAD else self.remote
        return side.size if side is not None else 0


@dataclass
class DirectoryPlan:
    direction: str
    bucket: str
    prefix: str
    directory: str
    items: List[TransferItem] = field(default_factory=list)
    skipped: List[TransferItem] = field(default_factory=list)
    unsafe: List[Tuple[str, str]] = field(default_factory=list)  # (key, reason) with unsafe="skip"

    @property
    def total_bytes(self) -> int:
        return sum(item.size for item in self.items)

    @property
    def skipped_bytes(self) -> int:
        return sum(item.size for item in self.skipped)


@dataclass(frozen=True)
class DirectorySummary:
    files_transferred: int
    bytes_transferred: int
    files_skipped: int
    files_failed: int


# -- keys and paths ----------------------------------------------------------------------------
def normalize_prefix(prefix: str) -> str:
    """``""`` or a prefix ending in ``/``; a leading ``/`` is refused."""
    if not isinstance(prefix, str):
        raise ValueError("The key prefix must be a string, not %s" % type(prefix).__name__)
    if prefix.startswith("/"):
        raise ValueError("The key prefix %r must not start with '/' (use e.g. 'newuploads/')" % prefix)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return prefix


def safe_relative_path(key: str, relative: str) -> List[str]:
    """The path segments of ``relative`` (part of ``key``), or UnsafeKeyError."""
    if "\x00" in relative:
        raise UnsafeKeyError(key, "it contains a NUL character")
    if "\\" in relative:
        raise UnsafeKeyError(key, "it contains a backslash")
    if relative.startswith("/"):
        raise UnsafeKeyError(key, "its path below the prefix is absolute")
    segments = relative.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise UnsafeKeyError(key, "it has a %r path segment" % segment)
    first = segments[0]
    if len(first) >= 2 and first[1] == ":" and first[0].isalpha():
        raise UnsafeKeyError(key, "it starts with a drive letter")
    return segments


def _within(directory_real: str, path: str) -> bool:
    real = os.path.realpath(path)
    return real == directory_real or real.startswith(directory_real.rstrip(os.sep) + os.sep)


class _Containment:
    """Answers "does this path stay inside the directory?" resolving each parent folder once."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.real = os.path.realpath(directory)
        self._parents: Dict[str, bool] = {}

    def parent_inside(self, path: str) -> bool:
        parent = os.path.dirname(path)
        known = self._parents.get(parent)
        if known is None:
            known = self._parents[parent] = _within(self.real, parent)
        return known

    def inside(self, path: str) -> bool:
        # the file itself may be a symlink already there (pointing anywhere)
        return self.parent_inside(path) and (not os.path.islink(path) or _within(self.real, path))

    def forget(self, path: str) -> None:
        self._parents.pop(os.path.dirname(path), None)


# -- listing and walking -------------------------------------------------------------------------
def _list_objects(client: Any, bucket: str, prefix: str) -> Iterator[Dict[str, Any]]:
    token: Optional[str] = None
    while True:
        kwargs: Dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if token:
            kwargs["ContinuationToken"] = token
        page = client.list_objects_v2(**kwargs)
        for entry in page.get("Contents", ()):
            yield entry
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return


def _remote(entry: Dict[str, Any]) -> RemoteObject:
    return RemoteObject(size=int(entry.get("Size") or 0), etag=entry.get("ETag"), last_modified=entry.get("LastModified"))


def _walk(directory: str) -> Iterator[Tuple[str, str, os.stat_result]]:
    """(relative path, absolute path, stat) of every regular file, sorted, without loops."""

    def visit(path: str, relative: str, ancestors: "frozenset[Tuple[int, int]]") -> Iterator[Tuple[str, str, os.stat_result]]:
        try:
            with os.scandir(path) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError:
            raise IOError("Error accessing Directory: %s" % path)
        for entry in entries:
            child_rel = relative + entry.name
            try:
                info = entry.stat(follow_symlinks=True)
            except OSError:
                logger.warning("Skipping %s: cannot stat it (broken symlink?)", entry.path)
                continue
            if entry.is_dir(follow_symlinks=True):
                ident = (info.st_dev, info.st_ino)
                if ident in ancestors:
                    logger.warning("Not following %s: it leads back to one of its parent directories", entry.path)
                    continue
                yield from visit(entry.path, child_rel + "/", ancestors | {ident})
            elif entry.is_file(follow_symlinks=True):
                yield child_rel, entry.path, info

    root = os.stat(directory)
    return visit(directory, "", frozenset([(root.st_dev, root.st_ino)]))


def _split(candidates: List[TransferItem], skip: Optional[SkipPredicate], plan: DirectoryPlan) -> DirectoryPlan:
    for item in candidates:
        if skip is not None and skip(item):
            plan.skipped.append(item)
        else:
            plan.items.append(item)
    return plan


def plan_upload(
    directory: str,
    bucket: str,
    prefix: str,
    *,
    client: Any = None,
    include: Optional[PathFilter] = None,
    skip: Optional[SkipPredicate] = None,
) -> DirectoryPlan:
    """Every regular file under ``directory`` as ``prefix + relative path``.

    With ``client``, the destination prefix is listed once to fill ``item.remote``.
    """
    prefix = normalize_prefix(prefix)
    directory = os.path.abspath(os.fspath(directory))
    if not os.path.isdir(directory) or not os.access(directory, os.R_OK | os.X_OK):
        raise IOError("Error accessing Directory: %s" % directory)
    remote: Dict[str, RemoteObject] = {}
    if client is not None:
        remote = {entry["Key"]: _remote(entry) for entry in _list_objects(client, bucket, prefix)}
    candidates = []
    for relative, path, info in _walk(directory):
        if include is not None and not include(relative):
            continue
        key = prefix + relative
        candidates.append(TransferItem(relative, key, path, LocalFile(info.st_size, info.st_mtime), remote.get(key), _UPLOAD))
    return _split(candidates, skip, DirectoryPlan(_UPLOAD, bucket, prefix, directory))


def plan_download(
    client: Any,
    bucket: str,
    prefix: str,
    directory: str,
    *,
    include: Optional[PathFilter] = None,
    skip: Optional[SkipPredicate] = None,
    unsafe: str = "raise",
) -> DirectoryPlan:
    """Every object under ``prefix`` as ``directory/<relative path>`` (one listing)."""
    if unsafe not in ("raise", "skip"):
        raise ValueError("unsafe must be 'raise' or 'skip'")
    prefix = normalize_prefix(prefix)
    directory = os.path.abspath(os.fspath(directory))
    containment = _Containment(directory)
    plan = DirectoryPlan(_DOWNLOAD, bucket, prefix, directory)
    candidates = []
    for entry in _list_objects(client, bucket, prefix):
        key = entry["Key"]
        relative = key[len(prefix):]
        if not relative or (relative.endswith("/") and not entry.get("Size")):
            continue  # the prefix itself, or a folder marker
        try:
            segments = safe_relative_path(key, relative)
            path = os.path.join(directory, *segments)
            if not containment.inside(path):
                raise UnsafeKeyError(key, "it would be written outside %s (through a symlink)" % directory)
        except UnsafeKeyError as exc:
            if unsafe == "raise":
                raise
            plan.unsafe.append((key, exc.reason))
            continue
        if include is not None and not include(relative):
            continue
        try:
            info = os.stat(path)
            local = LocalFile(info.st_size, info.st_mtime) if os.path.isfile(path) else None
        except OSError:
            local = None
        candidates.append(TransferItem(relative, key, path, local, _remote(entry), _DOWNLOAD))
    return _split(candidates, skip, plan)


# -- "already complete" ----------------------------------------------------------------------------
def _md5_parts(path: str, part_size: int) -> Tuple[str, int]:
    """(hex MD5 of the whole file if one part, else of the parts' digests, number of parts)."""
    block = 1024 * 1024
    digests: List[bytes] = []
    with open(path, "rb") as handle:
        while True:
            part = hashlib.md5()
            left = part_size
            got_any = False
            while left > 0:
                data = handle.read(min(block, left))
                if not data:
                    break
                got_any = True
                part.update(data)
                left -= len(data)
            if not got_any and digests:
                break
            digests.append(part.digest())
            if left > 0:
                break
    if len(digests) == 1:
        return digests[0].hex(), 1
    return hashlib.md5(b"".join(digests)).hexdigest(), len(digests)


def already_complete(client: Any, bucket: str, head_args: Optional[Dict[str, Any]] = None) -> SkipPredicate:
    """A skip predicate: both sides exist with the same size and the local file's MD5 matches
    the object's ETag (for a multipart ETag ``<md5>-<N>`` the part size is read with a
    HeadObject of part 1). Objects whose ETag is no MD5 (SSE-C, Key Protect) are sent again."""

    def check(item: TransferItem) -> bool:
        local, remote = item.local, item.remote
        if local is None or remote is None or local.size != remote.size or not remote.etag:
            return False
        etag = remote.etag.strip('"').lower()
        digest, _, count = etag.partition("-")
        if len(digest) != 32:
            return False
        try:
            if not count:
                return _md5_parts(item.path, max(local.size, 1))[0] == digest
            if not count.isdigit() or int(count) < 1:
                return False
            head = client.head_object(Bucket=bucket, Key=item.key, PartNumber=1, **(head_args or {}))
            part_size = int(head.get("ContentLength") or 0)
            if part_size <= 0:
                return False
            got, parts = _md5_parts(item.path, part_size)
            return parts == int(count) and got == digest
        except Exception:
            logger.debug("Cannot compare %s with %s; transferring it", item.path, item.key, exc_info=True)
            return False

    return check


# -- running a plan ---------------------------------------------------------------------------------
class _Gate:
    """Open while running; closed while paused; forced open for good by cancel()."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._paused = False
        self._broken = False
        self._listeners: List[Callable[[str], Any]] = []

    def listen(self, listener: Callable[[str], Any], remove: bool = False) -> None:
        """``listener("pause")`` / ``listener("resume")`` on each change (worker processes)."""
        with self._cond:
            if remove:
                self._listeners = [known for known in self._listeners if known != listener]
            else:
                self._listeners = self._listeners + [listener]

    def pause(self) -> None:
        with self._cond:
            if self._broken:
                return
            self._paused = True
            listeners = self._listeners
        for listener in listeners:
            listener("pause")

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()
            listeners = self._listeners
        for listener in listeners:
            listener("resume")

    def break_open(self) -> None:
        with self._cond:
            self._broken = True
            self._paused = False
            self._cond.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    def wait(self) -> None:
        with self._cond:
            while self._paused:
                self._cond.wait()


class _GatedPool(concurrent.futures.ThreadPoolExecutor):
    """A thread pool whose tasks wait for the gate before they start."""

    def __init__(self, gate: _Gate, max_workers: Optional[int] = None) -> None:
        super().__init__(max_workers=max_workers)
        self._gate = gate

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        gate = self._gate

        def gated() -> Any:
            gate.wait()
            return fn(*args, **kwargs)

        return super().submit(gated)


class _FileSubscriber:
    """Forwards one file's progress to the directory transfer and reports its end
    (``queued``: to the feeding thread's queue; else the inline worker collects it)."""

    def __init__(self, owner: "DirectoryTransfer", item: TransferItem, queued: bool = True) -> None:
        self._owner = owner
        self._item = item
        self._queued = queued

    def on_queued(self, future: Any = None, **kwargs: Any) -> None:
        self._owner._track(self._item, future)
        # Downloads: the listing's size and ETag spare the downloader a HeadObject for
        # small objects (it checks an MD5 ETag against the data instead).
        remote = self._item.remote
        if (self._item.direction == _DOWNLOAD and remote is not None and remote.etag and future.meta.size is None
                and remote.size < self._owner._config.multipart_threshold):
            future.meta.provide_transfer_size(remote.size)
            future.meta.provide_object_etag(remote.etag)

    def on_progress(self, future: Any = None, bytes_transferred: int = 0, **kwargs: Any) -> None:
        self._owner._add_progress(bytes_transferred)

    def on_done(self, future: Any = None, **kwargs: Any) -> None:
        if self._queued:
            self._owner._finished.put((self._item, future))


class DirectoryTransfer:
    """Runs a :class:`DirectoryPlan` (see the module documentation)."""

    def __init__(
        self,
        client: Any,
        plan: Union[DirectoryPlan, Callable[[], DirectoryPlan]],
        *,
        config: Any = None,
        extra_args: ExtraArgs = None,
        progress: Optional[Callable[[int], Any]] = None,
        max_concurrent_files: Optional[int] = None,
        fail_fast: bool = True,
        on_plan: Optional[Callable[[DirectoryPlan], Any]] = None,
        on_done: Optional[Callable[["DirectoryTransfer"], Any]] = None,
        processes: Optional[int] = None,
    ) -> None:
        from ibm_s3transfer.manager import TransferConfig

        self._client = client
        self._plan_source = plan
        self.plan: Optional[DirectoryPlan] = plan if isinstance(plan, DirectoryPlan) else None
        self._config = config if config is not None else TransferConfig()
        self._extra_args = extra_args
        self._progress = progress
        self._max_files = max_concurrent_files or max(2 * self._config.max_request_concurrency, 4)
        self._fail_fast = fail_fast
        self._processes = processes
        self._workers: Any = None  # ProcessFiles, when worker processes take small files
        self._on_plan = on_plan
        self._on_done = on_done
        self._gate = _Gate()
        self._lock = threading.Lock()
        self._progress_lock = threading.Lock()
        self._bytes = 0
        self._reported = 0
        self._finished: "queue.Queue[Tuple[TransferItem, Any]]" = queue.Queue()
        self._in_flight: Dict[str, Any] = {}
        self._cancelled = False
        self._cancel_message = ""
        self._done = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._error: Optional[BaseException] = None
        self._summary: Optional[DirectorySummary] = None
        self.errors: Dict[str, BaseException] = {}
        self.files_done = 0
        self._failed = 0
        self._halted = False
        self._made: "set[str]" = set()
        self._dirs_lock = threading.Lock()
        self._containment: Optional[_Containment] = None

    # -- state ------------------------------------------------------------------------------
    @property
    def bytes_transferred(self) -> int:
        return self._reported

    @property
    def status(self) -> str:
        """not-started, running, paused, cancelled, failed or success."""
        if self._done.is_set():
            if self._cancelled:
                return "cancelled"
            return "failed" if self._error is not None else "success"
        if self._thread is None:
            return "not-started"
        return "paused" if self._gate.paused else "running"

    def done(self) -> bool:
        return self._done.is_set()

    @property
    def worker_processes(self) -> int:
        """Worker processes that took small files (``ibm_s3transfer.procfiles``); 0 if none."""
        return self._workers.started if self._workers is not None else 0

    @property
    def worker_files(self) -> int:
        """Files moved by worker processes (included in ``files_done``)."""
        return self._workers.moved if self._workers is not None else 0

    # -- control ----------------------------------------------------------------------------
    def start(self) -> "DirectoryTransfer":
        with self._lock:
            if self._thread is None and not self._done.is_set():
                self._thread = threading.Thread(target=self._run, name="ibm_s3transfer-directory", daemon=True)
                self._thread.start()
        return self

    def pause(self) -> None:
        self._gate.pause()

    def resume(self) -> None:
        self._gate.resume()

    def cancel(self, msg: str = "") -> None:
        with self._lock:
            if self._done.is_set() or self._cancelled:
                return
            self._cancelled = True
            self._cancel_message = msg
            in_flight = list(self._in_flight.values())
        self._gate.break_open()
        for future in in_flight:
            future.cancel()
        if self._thread is None:
            self._error = CancelledError(msg)
            self._done.set()
            self._announce_done()

    def wait(self, timeout: Optional[float] = None) -> bool:
        return self._done.wait(timeout)

    def result(self, timeout: Optional[float] = None) -> DirectorySummary:
        """Wait for the end; the summary, or the first error (CancelledError after cancel)."""
        if not self._done.wait(timeout):
            raise TimeoutError("The directory transfer has not finished")
        if self._error is not None:
            raise self._error
        assert self._summary is not None
        return self._summary

    # -- internals -----------------------------------------------------------------------------
    def _add_progress(self, amount: int) -> None:
        with self._progress_lock:
            self._bytes += amount
            if self._bytes <= self._reported:
                return
            self._reported = self._bytes
            if self._progress is not None:
                try:
                    self._progress(self._reported)
                except Exception:
                    logger.warning("A progress callback raised; the transfer goes on", exc_info=True)

    def _make_manager(self) -> Any:
        from ibm_s3transfer.futures import BoundedExecutor, NonThreadedExecutor
        from ibm_s3transfer.manager import TransferManager

        manager = TransferManager(self._client, self._config, executor_cls=functools.partial(_GatedPool, self._gate))
        # Each file's submission (HeadObject / CreateMultipartUpload / opening the file)
        # runs in the thread that feeds the files: one thread hand-off less per file,
        # which is most of what many small files cost beyond their requests.
        manager._submitters.shutdown(wait=False)
        manager._submitters = BoundedExecutor(max_size=0, max_num_threads=1, executor_cls=NonThreadedExecutor)
        return manager

    def _args_for(self, item: TransferItem) -> Optional[Dict[str, Any]]:
        extra = self._extra_args
        if callable(extra):
            return extra(item)
        return dict(extra) if extra else None

    def _run(self) -> None:
        manager = None
        inline: Optional[_InlineFiles] = None
        workers: Optional[ProcessFiles] = None
        try:
            plan = self.plan
            if plan is None:
                plan = self._plan_source()  # type: ignore[operator]
                self.plan = plan
            if self._on_plan is not None:
                try:
                    self._on_plan(plan)
                except Exception:
                    logger.warning("The on_plan callback of a directory transfer raised", exc_info=True)
            manager = self._make_manager()
            small: List[TransferItem] = []
            large: List[TransferItem] = []
            for item in plan.items:
                (small if self._is_small(item) else large).append(item)
            if small:
                inline = _InlineFiles(self, plan, small, manager)
                workers = self._workers = ProcessFiles.maybe(self, plan, inline, len(small), self._processes)
                if workers is not None:
                    workers.start()
                inline.start()
            self._feed(manager, plan, large)
        except BaseException as exc:
            self._halt(exc)
        finally:
            if inline is not None:
                inline.join()
            if workers is not None:
                workers.join()  # they may hand files back to the inline manager
            if inline is not None:
                inline.close()
            if manager is not None:
                try:
                    manager.shutdown()
                except BaseException:
                    logger.debug("Shutting down the directory transfer's manager raised", exc_info=True)
            if self._cancelled:
                self._error = CancelledError(self._cancel_message)
            plan = self.plan
            self._summary = DirectorySummary(
                files_transferred=self.files_done,
                bytes_transferred=self._reported,
                files_skipped=len(plan.skipped) if plan is not None else 0,
                files_failed=self._failed,
            )
            self._done.set()
            self._announce_done()

    def _is_small(self, item: TransferItem) -> bool:
        """One request (below the multipart threshold, its size known): run inline."""
        side = item.local if item.direction == _UPLOAD else item.remote
        if side is None or side.size >= self._config.multipart_threshold:
            return False
        return item.direction == _UPLOAD or bool(item.remote is not None and item.remote.etag)

    def _halt(self, exc: BaseException) -> None:
        """An error outside any one file (planning, submitting): stop everything."""
        with self._lock:
            self._halted = True
            if self._error is None:
                self._error = exc
            in_flight = list(self._in_flight.values())
        for future in in_flight:
            future.cancel()

    def _stopping(self) -> bool:
        return self._cancelled or self._halted or bool(self._failed and self._fail_fast)

    def _feed(self, manager: Any, plan: DirectoryPlan, items: List[TransferItem]) -> None:
        """Submit ``items`` to the threaded manager, at most ``max_concurrent_files`` at once."""
        outstanding = 0
        for item in items:
            while outstanding >= self._max_files:
                outstanding -= 1
                self._collect(self._finished.get())
            while not self._finished.empty():
                outstanding -= 1
                self._collect(self._finished.get())
            self._gate.wait()
            if self._stopping():
                break
            self._submit(manager, plan, item)
            outstanding += 1
        while outstanding:
            outstanding -= 1
            self._collect(self._finished.get())

    def _announce_done(self) -> None:
        if self._on_done is not None:
            try:
                self._on_done(self)
            except Exception:
                logger.warning("The on_done callback of a directory transfer raised", exc_info=True)

    def _track(self, item: TransferItem, future: Any) -> None:
        with self._lock:
            self._in_flight[item.key] = future
            cancelled = self._cancelled
        if cancelled:
            future.cancel()

    def _submit(self, manager: Any, plan: DirectoryPlan, item: TransferItem, queued: bool = True) -> Any:
        """Start one file (``queued=False``: an inline manager, so it is done on return)."""
        subscribers = [_FileSubscriber(self, item, queued)]
        extra_args = self._args_for(item)
        if plan.direction == _UPLOAD:
            future = manager.upload(item.path, plan.bucket, item.key, extra_args=extra_args, subscribers=subscribers)
        else:
            parent = os.path.dirname(item.path)
            with self._dirs_lock:  # inline workers make folders too
                if parent not in self._made:
                    os.makedirs(parent, exist_ok=True)
                    self._made.add(parent)
                    if self._containment is None:
                        self._containment = _Containment(plan.directory)
                    self._containment.forget(item.path)  # resolve it again now that it exists
                inside = self._containment.inside(item.path)  # type: ignore[union-attr]
            if not inside:
                raise UnsafeKeyError(item.key, "it would be written outside %s (through a symlink)" % plan.directory)
            future = manager.download(plan.bucket, item.key, item.path, extra_args=extra_args, subscribers=subscribers)
        return future

    def _collect(self, finished: Tuple[TransferItem, Any]) -> None:
        """Account for one finished file (from the feeding thread or an inline worker)."""
        item, future = finished
        with self._lock:
            self._in_flight.pop(item.key, None)
        try:
            future.result()
        except BaseException as exc:
            with self._lock:
                if self._cancelled or isinstance(exc, CancelledError) and self._error is not None:
                    return
                self.errors[item.key] = exc
                if self._error is None:
                    self._error = exc
                self._failed += 1
                others = list(self._in_flight.values()) if self._fail_fast else []
            for other in others:
                other.cancel()
            return
        with self._lock:
            self.files_done += 1


class _InlineFiles:
    """Small files run start to end in worker threads, each through an inline manager.

    A file below the multipart threshold is one request: handing it from thread to
    thread (submission, request pool, completion queue) costs more than the request.
    Here each worker takes the next file, runs its whole transfer in its own thread and
    accounts for it. How many workers run at once is an :class:`AdaptiveLimit` up to
    ``max_concurrent_files``. The inline manager shares the threaded manager's bandwidth
    limiter, so ``max_bandwidth`` stays one ceiling for the whole tree.
    """

    def __init__(self, owner: DirectoryTransfer, plan: DirectoryPlan, items: Iterable[TransferItem], shared: Any,
                 count: Optional[int] = None) -> None:
        from ibm_s3transfer.futures import NonThreadedExecutor
        from ibm_s3transfer.manager import TransferManager

        self._owner = owner
        self._plan = plan
        self._items = iter(items)
        self._lock = threading.Lock()
        self._manager = TransferManager(owner._client, owner._config, executor_cls=NonThreadedExecutor)
        if shared is not None:
            self._manager._bandwidth_limiter = shared._bandwidth_limiter
        self._limit = AdaptiveLimit(owner._max_files)
        if count is None:
            count = len(items)  # type: ignore[arg-type]
        self._threads = [
            threading.Thread(target=self._work, name="ibm_s3transfer-small-%d" % number, daemon=True)
            for number in range(min(owner._max_files, count))
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join()

    def close(self) -> None:
        self._manager.shutdown()

    def _next(self) -> Optional[TransferItem]:
        with self._lock:
            return next(self._items, None)

    def take(self, count: int) -> List[TransferItem]:
        """Up to ``count`` files not yet started (for worker processes)."""
        with self._lock:
            return list(itertools.islice(self._items, count))

    def _work(self) -> None:
        owner, limit = self._owner, self._limit
        held = False
        try:
            while True:
                if not held:
                    limit.acquire()
                    held = True
                if owner._gate.paused:
                    owner._gate.wait()
                    limit.restart_window()
                item = None if owner._stopping() else self._next()
                if item is None or not self.run_one(item):
                    limit.open()
                    return
                held = limit.finished_one(item.size)  # False: the limit went down, wait for a slot again
        finally:
            if held:
                limit.release()

    def run_one(self, item: TransferItem) -> bool:
        """Move one file start to end in this thread; False after an error outside the file (the transfer halts)."""
        owner = self._owner
        try:
            future = owner._submit(self._manager, self._plan, item, queued=False)
        except BaseException as exc:
            owner._halt(exc)
            return False
        owner._collect((item, future))
        return True

