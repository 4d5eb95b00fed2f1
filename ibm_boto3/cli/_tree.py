"""Many files at once: ``cp``/``mv --recursive``, ``sync``, ``rm --recursive``.

Local ↔ COS trees go through the SDK's directory engine (:mod:`ibm_s3transfer.directory`):
a plan (which files, which are skipped), then one :class:`DirectoryTransfer` that moves
files in parallel and parts within large files, with a progress callback and cancel.
COS → COS trees are server-side copies on a :class:`TransferManager`; deletions are
batched DeleteObjects requests of up to 1,000 keys.
"""
from __future__ import annotations

import dataclasses
import datetime
import fnmatch
import mimetypes
import os
import signal
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from ._output import Output
from ._paths import Local, Remote, folder

DELETE_BATCH = 1000

Filters = Sequence[Tuple[str, str]]


# -- include / exclude ------------------------------------------------------------------------
def path_filter(rules: Filters) -> Optional[Callable[[str], bool]]:
    """``aws s3`` filter semantics: every path is included, then each ``--exclude`` /
    ``--include`` in command-line order that matches it decides again (the last match wins).
    Patterns are globs over the path relative to the source directory or prefix (``*``
    crosses ``/``)."""
    if not rules:
        return None
    compiled = [(kind == "include", fnmatch.translate(pattern)) for kind, pattern in rules]
    import re

    matchers = [(include, re.compile(regex).match) for include, regex in compiled]

    def accept(relative: str) -> bool:
        verdict = True
        for include, match in matchers:
            if match(relative):
                verdict = include
        return verdict

    return accept


# -- listings ------------------------------------------------------------------------------------
def list_objects(client: Any, bucket: str, prefix: str) -> Iterator[Dict[str, Any]]:
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", ())


def remote_files(client: Any, remote: Remote, accept: Optional[Callable[[str], bool]]) -> Dict[str, Dict[str, Any]]:
    """relative path -> listing entry, for every object below ``remote`` read as a folder."""
    prefix = folder(remote.key)
    found: Dict[str, Dict[str, Any]] = {}
    for entry in list_objects(client, remote.bucket, prefix):
        relative = entry["Key"][len(prefix):]
        if not relative or relative.endswith("/"):
            continue
        if accept is None or accept(relative):
            found[relative] = entry
    return found


def local_files(directory: str, accept: Optional[Callable[[str], bool]]) -> Dict[str, str]:
    """relative path ('/' separators) -> absolute path, for every regular file below ``directory``."""
    found: Dict[str, str] = {}
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        base = os.path.relpath(root, directory)
        for name in files:
            relative = name if base == "." else "%s/%s" % (base.replace(os.sep, "/"), name)
            if accept is None or accept(relative):
                found[relative] = os.path.join(root, name)
    return found


