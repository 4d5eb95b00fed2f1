"""The emulator's notion of "now": wall time plus an adjustable offset.

Tokens, retention periods and presigned-URL expiry are measured on this clock, so
tests can move time forward (``Emulator.advance_time``) instead of sleeping.
"""
from __future__ import annotations

import datetime as _dt
import threading
import time


class Clock:
    """Wall clock with an offset that tests may advance."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        """Seconds since the epoch, offset included."""
        return time.time() + self._offset

    def now(self) -> _dt.datetime:
        """The current UTC time as an aware datetime."""
        return _dt.datetime.fromtimestamp(self.time(), tz=_dt.timezone.utc)

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, with a negative value)."""
        with self._lock:
            self._offset += float(seconds)

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
