"""The transfer layer's retries and its ranged GET, in one place.

Which errors are retried
    :func:`is_retryable`: connection problems, timeouts, truncated bodies, a response
    that does not match its own checksum header, and server-side errors (5xx and the
    throttling / timeout codes S3 returns). A policy can add its own kinds (a download
    also retries its short reads and, when configured, OS errors).

How often
    :func:`call_with_retries` runs one request up to ``RetryPolicy.attempts`` times, on
    top of the client's own retries of each request; there is no backoff of its own
    (the client's retry handler waits between its attempts). It gives up at once when
    the transfer is already over (failed or cancelled) or the error is not retryable.
    With ``checksum_once``, a checksum mismatch of the response is retried only once,
    whatever ``attempts`` says. Once the attempts are used up the last error is raised
    as it is, or wrapped in :class:`RetriesExceededError` (``wrap_exhausted``).

The ranged GET
    :func:`get_range` is the one GetObject of a byte range that threaded and
    process-pool downloads make; what happens to the body is the caller's.
"""
from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, TypeVar

from ibm_botocore.exceptions import (
    ClientError,
    ConnectionError as SDKConnectionError,
    FlexibleChecksumError,
    HTTPClientError,
    IncompleteReadError,
)
from ibm_botocore.s3 import request_hints
from ibm_s3transfer.exceptions import RetriesExceededError

logger = logging.getLogger(__name__)

__all__ = ["RetryPolicy", "call_with_retries", "get_range", "is_checksum_error", "is_retryable"]

T = TypeVar("T")

_RETRYABLE_CODES = ("RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable", "BadDigest", "InvalidDigest")


def is_retryable(exc: BaseException) -> bool:
    """Connection problems, timeouts, truncated bodies and server-side (5xx) errors."""
    if isinstance(exc, (HTTPClientError, SDKConnectionError, IncompleteReadError, FlexibleChecksumError)):
        return True
    if isinstance(exc, ClientError):
        response = getattr(exc, "response", None) or {}
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        code = response.get("Error", {}).get("Code")
        return status >= 500 or code in _RETRYABLE_CODES
    # socket.timeout is TimeoutError only from Python 3.10 on
    return isinstance(exc, (ConnectionError, TimeoutError, socket.timeout))


def is_checksum_error(exc: BaseException) -> bool:
    """The response's bytes did not match its own checksum header."""
    return isinstance(exc, FlexibleChecksumError)


def _never() -> bool:
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """How one kind of request is retried (see the module docstring)."""

    attempts: int
    # True once the transfer is over: an error then ends the retries at once
    stopped: Callable[[], bool] = _never
    retryable: Callable[[BaseException], bool] = is_retryable
    # a checksum mismatch of the response is retried once, then raised
    checksum_once: bool = False
    # after the last attempt: RetriesExceededError(last error) instead of the error itself
    wrap_exhausted: bool = False


def call_with_retries(
    attempt: Callable[[int], T],
    policy: RetryPolicy,
    on_failure: Optional[Callable[[BaseException, bool], None]] = None,
    what: str = "A request",
) -> T:
    """``attempt(n)`` for n = 1, 2, ... until it returns, as ``policy`` allows.

    ``on_failure(error, checksum_error)`` runs after every failed attempt the policy
    retries (also the last one), before the next attempt starts.
    """
    last: Optional[BaseException] = None
    checksum_errors = 0
    for number in range(1, policy.attempts + 1):
        try:
            return attempt(number)
        except Exception as exc:
            if policy.stopped():
                raise
            checksum = policy.checksum_once and is_checksum_error(exc)
            if checksum:
                checksum_errors += 1
                if checksum_errors > 1:
                    raise
            elif not policy.retryable(exc):
                raise
            if on_failure is not None:
                on_failure(exc, checksum)
            if number >= policy.attempts and not policy.wrap_exhausted:
                raise
            last = exc
            logger.debug("%s failed (attempt %d/%d): %r", what, number, policy.attempts, exc)
    raise RetriesExceededError(last)  # type: ignore[arg-type]  # attempts >= 1: the loop failed at least once


def get_range(client: Any, bucket: str, key: str, get_args: Dict[str, Any], first: int, last: Optional[int],
              whole: bool = False, if_match: Optional[str] = None) -> Any:
    """GetObject of bytes ``first``..``last`` (to the end when ``last`` is None; no Range when ``whole``).

    ``if_match`` pins the GET to an ETag through a request hint (``If-Match`` on the wire,
    not a parameter users' stubs and handlers see).
    """
    params = dict(get_args)
    if not whole:
        params["Range"] = "bytes=%d-" % first if last is None else "bytes=%d-%d" % (first, last)
    with request_hints(if_match=if_match):
        return client.get_object(Bucket=bucket, Key=key, **params)