def timestamp(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        moment: datetime.datetime = value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return moment.timestamp()
    return float(value or 0)


# -- when sync transfers a file -------------------------------------------------------------------
def unchanged(source_size: int, source_time: float, dest_size: Optional[int], dest_time: float,
              size_only: bool) -> bool:
    """``sync``'s default test: the destination has the same size and is not older than the source
    (whole seconds: object times have no fractions)."""
    if dest_size is None or dest_size != source_size:
        return False
    return size_only or int(source_time) <= int(dest_time)


# -- running a plan on the directory engine --------------------------------------------------------
def prestart_workers(args: Any) -> None:
    """A recursive transfer between a directory and COS that will move many files: start a
    worker process for the small files now, so that its 0.1 s of start-up overlaps with
    ours (client, listing, plan). ``cp``/``mv --recursive``: downloads, and uploads from a
    directory of 400 files or more; ``sync``: downloads into an empty or new directory
    (everything is transferred). Other syncs often have little or nothing to do, and an
    unused worker costs about 0.05 s."""
    from ._paths import Local, Remote, parse

    recursive = args.command == "sync" or (args.command in ("cp", "mv") and args.recursive)
    if not recursive or args.dryrun or args.processes == 1:
        return
    try:
        source, destination = parse(args.source), parse(args.destination)
    except Exception:  # the command itself says what is wrong with a path
        return
    if {type(source), type(destination)} != {Local, Remote}:
        return
    from ibm_s3transfer.procfiles import FILES_PER_WORKER, prestart

    if isinstance(source, Local):
        if args.command == "sync" or not _has_files(source.path, FILES_PER_WORKER):
            return
    elif args.command == "sync" and isinstance(destination, Local) and _has_files(destination.path, 1):
        return
    prestart(None if args.processes is None else 1)


def _has_files(directory: str, count: int) -> bool:
    """Whether ``directory`` holds at least ``count`` files (stops counting there; a missing
    directory holds none)."""
    found = 0
    for _root, _dirs, files in os.walk(directory):
        found += len(files)
        if found >= count:
            return True
    return False


class TreeResult:
    def __init__(self) -> None:
        self.done: List[Any] = []  # items that completed
        self.failed: List[Tuple[Any, BaseException]] = []  # (item, error)


def interruptible_wait(wait: Callable[[float], bool], cancel: Callable[[], None]) -> None:
    """Wait for ``wait(timeout)`` to say done; on Ctrl-C cancel, wait for the cleanup (a second
    Ctrl-C is ignored meanwhile) and re-raise."""
    try:
        while not wait(0.25):
            pass
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        cancel()
        while not wait(0.25):
            pass
        raise


def run_directory(client: Any, plan: Any, *, config: Any, out: Output, extra_args: Any = None,
                  description: str = "", processes: Optional[int] = None) -> TreeResult:
    """Run a directory-engine plan with an overall progress bar; Ctrl-C cancels it cleanly."""
    from ibm_s3transfer.directory import DirectoryTransfer

    bar = out.bar(description, plan.total_bytes)
    bar.total(plan.total_bytes, len(plan.items))
    result = TreeResult()
    transfer = DirectoryTransfer(client, plan, config=config, extra_args=extra_args, progress=bar.set,
                                 fail_fast=False, processes=processes)
    try:
        transfer.start()
        interruptible_wait(transfer.wait, lambda: transfer.cancel("interrupted"))
    finally:
        bar.close()
    try:
        transfer.result()
    except BaseException:
        if not transfer.errors:
            raise  # a listing error, or a cancel
    for item in plan.items:
        error = transfer.errors.get(item.key)
        if error is None:
            result.done.append(item)
        else:
            result.failed.append((item, error))
    return result


def set_mtimes(items: Iterable[Any]) -> None:
    """Downloaded files take the object's LastModified as their mtime (what ``sync`` compares)."""
    for item in items:
        if item.remote is not None and item.remote.last_modified is not None:
            when = timestamp(item.remote.last_modified)
            try:
                os.utime(item.path, (when, when))
            except OSError:
                pass


# -- COS -> COS copies ---------------------------------------------------------------------------------
def copy_objects(client: Any, pairs: Sequence[Tuple[Remote, Remote, int]], *, config: Any, out: Output,
                 extra_args: Callable[[Remote], Dict[str, Any]]) -> TreeResult:
    """Server-side copies (source, destination, size) on one TransferManager; Ctrl-C cancels
    them (leaving the manager's block waits for the cleanup)."""
    from ibm_s3transfer.manager import TransferManager

    result = TreeResult()
    total = sum(size for _, _, size in pairs)
    bar = out.bar("copy", total)
    bar.total(total, len(pairs))
    try:
        with TransferManager(client, config) as manager:
            futures = [(pair, manager.copy({"Bucket": pair[0].bucket, "Key": pair[0].key}, pair[1].bucket,
                                           pair[1].key, extra_args=extra_args(pair[1]) or None))
                       for pair in pairs]
            for pair, future in futures:
                try:
                    future.result()
                except KeyboardInterrupt:
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
                    raise
                except Exception as exc:
                    result.failed.append((pair, exc))
                else:
                    result.done.append(pair)
                    bar.advance(pair[2])
                    bar.files(len(result.done), len(pairs))
    finally:
        bar.close()
    return result


# -- deletions -------------------------------------------------------------------------------------
def delete_objects(client: Any, bucket: str, objects: Sequence[Dict[str, str]]) -> Tuple[List[Dict[str, str]], Dict[str, str]]:
    """DeleteObjects (``{"Key": k}`` or with ``"VersionId"``) in batches of 1,000:
    (deleted objects, key -> error message)."""
    deleted: List[Dict[str, str]] = []
    failed: Dict[str, str] = {}
    for start in range(0, len(objects), DELETE_BATCH):
        batch = list(objects[start:start + DELETE_BATCH])
        response = client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        errors = {e.get("Key"): "%s: %s" % (e.get("Code"), e.get("Message")) for e in response.get("Errors", ())}
        failed.update(errors)
        deleted.extend(o for o in batch if o["Key"] not in errors)
    return deleted, failed


def guess_type(name: str) -> Optional[str]:
    return mimetypes.guess_type(name)[0]


def with_remote(item: Any, entry: Optional[Dict[str, Any]]) -> Any:
    """``item`` with what a listing says about its object (for the content check)."""
    from ibm_s3transfer.directory import RemoteObject

    if entry is None:
        return item
    remote = RemoteObject(size=int(entry.get("Size") or 0), etag=entry.get("ETag"), last_modified=entry.get("LastModified"))
    return dataclasses.replace(item, remote=remote)

