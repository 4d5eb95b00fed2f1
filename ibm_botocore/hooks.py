"""The event emitter used for user hooks and compatibility with botocore-style code.

Event names are dotted (``before-call.s3.PutObject``). A handler registered for a
prefix (``before-call.s3``) or with ``*`` in a segment also fires. The pipeline itself
does not run through events; emitting an event nobody listens to is a dict lookup.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional, Tuple

#: An event handler: called with the event's keyword arguments plus ``event_name``.
Handler = Callable[..., Any]

logger = logging.getLogger(__name__)

_FIRST, _MIDDLE, _LAST = 0, 1, 2


def first_non_none_response(responses: List[Tuple[Any, Any]], default: Any = None) -> Any:
    """The first handler response that is not None, else ``default``."""
    for _, response in responses:
        if response is not None:
            return response
    return default


class BaseEventHooks:
    def emit(self, event_name: str, **kwargs: Any) -> List[Tuple[Handler, Any]]:
        return []

    def register(
        self, event_name: str, handler: Handler, unique_id: Any = None, unique_id_uses_count: bool = False
    ) -> None:
        self._register(event_name, handler, unique_id, unique_id_uses_count, _MIDDLE)

    def register_first(
        self, event_name: str, handler: Handler, unique_id: Any = None, unique_id_uses_count: bool = False
    ) -> None:
        self._register(event_name, handler, unique_id, unique_id_uses_count, _FIRST)

    def register_last(
        self, event_name: str, handler: Handler, unique_id: Any = None, unique_id_uses_count: bool = False
    ) -> None:
        self._register(event_name, handler, unique_id, unique_id_uses_count, _LAST)

    def _register(
        self, event_name: str, handler: Handler, unique_id: Any, unique_id_uses_count: bool, section: int
    ) -> None:
        raise NotImplementedError


class _Registration:
    __slots__ = ("pattern", "handler", "section", "order", "unique_id")

    def __init__(self, pattern: Tuple[str, ...], handler: Handler, section: int, order: int, unique_id: Any) -> None:
        self.pattern = pattern
        self.handler = handler
        self.section = section
        self.order = order
        self.unique_id = unique_id


def _matches(pattern: Tuple[str, ...], parts: Tuple[str, ...]) -> bool:
    if len(pattern) > len(parts):
        return False
    for want, have in zip(pattern, parts):
        if want != "*" and want != have:
            return False
    return True


class HierarchicalEmitter(BaseEventHooks):
    """Dispatches dotted events to handlers registered for the name or a prefix of it."""

    def __init__(self) -> None:
        self._registrations: List[_Registration] = []
        self._unique_ids: Dict[Any, Tuple[Handler, int]] = {}
        self._lookup_cache: Dict[str, List[Handler]] = {}
        self._counter = 0

    # -- registration -----------------------------------------------------------------
    def _register(
        self, event_name: str, handler: Handler, unique_id: Any, unique_id_uses_count: bool, section: int
    ) -> None:
        if not callable(handler):
            raise ValueError("Event handler %s must be callable." % (handler,))
        if unique_id is not None:
            existing = self._unique_ids.get(unique_id)
            if existing is not None:
                if unique_id_uses_count:
                    if not existing[1]:
                        raise ValueError(
                            "Initial registration of unique id %s was specified to use a counter. Subsequent register calls to unique id must specify use of a counter as well." % unique_id
                        )
                    self._unique_ids[unique_id] = (existing[0], existing[1] + 1)
                elif existing[1]:
                    raise ValueError(
                        "Initial registration of unique id %s was specified to not use a counter. Subsequent register calls to unique id must specify not to use a counter as well." % unique_id
                    )
                return
            self._unique_ids[unique_id] = (handler, 1 if unique_id_uses_count else 0)
        self._counter += 1
        pattern = tuple(event_name.split("."))
        self._registrations.append(_Registration(pattern, handler, section, self._counter, unique_id))
        self._lookup_cache.clear()

    def unregister(
        self,
        event_name: str,
        handler: Optional[Handler] = None,
        unique_id: Any = None,
        unique_id_uses_count: bool = False,
    ) -> None:
        if unique_id is not None:
            existing = self._unique_ids.get(unique_id)
            if existing is None:
                return
            if unique_id_uses_count:
                if existing[1] == 0:
                    raise ValueError(
                        "Initial registration of unique id %s was specified to not use a counter. Subsequent unregister calls to unique id must specify not to use a counter as well." % unique_id
                    )
                if existing[1] > 1:
                    self._unique_ids[unique_id] = (existing[0], existing[1] - 1)
                    return
            elif existing[1]:
                raise ValueError(
                    "Initial registration of unique id %s was specified to use a counter. Subsequent unregister calls to unique id must specify use of a counter as well." % unique_id
                )
            handler = existing[0]
            del self._unique_ids[unique_id]
        pattern = tuple(event_name.split("."))
        for index, reg in enumerate(self._registrations):
            if reg.pattern == pattern and reg.handler == handler:
                del self._registrations[index]
                self._lookup_cache.clear()
                return

    # -- dispatch ---------------------------------------------------------------------
    def _handlers_for(self, event_name: str) -> List[Handler]:
        handlers = self._lookup_cache.get(event_name)
        if handlers is None:
            parts = tuple(event_name.split("."))
            found = [r for r in self._registrations if _matches(r.pattern, parts)]
            # first/middle/last sections; inside a section the more specific
            # registration runs first, then registration order.
            found.sort(key=lambda r: (r.section, -len(r.pattern), r.order))
            handlers = [r.handler for r in found]
            self._lookup_cache[event_name] = handlers
        return handlers

    def has_handlers(self, event_name: str) -> bool:
        return bool(self._handlers_for(event_name))

    def emit(self, event_name: str, **kwargs: Any) -> List[Tuple[Handler, Any]]:
        handlers = self._handlers_for(event_name)
        if not handlers:
            return []
        kwargs["event_name"] = event_name
        responses: List[Tuple[Handler, Any]] = []
        for handler in handlers:
            logger.debug("Event %s: calling handler %s", event_name, handler)
            responses.append((handler, handler(**kwargs)))
        return responses

    def emit_until_response(self, event_name: str, **kwargs: Any) -> Tuple[Optional[Handler], Any]:
        handlers = self._handlers_for(event_name)
        if not handlers:
            return None, None
        kwargs["event_name"] = event_name
        for handler in handlers:
            response = handler(**kwargs)
            if response is not None:
                return handler, response
        return None, None

    def __copy__(self) -> "HierarchicalEmitter":
        clone = self.__class__()
        clone._registrations = list(self._registrations)
        clone._unique_ids = dict(self._unique_ids)
        clone._counter = self._counter
        return clone

    copy = __copy__


class EventAliaser(BaseEventHooks):
    """Wraps an emitter; kept for code that expects the class name."""

    def __init__(self, event_emitter: HierarchicalEmitter, event_aliases: Optional[Dict[str, str]] = None) -> None:
        self._emitter = event_emitter
        self._aliases = event_aliases or {}

    def _alias(self, event_name: str) -> str:
        for old, new in self._aliases.items():
            if old in event_name.split("."):
                event_name = ".".join(new if part == old else part for part in event_name.split("."))
        return event_name

    def emit(self, event_name: str, **kwargs: Any) -> List[Tuple[Handler, Any]]:
        return self._emitter.emit(self._alias(event_name), **kwargs)

    def emit_until_response(self, event_name: str, **kwargs: Any) -> Tuple[Optional[Handler], Any]:
        return self._emitter.emit_until_response(self._alias(event_name), **kwargs)

    def _register(
        self, event_name: str, handler: Handler, unique_id: Any, unique_id_uses_count: bool, section: int
    ) -> None:
        method = {_FIRST: self._emitter.register_first, _MIDDLE: self._emitter.register, _LAST: self._emitter.register_last}[section]
        method(self._alias(event_name), handler, unique_id, unique_id_uses_count)

    def unregister(
        self,
        event_name: str,
        handler: Optional[Handler] = None,
        unique_id: Any = None,
        unique_id_uses_count: bool = False,
    ) -> None:
        self._emitter.unregister(self._alias(event_name), handler, unique_id, unique_id_uses_count)

    def __copy__(self) -> "EventAliaser":
        return self.__class__(self._emitter.__copy__(), dict(self._aliases))
