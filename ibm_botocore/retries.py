"""Retry policies: which failures are retried, and how long to wait.

* ``legacy`` (default, 5 attempts in total): connection errors, 500/502/503/504/509, 429,
  throttling error codes, and S3's 400 ``RequestTimeout`` / ``BadDigest``; backoff
  ``random() * 2 ** (attempt - 1)`` seconds.
* ``standard`` (3 attempts): transient and throttling codes, 500/502/503/504, connection
  errors; capped exponential backoff with full jitter and a retry quota.
* ``adaptive``: standard, plus a client-side rate limiter (here: standard behaviour).

``Config(retries={'max_attempts': N})`` sets N *retries*; ``total_max_attempts`` sets the
total number of attempts.
"""
from __future__ import annotations

import random
import threading
from typing import Any, Mapping, Optional

from ibm_botocore.exceptions import (
    ConnectionClosedError,
    ConnectionError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)

_RETRYABLE_EXCEPTIONS = (ConnectionError, HTTPClientError, EndpointConnectionError, ConnectionClosedError, ReadTimeoutError)

_LEGACY_THROTTLING = frozenset(
    ("Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "ProvisionedThroughputExceededException")
)
_LEGACY_STATUS = frozenset((500, 502, 503, 504, 509, 429))
_LEGACY_S3_400 = frozenset(("RequestTimeout", "BadDigest"))

_STANDARD_TRANSIENT = frozenset(("RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalError", "BadDigest"))
_STANDARD_THROTTLING = frozenset(
    (
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "SlowDown", "EC2ThrottledException",
    )
)
_STANDARD_STATUS = frozenset((500, 502, 503, 504))
_MAX_BACKOFF = 20.0


def _error_code(parsed: Optional[Mapping[str, Any]]) -> Optional[str]:
    if not parsed:
        return None
    code: Optional[str] = parsed.get("Error", {}).get("Code")
    return code


class RetryQuota:
    """The standard mode's token bucket: retries spend capacity, successes refill it."""

    INITIAL = 500
    RETRY_COST = 5
    TIMEOUT_COST = 10
    SUCCESS_REFUND = 1

    def __init__(self, capacity: int = INITIAL) -> None:
        self._max = capacity
        self._available = capacity
        self._lock = threading.Lock()

    def acquire(self, timeout_error: bool) -> Optional[int]:
        cost = self.TIMEOUT_COST if timeout_error else self.RETRY_COST
        with self._lock:
            if cost > self._available:
                return None
            self._available -= cost
            return cost

    def release(self, amount: int) -> None:
        with self._lock:
            self._available = min(self._max, self._available + amount)

    @property
    def available_capacity(self) -> int:
        return self._available


class RetryPolicy:
    """Decides, after each attempt, whether to retry and after what delay."""

    mode = "legacy"

    def __init__(self, max_attempts: int) -> None:
        self.max_attempts = max_attempts  # total attempts, including the first

    def delay_for(self, attempt: int, status: Optional[int], parsed: Optional[Mapping[str, Any]], exception: Optional[BaseException]) -> Optional[float]:
        """Seconds to sleep before attempt ``attempt + 1``, or None to stop."""
        if attempt >= self.max_attempts:
            return None
        if not self.is_retryable(status, parsed, exception):
            return None
        return self.backoff(attempt, exception)

    def is_retryable(self, status: Optional[int], parsed: Optional[Mapping[str, Any]], exception: Optional[BaseException]) -> bool:
        raise NotImplementedError

    def backoff(self, attempt: int, exception: Optional[BaseException]) -> Optional[float]:
        raise NotImplementedError

    def on_success(self) -> None:
        pass


class LegacyRetryPolicy(RetryPolicy):
    mode = "legacy"

    def is_retryable(self, status: Optional[int], parsed: Optional[Mapping[str, Any]], exception: Optional[BaseException]) -> bool:
        if exception is not None:
            return isinstance(exception, _RETRYABLE_EXCEPTIONS)
        if status in _LEGACY_STATUS:
            return True
        code = _error_code(parsed)
        if code in _LEGACY_THROTTLING:
            return True
        return status == 400 and code in _LEGACY_S3_400

    def backoff(self, attempt: int, exception: Optional[BaseException]) -> float:
        delay: float = random.random() * (2 ** (attempt - 1))
        return delay


class StandardRetryPolicy(RetryPolicy):
    mode = "standard"

    def __init__(self, max_attempts: int, quota: Optional[RetryQuota] = None) -> None:
        super().__init__(max_attempts)
        self.quota = quota or RetryQuota()
        # the capacity spent by the current request's last retry, per thread
        self._local = threading.local()

    def is_retryable(self, status: Optional[int], parsed: Optional[Mapping[str, Any]], exception: Optional[BaseException]) -> bool:
        if exception is not None:
            return isinstance(exception, _RETRYABLE_EXCEPTIONS)
        code = _error_code(parsed)
        if code in _STANDARD_THROTTLING or code in _STANDARD_TRANSIENT:
            return True
        return status in _STANDARD_STATUS

    def backoff(self, attempt: int, exception: Optional[BaseException]) -> Optional[float]:
        cost = self.quota.acquire(isinstance(exception, ReadTimeoutError))
        if cost is None:
            return None
        self._local.cost = cost
        delay: float = min(random.random() * (2 ** (attempt - 1)), _MAX_BACKOFF)
        return delay

    def on_success(self) -> None:
        cost = getattr(self._local, "cost", None)
        self.quota.release(cost or RetryQuota.SUCCESS_REFUND)
        self._local.cost = None


def create_retry_policy(retries: Optional[Mapping[str, Any]], default_mode: str = "legacy", default_max_attempts: Optional[int] = None) -> RetryPolicy:
    """Build the policy for a client's ``Config(retries=...)``."""
    retries = retries or {}
    mode = retries.get("mode") or default_mode or "legacy"
    if "total_max_attempts" in retries:
        total = retries["total_max_attempts"]
    elif "max_attempts" in retries:
        total = retries["max_attempts"] + 1
    elif default_max_attempts is not None:
        total = default_max_attempts
    else:
        total = 5 if mode == "legacy" else 3
    if mode == "legacy":
        return LegacyRetryPolicy(total)
    policy = StandardRetryPolicy(total)
    policy.mode = mode
    return policy
