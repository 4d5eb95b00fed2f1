"""AdaptiveLimit: the gate that sizes the small-file workers of directory transfers."""
import threading
import time
from typing import Optional, Tuple

from ibm_s3transfer.concurrency import AdaptiveLimit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class CpuClock:
    """(user, system) seconds: ``now`` is split by ``kernel_share``."""

    def __init__(self, kernel_share: float = 0.2) -> None:
        self.now = 0.0
        self.kernel_share = kernel_share

    def __call__(self) -> Tuple[float, float]:
        return self.now * (1 - self.kernel_share), self.now * self.kernel_share


def run_window(limit: AdaptiveLimit, clock: Clock, files_per_second: float, cpu: Optional[CpuClock] = None,
               busy: float = 0.0, size: int = 64 * 1024) -> None:
    """Complete one measuring window at the given rate, with the process ``busy`` cores' worth."""
    count = max(AdaptiveLimit.MIN_WINDOW_COMPLETIONS, 4 * limit.limit)
    limit.acquire()
    for _ in range(count):
        clock.now += 1.0 / files_per_second
        if cpu is not None:
            cpu.now += busy / files_per_second
        if not limit.finished_one(size):
            limit.acquire()
    limit.release()


def rate_only(cap: int, clock: Clock, start: int = 2) -> AdaptiveLimit:
    """A limit that steps on the completion rate alone."""
    return AdaptiveLimit(cap=cap, start=start, clock=clock, cpu_clock=None)


def test_climbs_while_more_at_once_completes_more():
    clock = Clock()
    limit = rate_only(20, clock)
    assert limit.limit == 2
    for _ in range(8):
        run_window(limit, clock, 100.0 * limit.limit)  # a slow network: rate grows with the limit
    assert limit.limit == 10


def test_turns_back_when_a_step_made_it_slower_and_holds_within_the_noise():
    clock = Clock()
    limit = rate_only(20, clock)
    rates = {1: 100.0, 2: 170.0, 3: 175.0, 4: 150.0}
    run_window(limit, clock, rates[limit.limit])  # first window: probe one up
    assert limit.limit == 3
    run_window(limit, clock, rates[limit.limit])  # +3%: within the noise, hold
    assert limit.limit == 3
    run_window(limit, clock, 150.0)  # the machine got busy: worse by more than 5%, step the other way
    assert limit.limit == 2
    run_window(limit, clock, rates[limit.limit])  # better again: keep going down
    assert limit.limit == 1
    run_window(limit, clock, rates[limit.limit])  # worse: back up
    assert limit.limit == 2


def test_stays_between_one_and_the_cap():
    clock = Clock()
    limit = rate_only(3, clock, start=5)
    assert limit.limit == 3
    for _ in range(6):
        run_window(limit, clock, 100.0 * limit.limit)
        assert 1 <= limit.limit <= 3
    single = rate_only(1, clock)
    for rate in (100.0, 50.0, 200.0):
        run_window(single, clock, rate)
        assert single.limit == 1


def test_starts_at_one_and_doubles_while_the_files_wait_for_the_network():
    clock, cpu = Clock(), CpuClock()
    limit = AdaptiveLimit(cap=20, clock=clock, cpu_clock=cpu)
    assert limit.limit == 1
    seen = []
    for _ in range(6):
        run_window(limit, clock, 50.0 * limit.limit, cpu, busy=0.05)  # a slow server: mostly waiting
        seen.append(limit.limit)
    assert seen == [2, 4, 8, 16, 20, 20]
    run_window(limit, clock, 500.0, cpu, busy=0.5)  # waiting, but less: one step at a time
    assert limit.limit == 20  # (at the cap)
    limit = AdaptiveLimit(cap=20, start=4, clock=clock, cpu_clock=cpu)
    run_window(limit, clock, 500.0, cpu, busy=0.5)
    assert limit.limit == 5


