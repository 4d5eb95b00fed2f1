"""Turning an operation's response into what an action returns.

``RawHandler`` returns the response dict (or the part a JMESPath ``path`` selects).
``ResourceHandler`` builds resource instances: identifiers come from the parent's
identifiers or data, the request parameters, the response, or constants; a response
path that projects a list (``Contents[]``) yields one resource per element, each with
its element as loaded data.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

import jmespath
from ibm_botocore import xform_name

from ibm_boto3.resources.params import value_from_source

_PROJECTIONS = ("[]", "[*]", "[?")


def is_plural_path(path: Optional[str]) -> bool:
    """Whether a JMESPath expression projects a list (one value per element)."""
    return bool(path) and any(token in path for token in _PROJECTIONS)  # type: ignore[operator]


def search(path: Optional[str], data: Any) -> Any:
    """``jmespath.search``, where no path or ``$`` means the whole document."""
    if not path or path == "$":
        return data
    return jmespath.search(path, data)


def build_identifiers(identifiers: List[Any], parent: Any, params: Optional[Dict[str, Any]] = None,
                      raw_response: Optional[Dict[str, Any]] = None) -> List[Tuple[str, Any]]:
    """``[(identifier_name, value), ...]`` for a response resource definition.

    A value is a list when it comes from a projecting response path.
    """
    found = []
    for ident in identifiers:
        source = ident.source
        if source == "response":
            value = jmespath.search(ident.path, raw_response or {})
            if value is None and is_plural_path(ident.path):
                value = []
        elif source == "requestParameter":
            value = jmespath.search(ident.path, params or {})
        elif source == "input":
            continue
        else:
            value = value_from_source(parent, ident)
        found.append((xform_name(ident.target), value))
    return found


class RawHandler:
    """Returns the response, or the part of it ``search_path`` selects."""

    def __init__(self, search_path: Optional[str] = None) -> None:
        self.search_path = search_path

    def __call__(self, parent: Any, params: Dict[str, Any], response: Dict[str, Any]) -> Any:
        return search(self.search_path, response)


class ResourceHandler:
    """Builds the resource(s) a ``resource`` definition describes from a response."""

    def __init__(self, resource_model: Any, resource_class: Callable[[str], type],
                 operation_name: Optional[str] = None) -> None:
        self.resource_model = resource_model
        self.search_path = resource_model.path
        self._resource_class = resource_class
        self.operation_name = operation_name

    def __call__(self, parent: Any, params: Dict[str, Any], response: Dict[str, Any]) -> Any:
        cls = self._resource_class(self.resource_model.type)
        identifiers = build_identifiers(self.resource_model.identifiers, parent, params, response)
        data = search(self.search_path, response) if self.search_path else None
        plural = [value for _, value in identifiers if isinstance(value, list)]
        if plural or is_plural_path(self.search_path):
            count = len(plural[0]) if plural else len(data or [])
            built = []
            for position in range(count):
                values = {name: (value[position] if isinstance(value, list) else value)
                          for name, value in identifiers}
                item = data[position] if isinstance(data, list) and position < len(data) else None
                built.append(self._make(cls, parent, values, item))
            return built
        return self._make(cls, parent, dict(identifiers), data)

    @staticmethod
    def _make(cls: type, parent: Any, values: Dict[str, Any], data: Any) -> Any:
        if any(value is None for value in values.values()):
            # The response did not name the resource (e.g. an error-free but empty
            # answer): there is nothing to build.
            return None
        resource = cls(client=parent.meta.client, **values)
        if data is not None:
            resource.meta.data = data
        return resource
