"""How many small-file transfers run at once: found by measuring, not guessed.

Many small requests on a fast network are bound by the interpreter: one thread at a
time runs Python code (the GIL), so threads beyond what it can keep busy only add lock
hand-offs. To a local server, 1,000 files of 64 KiB go at about 1,750 files/s with 2-3
threads and at about 1,000 files/s, for twice the CPU, with 10. On a slow network each
request mostly waits for the server, and more of them at once is faster, up to the
configured concurrency.

:class:`AdaptiveLimit` is a counting gate whose size moves by hill climbing: it starts
low, measures files completed per second over windows of completions, and takes one step
at a time in the direction that completed more (reversing when a step made it worse,
holding while the change is within the noise).
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Optional

__all__ = ["AdaptiveLimit"]


class AdaptiveLimit:
    """``acquire()`` waits while ``limit`` holders are active; ``release()`` counts one
    completion and may move ``limit`` (between 1 and ``cap``)."""

    # a step counts as better or worse only beyond this relative change in files/s
    NOISE = 0.05
    MIN_WINDOW_COMPLETIONS = 16
    MIN_WINDOW_SECONDS = 0.02

    def __init__(self, cap: int, start: int = 2, clock: Callable[[], float] = time.monotonic) -> None:
        self.cap = max(1, int(cap))
        self.limit = max(1, min(int(start), self.cap))
        self._clock = clock
        self._cond = threading.Condition()
        self._active = 0
        self._direction = 1
        self._previous: Optional[float] = None
        self._completed = 0
        self._window_start = clock()
        self._released = False

    def acquire(self) -> None:
        with self._cond:
            while self._active >= self.limit and not self._released:
                self._cond.wait()
            self._active += 1

    def release(self) -> None:
        """One holder is done (after a completed file: its completion is counted)."""
        with self._cond:
            self._active -= 1
            self._completed += 1
            if self._completed >= max(self.MIN_WINDOW_COMPLETIONS, 4 * self.limit):
                now = self._clock()
                elapsed = now - self._window_start
                if elapsed >= self.MIN_WINDOW_SECONDS:
                    self._step(self._completed / elapsed)
                    self._completed = 0
                    self._window_start = now
            # wake only as many waiters as may now run (not every idle worker)
            free = self.limit - self._active
            if free > 0:
                self._cond.notify(free)

    def open(self) -> None:
        """Let every waiter through for good (the transfer is ending)."""
        with self._cond:
            self._released = True
            self._cond.notify_all()

    def restart_window(self) -> None:
        """Forget the current window (after a pause, whose idle time says nothing)."""
        with self._cond:
            self._completed = 0
            self._window_start = self._clock()

    def _step(self, rate: float) -> None:
        previous = self._previous
        self._previous = rate
        if previous is not None:
            if rate < previous * (1 - self.NOISE):
                self._direction = -self._direction
            elif rate <= previous * (1 + self.NOISE):
                return  # within the noise: hold
        proposed = self.limit + self._direction
        if not 1 <= proposed <= self.cap:
            self._direction = -self._direction
            proposed = self.limit + self._direction
        self.limit = max(1, min(self.cap, proposed))
