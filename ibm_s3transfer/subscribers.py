"""Subscribers: objects told about a transfer's progress (``on_queued``, ``on_progress``, ``on_done``).

Every hook is called with keyword arguments only, and more keywords may be added in
later versions, so subclasses must accept ``**kwargs``; a subclass that does not is
rejected when it is instantiated (:class:`InvalidSubscriberMethodError`).
"""
from __future__ import annotations

import inspect
from typing import Any, Dict, Tuple

from ibm_s3transfer.exceptions import InvalidSubscriberMethodError

__all__ = ["BaseSubscriber", "accepts_kwargs"]


def accepts_kwargs(func: Any) -> bool:
    """True when ``func`` can be called with arbitrary keyword arguments."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return False
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())


_CHECKED: Dict[type, bool] = {}


class BaseSubscriber:
    """Base class of transfer subscribers; override any of the three hooks."""

    VALID_SUBSCRIBER_TYPES: Tuple[str, ...] = ("queued", "progress", "done")

    def __new__(cls, *args: Any, **kwargs: Any) -> "BaseSubscriber":
        if not _CHECKED.get(cls):
            cls._validate_subscriber_methods()
            _CHECKED[cls] = True
        return super().__new__(cls)

    @classmethod
    def _validate_subscriber_methods(cls) -> None:
        for kind in cls.VALID_SUBSCRIBER_TYPES:
            method = getattr(cls, "on_" + kind)
            if not callable(method):
                raise InvalidSubscriberMethodError("Subscriber method on_%s must be callable." % kind)
            if not accepts_kwargs(method):
                raise InvalidSubscriberMethodError(
                    "Subscriber method on_%s of %s must accept keyword arguments (**kwargs)" % (kind, cls.__name__)
                )

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        """The transfer was accepted by the manager (not started yet)."""

    def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
        """``bytes_transferred`` more bytes moved (negative when a retry rewinds)."""

    def on_done(self, future: Any, **kwargs: Any) -> None:
        """The transfer finished: succeeded, failed or was cancelled (call ``future.result()``)."""
