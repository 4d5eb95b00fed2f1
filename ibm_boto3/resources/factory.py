"""Building resource classes from the resource model, and the service resource itself.

``create_service_resource`` (called by ``Session.resource``) reads
``<service>/<api-version>/resources-1.json`` and returns an instance of the generated
``<service>.ServiceResource`` class. Every other resource class (``s3.Bucket``,
``s3.Object``, ...) is generated the first time it is needed and then reused by that
service resource.

Before a class is created, ``creating-resource-class.<service>.<Resource>`` is emitted on
the session's event system with ``class_attributes`` (a dict the handlers may change),
``base_classes`` (a list) and ``service_context``; this is how the S3 transfer methods
are added to ``Bucket``, ``Object`` and ``ObjectSummary``.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any, Callable, Dict, List, Optional

from ibm_botocore import xform_name
from ibm_botocore.loaders import Loader

from ibm_boto3.exceptions import ResourceLoadException, ResourceNotExistsError, UnknownAPIVersionError
from ibm_boto3.resources.action import BatchAction, ServiceAction, WaiterAction
from ibm_boto3.resources.base import ResourceMeta, ServiceContext, ServiceResource
from ibm_boto3.resources.collection import collection_classes
from ibm_boto3.resources.model import ResourceModel, waiter_method_name
from ibm_boto3.resources.params import create_request_parameters, merge_params, value_from_source
from ibm_boto3.resources.response import ResourceHandler, search

logger = logging.getLogger(__name__)

DATA_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
SERVICE_RESOURCE = "ServiceResource"


# -- entry point -------------------------------------------------------------------------------
def create_service_resource(session: Any, service_name: str, client: Any, api_version: Optional[str] = None) -> Any:
    """The service resource for ``client`` (``s3.ServiceResource()``)."""
    definitions = load_resource_definitions(session, service_name, api_version)
    api_model = client.meta.service_model
    context = ServiceContext(
        service_name=service_name,
        service_model=api_model,
        resource_json_definitions=definitions.get("resources", {}),
        service_waiter_model=None,
    )
    factory = ResourceFactory(session.events)
    cls = factory.load_from_definition(SERVICE_RESOURCE, definitions["service"], context)
    return cls(client=client)


def _loader_for(session: Any) -> Loader:
    loader: Optional[Loader] = getattr(session, "_loader", None)
    if loader is not None and hasattr(loader, "list_available_services"):
        return loader
    paths: List[str] = []
    core = getattr(session, "_session", None)
    if core is not None:
        try:
            paths = list(core.get_component("data_loader").search_paths)
        except Exception:  # a custom core session without a loader: use the built-in data
            paths = []
    if DATA_PATH not in paths:
        paths.append(DATA_PATH)
    return Loader(extra_search_paths=paths, include_default_search_paths=False)


def load_resource_definitions(session: Any, service_name: str, api_version: Optional[str] = None) -> Dict[str, Any]:
    """The parsed ``resources-1.json`` of a service (user data paths first)."""
    loader = _loader_for(session)
    available = loader.list_available_services("resources-1")
    if service_name not in available:
        try:
            has_client = service_name in session.get_available_services()
        except Exception:
            has_client = False
        raise ResourceNotExistsError(service_name, available, has_client)
    versions = loader.list_api_versions(service_name, "resources-1")
    if api_version is None:
        api_version = versions[-1]
    elif api_version not in versions:
        raise UnknownAPIVersionError(service_name, api_version, ", ".join(versions))
    definitions: Dict[str, Any] = loader.load_service_model(service_name, "resources-1", api_version)
    return definitions


# -- the factory ---------------------------------------------------------------------------------
class ResourceFactory:
    """Creates (and remembers) resource classes for one service resource."""

    def __init__(self, emitter: Any) -> None:
        self._emitter = emitter
        self._classes: Dict[str, type] = {}
        self._lock = threading.RLock()  # a creation handler may ask for another class

    def resource_class(self, resource_name: str, service_context: ServiceContext) -> type:
        """The class of ``resource_name``, generated on first use."""
        cls = self._classes.get(resource_name)
        if cls is not None:
            return cls
        definitions = service_context.resource_json_definitions
        if resource_name not in definitions:
            raise ValueError("The %s resource model defines no resource named %r; defined: %s"
                             % (service_context.service_name, resource_name, ", ".join(sorted(definitions))))
        with self._lock:
            cls = self._classes.get(resource_name)
            if cls is None:
                cls = self.load_from_definition(resource_name, definitions[resource_name], service_context)
        return cls

    def load_from_definition(self, resource_name: str, single_resource_json_definition: Dict[str, Any],
                             service_context: ServiceContext) -> type:
        """Generate the class for one resource definition (emitting the creation event)."""
        model = ResourceModel(resource_name, single_resource_json_definition,
                              service_context.resource_json_definitions)
        service = service_context.service_name
        identifiers = [ident.name for ident in model.identifiers]
        if resource_name == SERVICE_RESOURCE:
            class_name = "%s.%s" % (service, SERVICE_RESOURCE)
            owner = None
        else:
            class_name = "%s.%s" % (service, resource_name)
            owner = resource_name

        attrs: Dict[str, Any] = {
            "meta": ResourceMeta(service, identifiers=identifiers, resource_model=model),
        }
        claimed: Dict[str, str] = {"meta": "meta"}

        def claim(name: str, kind: str, value: Any) -> None:
            if name in claimed:
                raise ValueError("%s: %s %r collides with the %s of the same name"
                                 % (class_name, kind, name, claimed[name]))
            claimed[name] = kind
            attrs[name] = value
            function = value.fget if isinstance(value, property) else value
            if callable(function) and hasattr(function, "__qualname__") and name != "reload":
                function.__qualname__ = "%s.%s" % (class_name, name)

        resource_class = self._class_getter(service_context)

        _claim_members(claim, claimed, model, identifiers, resource_class, service, owner, service_context)

        attrs["__doc__"] = _class_doc(class_name, model, identifiers, claimed)
        attrs["__module__"] = __name__
        base_classes: List[type] = [ServiceResource]
        if self._emitter is not None:
            self._emitter.emit(
                "creating-resource-class.%s.%s" % (service, resource_name),
                class_attributes=attrs,
                base_classes=base_classes,
                service_context=service_context,
            )
        # A handler may supply ``load`` (S3 Bucket and ObjectSummary load through other
        # operations than their own); ``reload`` then does the same.
        if "load" in attrs and "reload" not in attrs:
            attrs["reload"] = attrs["load"]
        cls = type(class_name, tuple(base_classes), attrs)
        self._classes[resource_name] = cls
        return cls

    def _class_getter(self, service_context: ServiceContext) -> Callable[[str], type]:
        return lambda name: self.resource_class(name, service_context)


# -- class members ------------------------------------------------------------------------------
def _identifier_property(index: int, name: str) -> property:
    def getter(self: Any) -> Any:
        return self._identifier_values[index]

    getter.__name__ = name
    return property(getter, doc="Identifier ``%s`` (read-only)." % name)


def _attribute_property(name: str, member_name: str, member_shape: Any) -> property:
    def getter(self: Any) -> Any:
        if self.meta.data is None:
            load = getattr(self, "load", None)
            if load is None:
                raise ResourceLoadException("%s has no load method" % self.__class__.__name__)
            load()
        return (self.meta.data or {}).get(member_name)

    getter.__name__ = name
    type_name = getattr(member_shape, "type_name", "value")
    return property(getter, doc="``%s`` (%s), loaded on first access." % (member_name, type_name))


def _load_method(load_model: Any) -> Callable[..., None]:
    operation = xform_name(load_model.request.operation)

    def load(self: Any, *args: Any, **kwargs: Any) -> None:
        params = merge_params(create_request_parameters(self, load_model.request), kwargs)
        response = getattr(self.meta.client, operation)(*args, **params)
        data = search(load_model.path, response)
        self.meta.data = data if data is not None else {}

    load.__name__ = "load"
    load.__doc__ = ("Load (or reload) the attributes with ``client.%s``; keyword arguments are passed on."
                    % operation)
    return load


def _param_text(params: List[Any]) -> str:
    shown = []
    for param in params:
        if param.source == "identifier":
            shown.append("%s=self.%s" % (param.target, xform_name(param.name)))
        elif param.source in ("string", "integer", "boolean"):
            shown.append("%s=%r" % (param.target, param.value))
        elif param.source == "data":
            shown.append("%s=<data %s>" % (param.target, param.path))
    return ", ".join(shown)


def _action_method(name: str, action: ServiceAction, action_model: Any, service: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return action(self, *args, **kwargs)

    method.__name__ = name
    returns = "the response dict"
    if action_model.resource is not None:
        returns = "%s.%s resource(s)" % (service, action_model.resource.type)
    method.__doc__ = "Call ``client.%s`` (%s); keyword arguments are passed on. Returns %s." % (
        xform_name(action_model.request.operation), _param_text(action_model.request.params) or "no preset parameters",
        returns)
    return method


def _batch_method(name: str, batch: BatchAction, action_model: Any) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return batch(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = ("Call ``client.%s`` once per group of up to %d listed resources; keyword arguments are "
                      "passed on. Returns the list of responses."
                      % (xform_name(action_model.request.operation), 1000))
    return method


def _waiter_method(name: str, waiter: Any, service: str) -> Callable[..., None]:
    action = WaiterAction(waiter, name)

    def method(self: Any, *args: Any, **kwargs: Any) -> None:
        return action(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = ("Wait with the ``%s`` waiter (%s); keyword arguments such as ``WaiterConfig`` are passed on."
                      % (xform_name(waiter.waiter_name), _param_text(waiter.params)))
    return method


def _subresource_method(sub: Any, resource_class: Callable[[str], type], service: str) -> Callable[..., Any]:
    definition = sub.resource
    inputs = [xform_name(p.target) for p in definition.identifiers if p.source == "input"]

    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        cls = resource_class(definition.type)
        positional = list(args)
        if len(positional) > len(inputs):
            raise ValueError("%s.%s takes %d argument%s (%s); %d were given"
                             % (self.__class__.__name__, sub.name, len(inputs), "" if len(inputs) == 1 else "s",
                                ", ".join(inputs) or "none", len(positional)))
        values: Dict[str, Any] = {}
        for param in definition.identifiers:
            target = xform_name(param.target)
            if param.source == "input":
                if positional:
                    values[target] = positional.pop(0)
                elif target in kwargs:
                    values[target] = kwargs.pop(target)
                else:
                    raise ValueError("Required parameter %s not set (usage: %s.%s(%s))"
                                     % (target, self.__class__.__name__, sub.name, ", ".join(inputs)))
            else:
                values[target] = value_from_source(self, param)
        values.update(kwargs)
        resource = cls(client=self.meta.client, **values)
        if definition.path:
            resource.meta.data = search(definition.path, self.meta.data or {})
        return resource

    create.__name__ = sub.name
    create.__doc__ = "Create the %s.%s resource%s." % (
        service, definition.type, (" for " + ", ".join(inputs)) if inputs else " it belongs to")
    return create


def _reference_property(ref: Any, resource_class: Callable[[str], type], service: str) -> property:
    definition = ref.resource

    def getter(self: Any) -> Any:
        values = {xform_name(p.target): value_from_source(self, p) for p in definition.identifiers}
        if any(value is None for value in values.values()):
            return None
        resource = resource_class(definition.type)(client=self.meta.client, **values)
        if definition.path:
            resource.meta.data = search(definition.path, self.meta.data or {})
        return resource

    return property(getter, doc="The related %s.%s resource (or None)." % (service, definition.type))


def _collection_property(collection: Any, resource_class: Callable[[str], type], service: str,
                         owner: Optional[str]) -> property:
    batch_methods = {}
    for batch in collection.batch_actions:
        name = xform_name(batch.name)
        batch_methods[name] = _batch_method(name, BatchAction(batch, resource_class), batch)
    manager_cls, _ = collection_classes(collection, service, owner, batch_methods)
    handler = ResourceHandler(collection.resource, resource_class, collection.request.operation)

    def getter(self: Any) -> Any:
        return manager_cls(collection, self, handler)

    return property(getter, doc="Collection of %s.%s resources listed with ``client.%s``." % (
        service, collection.resource.type, xform_name(collection.request.operation)))


def _available_subresources(names: List[str]) -> Callable[[Any], List[str]]:
    def get_available_subresources(self: Any) -> List[str]:
        """The names of the sub-resource constructors of this resource."""
        return list(names)

    return get_available_subresources


def _class_doc(class_name: str, model: ResourceModel, identifiers: List[str], claimed: Dict[str, str]) -> str:
    lines = ["The %s resource." % class_name]
    if identifiers:
        lines.append("")
        lines.append("Create it with %s(%s)." % (class_name, ", ".join(identifiers)))
    groups: Dict[str, List[str]] = {}
    for name, kind in claimed.items():
        if kind in ("meta", "method"):
            continue
        groups.setdefault(kind, []).append(name)
    for kind in ("identifier", "attribute", "action", "sub-resource", "reference", "collection", "waiter"):
        if groups.get(kind):
            lines.append("")
            lines.append("%ss: %s" % (kind.capitalize(), ", ".join(sorted(groups[kind]))))
    return "\n".join(lines)


def _claim_members(claim: Callable[[str, str, Any], None], claimed: Dict[str, str], model: ResourceModel,
                   identifiers: List[str], resource_class: Callable[[str], type], service: str,
                   owner: Optional[str], service_context: ServiceContext) -> None:
    """Claim every generated member of a resource class, in the model's declared order."""
    for index, name in enumerate(identifiers):
        claim(name, "identifier", _identifier_property(index, name))
    if model.load is not None:
        load = _load_method(model.load)
        claim("load", "action", load)
        claim("reload", "action", load)
    for action in model.actions:
        claim(xform_name(action.name), "action",
              _action_method(xform_name(action.name), ServiceAction(action, resource_class), action, service))
    for sub in model.subresources:
        claim(sub.name, "sub-resource", _subresource_method(sub, resource_class, service))
    for ref in model.references:
        claim(xform_name(ref.name), "reference", _reference_property(ref, resource_class, service))
    for collection in model.collections:
        claim(xform_name(collection.name), "collection",
              _collection_property(collection, resource_class, service, owner))
    for waiter in model.waiters:
        name = waiter_method_name(waiter)
        claim(name, "waiter", _waiter_method(name, waiter, service))
    subresource_names = sorted(sub.name for sub in model.subresources)
    claim("get_available_subresources", "method", _available_subresources(subresource_names))
    if model.shape:
        shape = service_context.service_model.shape_for(model.shape)
        for snake, (member_name, member_shape) in sorted(model.shape_attributes(shape).items()):
            name = snake if snake not in claimed else snake + "_attribute"
            claim(name, "attribute", _attribute_property(name, member_name, member_shape))
