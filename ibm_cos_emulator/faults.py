"""Fault injection: make chosen requests fail, stall, or arrive damaged.

Rules match on target ("s3", "iam" or "any"), HTTP method, a regular expression searched in
the decoded path, and a substring of the query string. Each rule fires ``times`` times
(``None``: until cleared)::

    emulator.faults.error(503, "SlowDown", method="PUT", path=r"^/bkt/big", times=2)
    emulator.faults.drop(method="GET")                    # connection closed, no response
    emulator.faults.truncate(after_bytes=100, method="GET")  # body cut short, then closed
    emulator.faults.drop_upload(after_bytes=1024, method="PUT")  # request body interrupted
    emulator.faults.corrupt(method="GET", path="/bkt/k")  # one byte flipped in the body
    emulator.faults.delay(0.5, method="HEAD")
    emulator.faults.iam_error(500, times=3)
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Pattern, Tuple
from urllib.parse import unquote

from .wire import Request

TARGETS = ("s3", "iam", "any")


@dataclass
class FaultRule:
    """One fault; ``hits`` counts how often it fired."""

    action: str  # "error", "drop", "cut", "corrupt", "delay", "drop-upload"
    target: str = "s3"
    method: Optional[str] = None
    path: Optional[Pattern[str]] = None
    query: Optional[str] = None
    times: Optional[int] = 1
    status: int = 500
    code: str = "InternalError"
    message: str = "We encountered an internal error. Please try again."
    body: Optional[bytes] = None
    headers: Dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    after_bytes: Optional[int] = None
    offset: Optional[int] = None
    process: bool = False
    hits: int = 0

    @property
    def remaining(self) -> Optional[int]:
        return None if self.times is None else max(0, self.times - self.hits)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, req: Request, target: str) -> bool:
        if self.exhausted:
            return False
        if self.target != "any" and self.target != target:
            return False
        if self.method and self.method.upper() != req.method:
            return False
        if self.path is not None and not self.path.search(req.path):
            return False
        if self.query is not None and self.query not in req.raw_query and self.query not in unquote(req.raw_query):
            return False
        return True


class Faults:
    """The set of active fault rules of one emulator."""

    def __init__(self) -> None:
        self._rules: List[FaultRule] = []
        self._lock = threading.Lock()

    @property
    def rules(self) -> List[FaultRule]:
        with self._lock:
            return list(self._rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def add(self, rule: FaultRule) -> FaultRule:
        if rule.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}")
        with self._lock:
            self._rules.append(rule)
        return rule

    @staticmethod
    def _compile(path: Optional[str]) -> Optional[Pattern[str]]:
        return re.compile(path) if path is not None else None

    # -- convenience constructors -----------------------------------------------------------------
    def error(self, status: int = 500, code: str = "InternalError",
              message: str = "We encountered an internal error. Please try again.", *,
              times: Optional[int] = 1, method: Optional[str] = None, path: Optional[str] = None,
              query: Optional[str] = None, target: str = "s3", body: Optional[bytes] = None,
              headers: Optional[Dict[str, str]] = None) -> FaultRule:
        """Answer matching requests with ``status`` and a COS XML error (or IAM JSON error, or ``body``)."""
        return self.add(FaultRule("error", target, method, self._compile(path), query, times, status, code,
                                  message, body, dict(headers or {})))

    def drop(self, *, times: Optional[int] = 1, method: Optional[str] = None, path: Optional[str] = None,
             query: Optional[str] = None, target: str = "s3", after_bytes: Optional[int] = None,
             process: bool = False) -> FaultRule:
        """Close the connection: without any response, or (``after_bytes``) in the middle of the body.

        With ``process=True`` the request is carried out first, then the answer is lost.
        """
        action = "cut" if after_bytes is not None else "drop"
        return self.add(FaultRule(action, target, method, self._compile(path), query, times,
                                  after_bytes=after_bytes, process=process or after_bytes is not None))

    def drop_upload(self, after_bytes: int = 0, *, times: Optional[int] = 1, method: Optional[str] = None,
                    path: Optional[str] = None, query: Optional[str] = None, target: str = "s3") -> FaultRule:
        """Close the connection after reading ``after_bytes`` of the request body (an interrupted upload)."""
        return self.add(FaultRule("drop-upload", target, method, self._compile(path), query, times,
                                  after_bytes=after_bytes))

    def truncate(self, after_bytes: int = 0, *, times: Optional[int] = 1, method: Optional[str] = None,
                 path: Optional[str] = None, query: Optional[str] = None, target: str = "s3") -> FaultRule:
        """Send the headers (full Content-Length) and only ``after_bytes`` body bytes, then close."""
        return self.drop(times=times, method=method, path=path, query=query, target=target,
                         after_bytes=after_bytes)

    def corrupt(self, *, times: Optional[int] = 1, method: Optional[str] = "GET", path: Optional[str] = None,
                query: Optional[str] = None, target: str = "s3", offset: Optional[int] = None) -> FaultRule:
        """Flip one byte (at ``offset``, default the middle) of the response body."""
        return self.add(FaultRule("corrupt", target, method, self._compile(path), query, times, offset=offset,
                                  process=True))

    def delay(self, seconds: float, *, times: Optional[int] = 1, method: Optional[str] = None,
              path: Optional[str] = None, query: Optional[str] = None, target: str = "s3") -> FaultRule:
        """Wait ``seconds`` before handling matching requests."""
        return self.add(FaultRule("delay", target, method, self._compile(path), query, times, seconds=seconds))

    def iam_error(self, status: int = 500, times: Optional[int] = 1, code: str = "BXNIM0001E",
                  message: str = "Internal server error.") -> FaultRule:
        """Make the IAM token endpoint answer ``status`` (JSON error body) ``times`` times."""
        return self.error(status, code, message, times=times, target="iam")

    # -- used by the app -------------------------------------------------------------------------------
    def take_upload_drop(self, req: Request, target: str) -> Optional[FaultRule]:
        """Consume the first "drop-upload" rule matching a request whose body is not read yet."""
        with self._lock:
            for rule in self._rules:
                if rule.action == "drop-upload" and rule.matches(req, target):
                    rule.hits += 1
                    return rule
        return None

    def take(self, req: Request, target: str) -> Tuple[List[FaultRule], Optional[FaultRule]]:
        """Consume matching rules: every delay rule, plus the first other rule."""
        delays: List[FaultRule] = []
        chosen: Optional[FaultRule] = None
        with self._lock:
            for rule in self._rules:
                if rule.action == "drop-upload" or not rule.matches(req, target):
                    continue
                if rule.action == "delay":
                    rule.hits += 1
                    delays.append(rule)
                elif chosen is None:
                    rule.hits += 1
                    chosen = rule
        return delays, chosen
