"""The base class of every resource, and the ``meta`` object each instance carries."""
from __future__ import annotations

import copy
from typing import Any, Dict, List, NamedTuple, Optional


class ServiceContext(NamedTuple):
    """What the factory knows about the service a resource belongs to."""

    service_name: str
    service_model: Any
    resource_json_definitions: Dict[str, Any]
    service_waiter_model: Any = None


class ResourceMeta:
    """Per-instance information: the client, identifier names, loaded data, model.

    ``data`` is ``None`` until the resource is loaded (or was built from a listing).
    """

    def __init__(self, service_name: str, identifiers: Optional[List[str]] = None, client: Any = None,
                 data: Optional[Dict[str, Any]] = None, resource_model: Any = None) -> None:
        self.service_name = service_name
        self.identifiers = list(identifiers) if identifiers else []
        self.client = client
        self.data = data
        self.resource_model = resource_model

    def __repr__(self) -> str:
        return "ResourceMeta(%r, identifiers=%r)" % (self.service_name, self.identifiers)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ResourceMeta) and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> "ResourceMeta":
        """A shallow copy with its own identifier list."""
        duplicate = copy.copy(self)
        duplicate.identifiers = list(self.identifiers)
        return duplicate


class ServiceResource:
    """Base class of the service resource (``s3.ServiceResource()``) and of every resource.

    Identifiers are given positionally in model order, or by keyword::

        s3.Object("bucket", "key") == s3.Object(bucket_name="bucket", key="key")

    Two resources are equal when they are the same kind of resource with the same
    identifiers.
    """

    meta: ResourceMeta = None  # type: ignore[assignment]  # set on each generated class

    def __init__(self, *identifiers: Any, **kwargs: Any) -> None:
        self.meta = self.meta.copy()
        client = kwargs.pop("client", None)
        if client is not None:
            self.meta.client = client
        names = self.meta.identifiers
        if len(identifiers) > len(names):
            raise ValueError(
                "%s takes %d identifier%s (%s); %d positional arguments were given"
                % (self.__class__.__name__, len(names), "" if len(names) == 1 else "s",
                   ", ".join(names) or "none", len(identifiers)))
        values: Dict[str, Any] = dict(zip(names, identifiers))
        for key, value in kwargs.items():
            if key not in names:
                raise ValueError("Unknown keyword argument: %s" % key)
            values[key] = value
        for name in names:
            if values.get(name) is None:
                raise ValueError("Required parameter %s not set (usage: %s(%s))"
                                 % (name, self.__class__.__name__, ", ".join(names)))
        self._identifier_values = tuple(values[name] for name in names)

    def __repr__(self) -> str:
        shown = ", ".join("%s=%r" % (name, value)
                          for name, value in zip(self.meta.identifiers, self._identifier_values))
        return "%s(%s)" % (self.__class__.__name__, shown)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServiceResource):
            return NotImplemented
        same_kind = type(other).__name__ == type(self).__name__
        return same_kind and self._identifier_values == other._identifier_values

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self._identifier_values))