def test_steps_down_while_the_interpreter_is_the_bottleneck_and_holds_between():
    clock, cpu = Clock(), CpuClock()
    limit = AdaptiveLimit(cap=20, start=6, clock=clock, cpu_clock=cpu)
    seen = []
    for rate in (200.0, 250.0, 150.0, 300.0, 200.0, 200.0, 200.0):  # the rate says nothing here
        run_window(limit, clock, rate, cpu, busy=0.95)
        seen.append(limit.limit)
    assert seen == [5, 4, 3, 2, 1, 1, 1]
    for rate in (100.0, 300.0, 150.0):
        run_window(limit, clock, rate, cpu, busy=0.75)  # neither clearly busy nor clearly waiting
        assert limit.limit == 1


def test_climbs_on_the_rate_when_the_work_runs_in_parallel_or_the_files_are_large():
    # over one core's worth: work that releases the GIL runs on several cores
    clock, cpu = Clock(), CpuClock()
    limit = AdaptiveLimit(cap=20, start=2, clock=clock, cpu_clock=cpu)
    for _ in range(4):
        run_window(limit, clock, 100.0 * limit.limit, cpu, busy=1.6)
    assert limit.limit == 6
    # 4 MiB files keep a process busy in hashing and sending, and more at once is still faster
    limit = AdaptiveLimit(cap=20, start=2, clock=clock, cpu_clock=cpu)
    for _ in range(4):
        run_window(limit, clock, 10.0 * limit.limit, cpu, busy=1.0, size=4 * 1024 * 1024)
    assert limit.limit == 6
    # downloads: creating and writing files is system time, outside the GIL
    clock, cpu = Clock(), CpuClock(kernel_share=0.65)
    limit = AdaptiveLimit(cap=20, start=2, clock=clock, cpu_clock=cpu)
    for _ in range(4):
        run_window(limit, clock, 100.0 * limit.limit, cpu, busy=1.0)
    assert limit.limit == 6


def waiter(limit: AdaptiveLimit) -> Tuple[threading.Thread, threading.Event]:
    """A thread that takes a slot, and the event it sets once it has one."""
    entered = threading.Event()

    def second() -> None:
        limit.acquire()
        entered.set()

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    return thread, entered


def test_a_holder_keeps_its_slot_from_file_to_file_without_waking_a_waiter():
    limit = AdaptiveLimit(cap=4, start=1, cpu_clock=None)
    limit.acquire()
    thread, entered = waiter(limit)
    for _ in range(5):
        assert limit.finished_one(1024) is True  # the holder carries on
    assert not entered.wait(0.2)  # and the waiter was not let in
    limit.release()
    assert entered.wait(5)
    thread.join(5)


def test_a_holder_gives_its_slot_up_when_the_limit_went_down():
    clock, cpu = Clock(), CpuClock()
    limit = AdaptiveLimit(cap=4, start=2, clock=clock, cpu_clock=cpu)
    limit.acquire()
    limit.acquire()  # two holders
    answers = []
    for _ in range(AdaptiveLimit.MIN_WINDOW_COMPLETIONS):
        clock.now += 0.01
        cpu.now += 0.01  # one core's worth: the window ends with a step down to 1
        answers.append(limit.finished_one(1024))
    assert limit.limit == 1
    assert answers[:-1] == [True] * (len(answers) - 1) and answers[-1] is False  # its slot is gone
    assert limit.finished_one(1024) is True  # the other holder is within the new limit


def test_acquire_waits_for_a_free_slot_and_open_lets_everyone_through():
    limit = AdaptiveLimit(cap=4, start=1)
    limit.acquire()
    thread, entered = waiter(limit)
    assert not entered.wait(0.2)  # the only slot is held
    limit.release()
    assert entered.wait(5)
    thread.join(5)

    # open(): acquire no longer waits, whatever the count
    limit.open()
    started = time.monotonic()
    for _ in range(10):
        limit.acquire()
    assert time.monotonic() - started < 1
