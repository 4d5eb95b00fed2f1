"""AdaptiveLimit: the gate that sizes the small-file workers of directory transfers."""
import threading
import time

from ibm_s3transfer.concurrency import AdaptiveLimit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run_window(limit: AdaptiveLimit, clock: Clock, files_per_second: float) -> None:
    """Complete one measuring window at the given rate."""
    count = max(AdaptiveLimit.MIN_WINDOW_COMPLETIONS, 4 * limit.limit)
    for _ in range(count):
        limit.acquire()
        clock.now += 1.0 / files_per_second
        limit.release()


def test_climbs_while_more_at_once_completes_more():
    clock = Clock()
    limit = AdaptiveLimit(cap=20, clock=clock)
    assert limit.limit == 2
    for _ in range(8):
        run_window(limit, clock, 100.0 * limit.limit)  # a slow network: rate grows with the limit
    assert limit.limit == 10


def test_turns_back_when_a_step_made_it_slower_and_holds_within_the_noise():
    clock = Clock()
    limit = AdaptiveLimit(cap=20, clock=clock)
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
    limit = AdaptiveLimit(cap=3, start=5, clock=clock)
    assert limit.limit == 3
    for _ in range(6):
        run_window(limit, clock, 100.0 * limit.limit)
        assert 1 <= limit.limit <= 3
    single = AdaptiveLimit(cap=1, clock=clock)
    for rate in (100.0, 50.0, 200.0):
        run_window(single, clock, rate)
        assert single.limit == 1


def test_acquire_waits_for_a_free_slot_and_open_lets_everyone_through():
    limit = AdaptiveLimit(cap=4, start=1)
    limit.acquire()
    entered = threading.Event()

    def second() -> None:
        limit.acquire()
        entered.set()

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
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
