"""Typed views of the resource model JSON (``resources-1.json``).

The JSON uses the public resource-model format: a ``service`` entry (actions, ``has``,
``hasMany``) and one entry per resource (identifiers, shape, load, actions, batchActions,
has, hasMany, waiters). These classes only *read* that format; they never talk to a
service. Python names are the snake_case forms of the JSON names (``CopyFrom`` ->
``copy_from``, ``ObjectVersions`` -> ``object_versions``); sub-resource names keep their
CamelCase (``bucket.Object(key)``), as users know them.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ibm_botocore import xform_name

# Where a parameter or identifier value comes from.
SOURCES = ("identifier", "data", "input", "requestParameter", "response", "string", "integer", "boolean")


class Identifier:
    """One identifier of a resource, e.g. ``bucket_name`` (JSON ``BucketName``)."""

    def __init__(self, name: str, member_name: Optional[str] = None) -> None:
        self.name = name
        self.member_name = member_name

    def __repr__(self) -> str:
        return "Identifier(%r)" % self.name


class Parameter:
    """Where one request parameter (or resource identifier) gets its value.

    ``target`` is a path in the request (``Bucket``, ``Delete.Objects[].Key``) or, for
    resource definitions, the identifier it fills. The value comes from ``source``:
    a parent identifier (``name``), the parent's data or the response (``path``, JMESPath),
    a request parameter (``path``), a constant (``value``), or the caller (``input``).
    """

    def __init__(self, target: str, source: str, name: Optional[str] = None, path: Optional[str] = None,
                 value: Any = None, **extra: Any) -> None:
        if source not in SOURCES:
            raise ValueError("Unknown parameter source %r for target %r" % (source, target))
        self.target = target
        self.source = source
        self.name = name
        self.path = path
        self.value = value
        for key, val in extra.items():
            setattr(self, key, val)

    def __repr__(self) -> str:
        return "Parameter(target=%r, source=%r)" % (self.target, self.source)


def _parameters(definitions: Optional[List[Mapping[str, Any]]]) -> List[Parameter]:
    return [Parameter(**dict(item)) for item in (definitions or [])]


class Request:
    """An operation call: the operation name and its modeled parameters."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self.operation: str = definition["operation"]
        self.params = _parameters(definition.get("params"))


class ResponseResource:
    """How to turn a response into resource instance(s): type, identifiers and data path."""

    def __init__(self, definition: Mapping[str, Any], resource_defs: Mapping[str, Any]) -> None:
        self.type: str = definition["type"]
        self.path: Optional[str] = definition.get("path")
        self.identifiers = _parameters(definition.get("identifiers"))
        self._resource_defs = resource_defs

    @property
    def model(self) -> "ResourceModel":
        """The model of the resource type produced."""
        return ResourceModel(self.type, self._resource_defs[self.type], self._resource_defs)


class Action:
    """A modeled call: ``request`` plus an optional ``resource`` (or ``path``) for the result."""

    def __init__(self, name: str, definition: Mapping[str, Any], resource_defs: Mapping[str, Any]) -> None:
        self.name = name
        self._definition = definition
        self.request = Request(definition["request"]) if "request" in definition else None
        self.path: Optional[str] = definition.get("path")
        self.resource = ResponseResource(definition["resource"], resource_defs) if "resource" in definition else None


class Waiter:
    """A ``wait_until_<name>`` method: a client waiter plus parameters from identifiers."""

    PREFIX = "WaitUntil"

    def __init__(self, name: str, definition: Mapping[str, Any]) -> None:
        self.name = name
        self.waiter_name: str = definition["waiterName"]
        self.params = _parameters(definition.get("params"))


class Collection(Action):
    """A ``hasMany`` entry: a listing operation whose response yields many resources."""

    def __init__(self, name: str, definition: Mapping[str, Any], resource_defs: Mapping[str, Any]) -> None:
        super().__init__(name, definition, resource_defs)
        # The batch actions of a collection are those of the resource type it yields.
        self._resource_defs = resource_defs

    @property
    def batch_actions(self) -> List[Action]:
        produced = self.resource
        return produced.model.batch_actions if produced is not None else []


class ResourceModel:
    """Everything the factory needs to build one resource class."""

    def __init__(self, name: str, definition: Mapping[str, Any], resource_defs: Mapping[str, Any]) -> None:
        self.name = name
        self._definition = definition
        self._resource_defs = resource_defs
        self.shape: Optional[str] = definition.get("shape")

    def __repr__(self) -> str:
        return "ResourceModel(%r)" % self.name

    @property
    def identifiers(self) -> List[Identifier]:
        return [Identifier(xform_name(item["name"]), item.get("memberName"))
                for item in self._definition.get("identifiers", [])]

    @property
    def load(self) -> Optional[Action]:
        if "load" not in self._definition:
            return None
        return Action("load", self._definition["load"], self._resource_defs)

    @property
    def actions(self) -> List[Action]:
        return [Action(name, item, self._resource_defs)
                for name, item in sorted(self._definition.get("actions", {}).items())]

    @property
    def batch_actions(self) -> List[Action]:
        return [Action(name, item, self._resource_defs)
                for name, item in sorted(self._definition.get("batchActions", {}).items())]

    @property
    def waiters(self) -> List[Waiter]:
        return [Waiter(name, item) for name, item in sorted(self._definition.get("waiters", {}).items())]

    @property
    def collections(self) -> List[Collection]:
        return [Collection(name, item, self._resource_defs)
                for name, item in sorted(self._definition.get("hasMany", {}).items())]

    def _related(self, wanted_subresources: bool) -> List[Action]:
        found = []
        for name, item in sorted(self._definition.get("has", {}).items()):
            action = Action(name, item, self._resource_defs)
            assert action.resource is not None, "has entry %s.%s needs a resource" % (self.name, name)
            # A sub-resource is made from identifiers (the parent's and the caller's); a
            # reference needs values from the parent's loaded data.
            from_data = any(p.source == "data" for p in action.resource.identifiers)
            if from_data != wanted_subresources:
                found.append(action)
        return found

    @property
    def subresources(self) -> List[Action]:
        return self._related(True)

    @property
    def references(self) -> List[Action]:
        return self._related(False)

    def shape_attributes(self, shape: Any) -> Dict[str, Any]:
        """``{snake_name: (member_name, member_shape)}`` for the shape's members.

        Members whose snake name is an identifier are left out: identifiers are set
        when the resource is made, never loaded.
        """
        identifier_names = {ident.name for ident in self.identifiers}
        found: Dict[str, Any] = {}
        if shape is None:
            return found
        for member, member_shape in shape.members.items():
            snake = xform_name(member)
            if snake not in identifier_names:
                found[snake] = (member, member_shape)
        return found


def waiter_method_name(waiter: Waiter) -> str:
    """``Exists`` -> ``wait_until_exists``."""
    return xform_name(Waiter.PREFIX + waiter.name)
