"""Bandwidth limiting (``TransferConfig.max_bandwidth``, bytes per second).

One :class:`LeakyBucket` is shared by every request of a TransferManager. It works
like a virtual clock: each consumption of ``n`` bytes occupies ``n / max_rate``
seconds of the link, starting when the previous consumption ends. A request whose
turn has not come yet gets :class:`RequestExceededException` with the time to wait;
its slot is reserved, so when it comes back with the same :class:`RequestToken`
after that time it goes through at once. Requests therefore take turns fairly and
the long-run rate never exceeds ``max_rate``.

Streams and transfer loops ask the bucket for permission every ``bytes_threshold``
bytes (256 KiB), not per read, so the limiter costs next to nothing.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Dict, Optional

__all__ = [
    "BandwidthLimitedStream",
    "BandwidthLimiter",
    "BandwidthRateTracker",
    "ConsumptionScheduler",
    "LeakyBucket",
    "RequestExceededException",
    "RequestToken",
    "TimeUtils",
]


class RequestExceededException(Exception):
    """A consumption must wait ``retry_time`` seconds before it is allowed."""

    def __init__(self, requested_amt: int, retry_time: float) -> None:
        self.requested_amt = requested_amt
        self.retry_time = retry_time
        super().__init__(
            "Request of %s bytes exceeds the allowed bandwidth; retry in %.3f seconds" % (requested_amt, retry_time)
        )


class RequestToken:
    """Identifies one requester to the LeakyBucket (its reserved slot)."""

    __slots__ = ()


class TimeUtils:
    """The clock and sleep the limiter uses (replaceable in tests)."""

    def time(self) -> float:
        return time.monotonic()

    def sleep(self, value: float) -> None:
        time.sleep(value)


class BandwidthRateTracker:
    """Exponentially weighted moving average of the consumption rate (bytes/s)."""

    def __init__(self, alpha: float = 0.8) -> None:
        self._alpha = alpha
        self._rate: Optional[float] = None
        self._last_time: Optional[float] = None

    @property
    def current_rate(self) -> float:
        return 0.0 if self._rate is None else self._rate

    def _instant_rate(self, amt: int, time_at_consumption: float) -> float:
        elapsed = time_at_consumption - (self._last_time if self._last_time is not None else time_at_consumption)
        if elapsed <= 0:
            return float("inf") if amt else 0.0
        return amt / elapsed

    def get_projected_rate(self, amt: int, time_at_consumption: float) -> float:
        """The average rate if ``amt`` bytes were consumed at ``time_at_consumption``."""
        if self._last_time is None:
            return 0.0
        instant = self._instant_rate(amt, time_at_consumption)
        if self._rate is None:
            return instant
        return self._alpha * instant + (1 - self._alpha) * self._rate

    def record_consumption_rate(self, amt: int, time_at_consumption: float) -> None:
        if self._last_time is None:
            self._last_time = time_at_consumption
            self._rate = 0.0
            return
        self._rate = self.get_projected_rate(amt, time_at_consumption)
        self._last_time = time_at_consumption


class ConsumptionScheduler:
    """Remembers which requests were told to wait, and until when."""

    def __init__(self) -> None:
        self._due: Dict[Any, float] = {}

    def is_scheduled(self, token: Any) -> bool:
        return token in self._due

    def schedule_consumption(self, amt: int, token: Any, time_to_consume: float) -> float:
        """Reserve a slot for ``token`` at ``time_to_consume``; returns that time."""
        self._due[token] = time_to_consume
        return time_to_consume

    def due_time(self, token: Any) -> Optional[float]:
        return self._due.get(token)

    def process_scheduled_consumption(self, token: Any) -> None:
        self._due.pop(token, None)


class LeakyBucket:
    """Shares ``max_rate`` bytes/second between all requests of a manager."""

    def __init__(
        self,
        max_rate: int,
        time_utils: Optional[TimeUtils] = None,
        rate_tracker: Optional[BandwidthRateTracker] = None,
        consumption_scheduler: Optional[ConsumptionScheduler] = None,
    ) -> None:
        self._max_rate = float(max_rate)
        self._time_utils = time_utils or TimeUtils()
        self._rate_tracker = rate_tracker or BandwidthRateTracker()
        self._scheduler = consumption_scheduler or ConsumptionScheduler()
        self._lock = threading.Lock()
        self._next_free: Optional[float] = None
        self.consumed_bytes = 0
        self.consume_calls = 0
        self.waits = 0

    @property
    def max_rate(self) -> float:
        return self._max_rate

    def consume(self, amt: int, request_token: Any) -> int:
        """Take ``amt`` bytes of bandwidth now, or raise RequestExceededException."""
        with self._lock:
            now = self._time_utils.time()
            self.consume_calls += 1
            due = self._scheduler.due_time(request_token)
            if due is not None:
                if now + 1e-4 < due:
                    raise RequestExceededException(amt, due - now)
                self._scheduler.process_scheduled_consumption(request_token)
                self._account(amt, now)
                return amt
            start = now if self._next_free is None or self._next_free < now else self._next_free
            self._next_free = start + amt / self._max_rate
            if start > now:
                self.waits += 1
                self._scheduler.schedule_consumption(amt, request_token, start)
                raise RequestExceededException(amt, start - now)
            self._account(amt, now)
            return amt

    def _account(self, amt: int, now: float) -> None:
        self.consumed_bytes += amt
        self._rate_tracker.record_consumption_rate(amt, now)

    def consume_blocking(self, amt: int, request_token: Any, coordinator: Any = None) -> None:
        """Consume ``amt``, sleeping as long as the bucket says; gives up if the transfer ended."""
        while True:
            try:
                self.consume(amt, request_token)
                return
            except RequestExceededException as exc:
                if coordinator is not None and coordinator.done() and coordinator.exception is not None:
                    raise coordinator.exception
                self._time_utils.sleep(exc.retry_time)


class BandwidthLimiter:
    """Hands out bandwidth-limited wrappers of request bodies."""

    def __init__(self, leaky_bucket: LeakyBucket, time_utils: Optional[TimeUtils] = None) -> None:
        self._leaky_bucket = leaky_bucket
        self._time_utils = time_utils or TimeUtils()

    @property
    def leaky_bucket(self) -> LeakyBucket:
        return self._leaky_bucket

    def get_bandwith_limited_stream(self, fileobj: Any, transfer_coordinator: Any, enabled: bool = True) -> "BandwidthLimitedStream":
        """Wrap ``fileobj`` so its reads consume bandwidth (the name's spelling is historical)."""
        stream = BandwidthLimitedStream(fileobj, self._leaky_bucket, transfer_coordinator, self._time_utils)
        if not enabled:
            stream.disable_bandwidth_limiting()
        return stream

    get_bandwidth_limited_stream = get_bandwith_limited_stream

    def throttle(self, amt: int, request_token: Any, coordinator: Any = None) -> None:
        """Block until ``amt`` bytes may move (used by the transfer loops directly)."""
        self._leaky_bucket.consume_blocking(amt, request_token, coordinator)


class BandwidthLimitedStream:
    """A read stream that consumes bandwidth in ``bytes_threshold`` steps while transferring."""

    def __init__(
        self,
        fileobj: Any,
        leaky_bucket: LeakyBucket,
        transfer_coordinator: Any,
        time_utils: Optional[TimeUtils] = None,
        bytes_threshold: int = 256 * 1024,
    ) -> None:
        self._fileobj = fileobj
        self._leaky_bucket = leaky_bucket
        self._transfer_coordinator = transfer_coordinator
        self._time_utils = time_utils or TimeUtils()
        self._bytes_threshold = bytes_threshold
        self._token = RequestToken()
        self._enabled = True
        self._pending_bytes = 0

    def enable_bandwidth_limiting(self) -> None:
        self._enabled = True

    def disable_bandwidth_limiting(self) -> None:
        self._enabled = False

    def signal_transferring(self) -> None:
        self.enable_bandwidth_limiting()
        signal = getattr(self._fileobj, "signal_transferring", None)
        if signal is not None:
            signal()

    def signal_not_transferring(self) -> None:
        self.disable_bandwidth_limiting()
        signal = getattr(self._fileobj, "signal_not_transferring", None)
        if signal is not None:
            signal()

    def read(self, amount: Optional[int] = None) -> Any:
        data = self._fileobj.read(amount) if amount is not None else self._fileobj.read()
        if self._enabled and data:
            self._pending_bytes += len(data)
            if self._pending_bytes >= self._bytes_threshold:
                self._pay()
        return data

    def _pay(self) -> None:
        amount, self._pending_bytes = self._pending_bytes, 0
        while True:
            coordinator = self._transfer_coordinator
            if coordinator is not None and coordinator.exception is not None:
                raise coordinator.exception
            try:
                self._leaky_bucket.consume(amount, self._token)
                return
            except RequestExceededException as exc:
                self._time_utils.sleep(exc.retry_time)

    def seek(self, where: int, whence: int = 0) -> Any:
        return self._fileobj.seek(where, whence)

    def tell(self) -> int:
        position: int = self._fileobj.tell()
        return position

    def close(self) -> None:
        if self._enabled and self._pending_bytes:
            self._pay()
        self._fileobj.close()

    def __enter__(self) -> "BandwidthLimitedStream":
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()
