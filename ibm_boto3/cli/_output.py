"""What ``cos`` prints: plain lines or one JSON object per line on stdout, one-line errors on
stderr, and progress bars (rich) on stderr only when it is a terminal."""
from __future__ import annotations

import datetime
import json
import sys
import threading
from typing import Any, Dict, Optional

PROG = "cos"


def _default(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def to_json(record: Dict[str, Any], indent: Optional[int] = None) -> str:
    return json.dumps(record, default=_default, ensure_ascii=False, indent=indent)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("Bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return ("%d %s" % (value, unit)) if unit == "Bytes" else ("%.1f %s" % (value, unit))
        value /= 1024
    return "%d" % size  # pragma: no cover - the loop always returns


class Output:
    """Everything a command writes goes through here (thread-safe)."""

    def __init__(self, json_mode: bool = False, quiet: bool = False, progress: bool = True) -> None:
        self.json = json_mode
        self.quiet = quiet
        self.failures = 0
        self._lock = threading.Lock()
        self._progress_wanted = progress and not quiet and not json_mode and _is_tty(sys.stderr)

    # -- stdout -----------------------------------------------------------------------------
    def write(self, text: str) -> None:
        with self._lock:
            sys.stdout.write(text + "\n")

    def record(self, record: Dict[str, Any], text: str) -> None:
        """One result: ``record`` as a JSON line with --json, else ``text``."""
        self.write(to_json(record) if self.json else text)

    def event(self, action: str, source: Any, destination: Any = None, size: Optional[int] = None,
              dryrun: bool = False) -> None:
        """A transfer or deletion that happened (``upload: a to cos://b/a``); silent with --quiet."""
        if self.quiet:
            return
        record: Dict[str, Any] = {"action": action, "source": str(source)}
        if destination is not None:
            record["destination"] = str(destination)
        if size is not None:
            record["size"] = size
        if dryrun:
            record["dryrun"] = True
        text = "%s%s: %s" % ("(dryrun) " if dryrun else "", action, source)
        if destination is not None:
            text += " to %s" % destination
        self.record(record, text)

    # -- stderr -------------------------------------------------------------------------------
    def error(self, message: str, path: Any = None) -> None:
        """One failed item or a fatal problem: one line on stderr."""
        with self._lock:
            self.failures += 1
            if path is not None:
                message = "%s: %s" % (path, message)
            sys.stderr.write("%s: error: %s\n" % (PROG, message))
            sys.stderr.flush()

    def warn(self, message: str) -> None:
        with self._lock:
            sys.stderr.write("%s: warning: %s\n" % (PROG, message))
            sys.stderr.flush()

    # -- progress ------------------------------------------------------------------------------
    def bar(self, description: str, total: Optional[int] = None) -> "Bar":
        return Bar(description, total) if self._progress_wanted else NO_BAR


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Bar:
    """A rich progress bar on stderr: bytes, rate, ETA (and files for recursive transfers)."""

    def __init__(self, description: str, total: Optional[int]) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(binary_units=True),
            TransferSpeedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[files]}"),
            console=Console(file=sys.stderr), transient=True, redirect_stdout=_is_tty(sys.stdout), redirect_stderr=False,
        )
        self._task = self._progress.add_task(description, total=total, files="")
        self._progress.start()

    def total(self, total: int, files: Optional[int] = None) -> None:
        self._progress.update(self._task, total=total)
        if files is not None:
            self._progress.update(self._task, files="%d files" % files)

    def files(self, done: int, total: int) -> None:
        self._progress.update(self._task, files="%d/%d files" % (done, total))

    def set(self, completed: int) -> None:
        self._progress.update(self._task, completed=completed)

    def advance(self, amount: int) -> None:
        self._progress.update(self._task, advance=amount)

    def close(self) -> None:
        self._progress.stop()


class _NoBar:
    def total(self, total: int, files: Optional[int] = None) -> None:
        pass

    def files(self, done: int, total: int) -> None:
        pass

    def set(self, completed: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def close(self) -> None:
        pass


NO_BAR: Any = _NoBar()
