"""How many small-file transfers run at once: found by measuring, not guessed.

Many small requests on a fast network are bound by the interpreter: one thread at a
time runs Python code (the GIL), so threads beyond what it can keep busy only add lock
hand-offs. To a local server, 1,000 files of 64 KiB go fastest one at a time per process
(about 2,300 files/s); with 10 at once the same process manages about 1,600 files/s for
twice the CPU per file. On a slow network each request mostly waits for the server, and
more of them at once is faster, up to the configured concurrency.

:class:`AdaptiveLimit` is a counting gate. It starts at one file at a time and, per
window of completions, steps on how busy the process was: the CPU time of all its
threads over the window's wall time.

* About one core's worth (0.85 to 1.25): the interpreter is the bottleneck, and another
  file at once only adds contention: one step down.
* Under 0.65 of a core: the files mostly wait for the network: one step up, or twice
  the limit while under a third of a core.
* Between: hold. The rate of a short window swings by half on a busy machine, too much
  to steer by.
* Above one core, for files of 256 KiB and more on average, or when most of the CPU so
  far was system time (creating and writing files: downloads): most of the work runs
  where the GIL is released (hashing, the kernel's file and socket calls), so the busy
  share says little about contention. There the limit climbs on the files completed per
  second: one step at a time in the direction that completed more, reversing when a step
  made it worse, holding while the change is within the noise.

A thread that finishes a file keeps its slot for the next one (unless the limit went
down), so a file costs no hand-off to a sleeping thread.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional, Tuple

__all__ = ["AdaptiveLimit", "process_cpu_times"]

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]


def process_cpu_times() -> Tuple[float, float]:
    """(user, system) CPU seconds of this process, all threads (``getrusage``: the sum is
    exact to the microsecond; the split is sampled at the scheduler's tick, good over many
    windows)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


# Where there is no getrusage (Windows), process times advance in ticks of about 16 ms,
# too coarse for a 20 ms window: the limit steps on the completion rate alone there.
DEFAULT_CPU_CLOCK: Optional[Callable[[], Tuple[float, float]]] = process_cpu_times if resource is not None else None
_DEFAULT: Any = object()


class AdaptiveLimit:
    """``acquire()`` waits while ``limit`` holders are active; ``finished_one()`` counts a
    completion (and may move ``limit``, between 1 and ``cap``); ``release()`` gives a slot up."""

    # a step counts as better or worse only beyond this relative change in files/s
    NOISE = 0.05
    MIN_WINDOW_COMPLETIONS = 16
    MIN_WINDOW_SECONDS = 0.02
    # share of one core used by the process over a window: the interpreter-bound band, and
    # the level below which the files are waiting for the network
    BUSY, ONE_CORE, IDLE = 0.85, 1.25, 0.65
    # ... for files of this size on average, at most: larger ones spend their CPU mostly in
    # work that releases the GIL (hashing, sending), so busy says little about contention
    SMALL_FILE = 256 * 1024
    # ... and while at most this share of the process's CPU so far was system time
    KERNEL_SHARE = 0.5

    def __init__(self, cap: int, start: int = 1, clock: Callable[[], float] = time.monotonic,
                 cpu_clock: Optional[Callable[[], Tuple[float, float]]] = _DEFAULT) -> None:
        """``cpu_clock``: the process's (user, system) CPU seconds (None: step on the
        completion rate alone; default ``DEFAULT_CPU_CLOCK``)."""
        if cpu_clock is _DEFAULT:
            cpu_clock = DEFAULT_CPU_CLOCK
        self.cap = max(1, int(cap))
        self.limit = max(1, min(int(start), self.cap))
        self._clock = clock
        self._cpu_clock = cpu_clock
        self._first_cpu = self._window_cpu = cpu_clock() if cpu_clock is not None else (0.0, 0.0)
        self._cond = threading.Condition()
        self._active = 0
        self._direction = 1
        self._previous: Optional[float] = None
        self._completed = 0
        self._bytes = 0
        self._window_start = clock()
        self._released = False

    def acquire(self) -> None:
        """Wait for a slot and take it."""
        with self._cond:
            while self._active >= self.limit and not self._released:
                self._cond.wait()
            self._active += 1

    def finished_one(self, size: int = 0) -> bool:
        """The holder of a slot completed a file and wants another. True: it keeps its slot
        (no hand-off to a sleeping thread, which would cost a wake-up and a GIL switch per
        file); False: the limit went down and the slot is given up (``acquire()`` again)."""
        with self._cond:
            self._completed += 1
            self._bytes += size
            if self._completed >= max(self.MIN_WINDOW_COMPLETIONS, 4 * self.limit):
                self._end_window()
            if self._active <= self.limit or self._released:
                return True
            self._active -= 1
            return False

    def release(self) -> None:
        """Give up a slot for good (the holder is leaving)."""
        with self._cond:
            self._active -= 1
            self._wake()

    def _end_window(self) -> None:
        now = self._clock()
        elapsed = now - self._window_start
        if elapsed < self.MIN_WINDOW_SECONDS:
            return
        busy = None
        if self._cpu_clock is not None:
            cpu = self._cpu_clock()
            if self._bytes < self.SMALL_FILE * self._completed and not self._mostly_kernel(cpu):
                busy = (sum(cpu) - sum(self._window_cpu)) / elapsed
            self._window_cpu = cpu
        self._step(self._completed / elapsed, busy)
        self._completed = 0
        self._bytes = 0
        self._window_start = now
        self._wake()

    def _wake(self) -> None:
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
            self._bytes = 0
            self._window_start = self._clock()
            if self._cpu_clock is not None:
                self._window_cpu = self._cpu_clock()

    def _mostly_kernel(self, cpu: Tuple[float, float]) -> bool:
        """Most of the CPU since the start went to system time (creating and writing files,
        for downloads): that work runs in parallel, outside the GIL."""
        user, system = cpu[0] - self._first_cpu[0], cpu[1] - self._first_cpu[1]
        return system > self.KERNEL_SHARE * (user + system)

    def _step(self, rate: float, busy: Optional[float] = None) -> None:
        """Move the limit after a window: ``rate`` files/s, ``busy`` cores' worth of CPU (None:
        not a measure of contention here)."""
        previous = self._previous
        self._previous = rate
        if busy is not None and busy <= self.ONE_CORE:
            if busy >= self.BUSY:  # interpreter-bound
                self._direction = -1
                self.limit = max(1, self.limit - 1)
            elif busy < self.IDLE:  # waiting for the network
                self._direction = 1
                self.limit = min(self.cap, 2 * self.limit if busy < self.IDLE / 2 else self.limit + 1)
            return  # between: hold (the rate of a short window is too noisy to steer by)
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
