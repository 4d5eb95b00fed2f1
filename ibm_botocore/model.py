"""Object view of a service model (the botocore JSON format).

Shapes are resolved lazily and cached, so building a ``ServiceModel`` from a large
description costs almost nothing until an operation is used.
"""
from __future__ import annotations

from functools import cached_property
from typing import Any, Dict, List, Mapping, Optional, cast

from ibm_botocore.exceptions import MissingServiceIdError, UndefinedModelAttributeError


class NoShapeFoundError(Exception):
    pass


class InvalidShapeError(Exception):
    pass


class OperationNotFoundError(Exception):
    pass


class InvalidShapeReferenceError(Exception):
    pass


class ServiceId(str):
    """The service id string; ``hyphenize()`` gives the form used in event names."""

    def hyphenize(self) -> str:
        return self.lower().replace(" ", "-")


# Keys of a member reference or a shape that describe where/how it goes on the wire.
_SERIALIZATION_KEYS = (
    "locationName",
    "queryName",
    "flattened",
    "location",
    "payload",
    "streaming",
    "timestampFormat",
    "xmlNamespace",
    "resultWrapper",
    "xmlAttribute",
    "eventstream",
    "event",
    "eventheader",
    "eventpayload",
    "jsonvalue",
    "hostLabel",
)
# Keys that describe constraints and documentation-level facts.
_METADATA_KEYS = (
    "required",
    "min",
    "max",
    "pattern",
    "sensitive",
    "enum",
    "idempotencyToken",
    "error",
    "exception",
    "endpointdiscoveryid",
    "retryable",
    "document",
    "union",
    "contextParam",
    "clientContextParams",
    "requiresLength",
)


class Shape:
    """One shape of the model, optionally seen through a member reference."""

    SERIALIZED_ATTRS = list(_SERIALIZATION_KEYS)
    METADATA_ATTRS = list(_METADATA_KEYS)
    MAP_TYPE = dict

    def __init__(self, shape_name: str, shape_model: Mapping[str, Any], shape_resolver: Optional["ShapeResolver"] = None):
        self.name = shape_name
        self.type_name = shape_model["type"]
        self.documentation = shape_model.get("documentation", "")
        self._shape_model = shape_model
        self._shape_resolver = shape_resolver

    @cached_property
    def serialization(self) -> Dict[str, Any]:
        model = self._shape_model
        out = {key: model[key] for key in _SERIALIZATION_KEYS if key in model}
        if "locationName" in out:
            out["name"] = out.pop("locationName")
        return out

    @cached_property
    def metadata(self) -> Dict[str, Any]:
        model = self._shape_model
        return {key: model[key] for key in _METADATA_KEYS if key in model}

    @property
    def required_members(self) -> List[str]:
        value: List[str] = self.metadata.get("required", [])
        return value

    @property
    def event_stream_name(self) -> Optional[str]:
        return None

    @property
    def error_code(self) -> Optional[str]:
        if not self.metadata.get("exception"):
            return None
        error = self.metadata.get("error", {})
        value: Optional[str] = error.get("code", self.name)
        return value

    @property
    def is_document_type(self) -> bool:
        return bool(self.metadata.get("document"))

    @property
    def is_tagged_union(self) -> bool:
        return bool(self.metadata.get("union"))

    def _resolve_ref(self, ref: Mapping[str, Any]) -> "Shape":
        resolver = self._shape_resolver
        if resolver is None:
            raise InvalidShapeReferenceError("shape %r has no resolver for its member references" % self.name)
        return resolver.resolve_shape_ref(ref)

    def __repr__(self) -> str:
        return "<%s(%s)>" % (self.__class__.__name__, self.name)


class StructureShape(Shape):
    @cached_property
    def members(self) -> Dict[str, Shape]:
        refs = self._shape_model.get("members", {})
        return {name: self._resolve_ref(ref) for name, ref in refs.items()}

    @cached_property
    def error_shapes(self) -> List[Shape]:
        return []


class ListShape(Shape):
    @cached_property
    def member(self) -> Shape:
        return self._resolve_ref(self._shape_model["member"])


class MapShape(Shape):
    @cached_property
    def key(self) -> Shape:
        return self._resolve_ref(self._shape_model["key"])

    @cached_property
    def value(self) -> Shape:
        return self._resolve_ref(self._shape_model["value"])


class StringShape(Shape):
    @cached_property
    def enum(self) -> List[str]:
        value: List[str] = self.metadata.get("enum", [])
        return value


_SHAPE_CLASSES = {
    "structure": StructureShape,
    "list": ListShape,
    "map": MapShape,
    "string": StringShape,
}


class ShapeResolver:
    """Turns shape names and member references into ``Shape`` objects, with a cache."""

    def __init__(self, shape_map: Mapping[str, Any]):
        self._shape_map = shape_map
        self._cache: Dict[str, Shape] = {}
        # The service these shapes belong to (None for shapes built outside a service).
        self.service_model: Optional["ServiceModel"] = None

    def get_shape_by_name(self, shape_name: str, member_traits: Optional[Mapping[str, Any]] = None) -> Shape:
        if not member_traits:
            cached = self._cache.get(shape_name)
            if cached is not None:
                return cached
        try:
            shape_model = self._shape_map[shape_name]
        except KeyError:
            raise NoShapeFoundError(shape_name)
        try:
            cls = _SHAPE_CLASSES.get(shape_model["type"], Shape)
        except KeyError:
            raise InvalidShapeError("Shape is missing required key 'type': %s" % shape_model)
        if member_traits:
            merged = dict(shape_model)
            merged.update(member_traits)
            return cls(shape_name, merged, self)
        shape = cls(shape_name, shape_model, self)
        self._cache[shape_name] = shape
        return shape

    def resolve_shape_ref(self, shape_ref: Mapping[str, Any]) -> Shape:
        if len(shape_ref) == 1 and "shape" in shape_ref:
            return self.get_shape_by_name(shape_ref["shape"])
        traits = dict(shape_ref)
        try:
            name = traits.pop("shape")
        except KeyError:
            raise InvalidShapeReferenceError("Invalid model, missing shape reference: %s" % shape_ref)
        return self.get_shape_by_name(name, traits)


class ServiceModel:
    """A whole service: metadata, operations and shapes."""

    def __init__(self, service_description: Mapping[str, Any], service_name: Optional[str] = None):
        self._service_description = service_description
        self.metadata = dict(service_description.get("metadata", {}))
        self._shape_resolver = ShapeResolver(service_description.get("shapes", {}))
        self._shape_resolver.service_model = self
        self._service_name = service_name
        self._operations: Dict[str, OperationModel] = {}

    def shape_for(self, shape_name: str, member_traits: Optional[Mapping[str, Any]] = None) -> Shape:
        return self._shape_resolver.get_shape_by_name(shape_name, member_traits)

    def shape_for_error_code(self, error_code: str) -> Optional[Shape]:
        return self._error_code_cache.get(error_code)

    @cached_property
    def _error_code_cache(self) -> Dict[str, Shape]:
        return {shape.error_code: shape for shape in self.error_shapes if shape.error_code is not None}

    def modeled_error_shape(self, error_code: str, operation_name: Optional[str] = None) -> Optional[StructureShape]:
        """The exception shape for ``error_code`` among the operation's modeled ``errors``.

        Without an operation name every exception shape of the service is considered.
        """
        if operation_name is None or operation_name not in self._service_description.get("operations", {}):
            return cast(Optional[StructureShape], self.shape_for_error_code(error_code))
        for shape in self.operation_model(operation_name).error_shapes:
            if shape.error_code == error_code:
                return cast(StructureShape, shape)
        return None

    def resolve_shape_ref(self, shape_ref: Mapping[str, Any]) -> Shape:
        return self._shape_resolver.resolve_shape_ref(shape_ref)

    @cached_property
    def shape_names(self) -> List[str]:
        return list(self._service_description.get("shapes", {}))

    @cached_property
    def error_shapes(self) -> List[Shape]:
        shapes = self._service_description.get("shapes", {})
        return [self.shape_for(name) for name, model in shapes.items() if model.get("exception")]

    def operation_model(self, operation_name: str) -> "OperationModel":
        op = self._operations.get(operation_name)
        if op is not None:
            return op
        try:
            description = self._service_description["operations"][operation_name]
        except KeyError:
            raise OperationNotFoundError(operation_name)
        op = OperationModel(description, self, operation_name)
        self._operations[operation_name] = op
        return op

    @cached_property
    def documentation(self) -> str:
        value: str = self._service_description.get("documentation", "")
        return value

    @cached_property
    def operation_names(self) -> List[str]:
        return list(self._service_description.get("operations", {}))

    @property
    def service_name(self) -> str:
        if self._service_name is not None:
            return self._service_name
        return self.endpoint_prefix

    @cached_property
    def service_id(self) -> ServiceId:
        try:
            return ServiceId(self.metadata["serviceId"])
        except KeyError:
            raise MissingServiceIdError(service_name=self._service_name)

    @cached_property
    def signing_name(self) -> str:
        return self.metadata.get("signingName") or self.endpoint_prefix

    @property
    def api_version(self) -> str:
        return self._metadata_property("apiVersion")

    @property
    def protocol(self) -> str:
        return self._metadata_property("protocol")

    @property
    def protocols(self) -> List[str]:
        value: List[str] = self.metadata.get("protocols", [self.protocol])
        return value

    @property
    def endpoint_prefix(self) -> str:
        return self._metadata_property("endpointPrefix")

    @property
    def endpoint_discovery_operation(self) -> Optional["OperationModel"]:
        return None

    @property
    def endpoint_discovery_required(self) -> bool:
        return False

    @property
    def client_context_parameters(self) -> List[Any]:
        return []

    @property
    def signature_version(self) -> Optional[str]:
        return self.metadata.get("signatureVersion")

    @signature_version.setter
    def signature_version(self, value: str) -> None:
        self.metadata["signatureVersion"] = value

    @property
    def checksum_format(self) -> Optional[str]:
        return self.metadata.get("checksumFormat")

    def _metadata_property(self, name: str) -> str:
        # only string-valued metadata (apiVersion, protocol, endpointPrefix) is read here
        try:
            value: str = self.metadata[name]
            return value
        except KeyError:
            raise UndefinedModelAttributeError('"%s" not defined in the metadata of the model: %s' % (name, self))

    def __repr__(self) -> str:
        return "%s(%s)" % (self.__class__.__name__, self.service_name)


class OperationModel:
    """One operation. Caches per-operation work (e.g. serializer plans) in ``plan_cache``."""

    def __init__(self, operation_model: Mapping[str, Any], service_model: ServiceModel, name: Optional[str] = None):
        self._operation_model = operation_model
        self._service_model = service_model
        self._api_name = name
        self._wire_name: Optional[str] = operation_model.get("name")
        self.metadata = service_model.metadata
        self.http = operation_model.get("http", {})
        # Free-form cache where the serializer, parser and S3 customizations keep
        # what they precompute for this operation.
        self.plan_cache: Dict[str, Any] = {}

    @cached_property
    def name(self) -> str:
        # every operation in a service model is named; a hand-built one may not be
        return self._api_name if self._api_name is not None else self._wire_name  # type: ignore[return-value]

    @property
    def wire_name(self) -> Optional[str]:
        return self._operation_model.get("name")

    @property
    def service_model(self) -> ServiceModel:
        return self._service_model

    @cached_property
    def documentation(self) -> str:
        value: str = self._operation_model.get("documentation", "")
        return value

    @cached_property
    def deprecated(self) -> bool:
        value: bool = self._operation_model.get("deprecated", False)
        return value

    @cached_property
    def endpoint_discovery(self) -> Optional[Dict[str, Any]]:
        return self._operation_model.get("endpointdiscovery")

    @cached_property
    def is_endpoint_discovery_operation(self) -> bool:
        return False

    @cached_property
    def input_shape(self) -> Optional[StructureShape]:
        ref = self._operation_model.get("input")
        if ref is None:
            return None
        return cast(StructureShape, self._service_model.resolve_shape_ref(ref))  # inputs are structures

    @cached_property
    def output_shape(self) -> Optional[StructureShape]:
        ref = self._operation_model.get("output")
        if ref is None:
            return None
        return cast(StructureShape, self._service_model.resolve_shape_ref(ref))  # outputs are structures

    @cached_property
    def idempotent_members(self) -> List[str]:
        shape = self.input_shape
        if shape is None:
            return []
        return [name for name, member in shape.members.items() if member.metadata.get("idempotencyToken")]

    @cached_property
    def static_context_parameters(self) -> Dict[str, Any]:
        value: Dict[str, Any] = self._operation_model.get("staticContextParams", {})
        return value

    @cached_property
    def context_parameters(self) -> List[Any]:
        return []

    @cached_property
    def request_compression(self) -> Optional[Dict[str, Any]]:
        return self._operation_model.get("requestcompression")

    @cached_property
    def auth(self) -> Optional[List[str]]:
        return self._operation_model.get("auth")

    @cached_property
    def auth_type(self) -> Optional[str]:
        return self._operation_model.get("authtype")

    @cached_property
    def resolved_auth_type(self) -> Optional[str]:
        return self.auth_type

    @cached_property
    def unsigned_payload(self) -> bool:
        value: bool = self._operation_model.get("unsignedPayload", False)
        return value

    @cached_property
    def error_shapes(self) -> List[Shape]:
        return [self._service_model.resolve_shape_ref(ref) for ref in self._operation_model.get("errors", [])]

    @cached_property
    def endpoint(self) -> Optional[Dict[str, Any]]:
        return self._operation_model.get("endpoint")

    @cached_property
    def http_checksum_required(self) -> bool:
        value: bool = self._operation_model.get("httpChecksumRequired", False)
        return value

    @cached_property
    def http_checksum(self) -> Dict[str, Any]:
        value: Dict[str, Any] = self._operation_model.get("httpChecksum", {})
        return value

    @cached_property
    def has_event_stream_input(self) -> bool:
        return self.get_event_stream_input() is not None

    @cached_property
    def has_event_stream_output(self) -> bool:
        return self.get_event_stream_output() is not None

    def get_event_stream_input(self) -> Optional[StructureShape]:
        return event_stream_payload(self.input_shape)

    def get_event_stream_output(self) -> Optional[StructureShape]:
        return event_stream_payload(self.output_shape)

    @cached_property
    def has_streaming_input(self) -> bool:
        return self.get_streaming_input() is not None

    @cached_property
    def has_streaming_output(self) -> bool:
        # An event stream is read incrementally too: its body must stay unread.
        return self.get_streaming_output() is not None or self.has_event_stream_output

    def get_streaming_input(self) -> Optional[Shape]:
        return _streaming_payload(self.input_shape)

    def get_streaming_output(self) -> Optional[Shape]:
        return _streaming_payload(self.output_shape)

    def __repr__(self) -> str:
        return "%s(name=%s)" % (self.__class__.__name__, self.name)


def _payload_member(shape: Optional[StructureShape]) -> Optional[Shape]:
    if shape is None:
        return None
    payload = shape.serialization.get("payload")
    return None if payload is None else shape.members[payload]


def _streaming_payload(shape: Optional[StructureShape]) -> Optional[Shape]:
    member = _payload_member(shape)
    if member is not None and member.type_name == "blob" and member.serialization.get("streaming"):
        return member
    return None


def event_stream_payload(shape: Optional[StructureShape]) -> Optional[StructureShape]:
    """The payload member of ``shape`` when it is an event stream (``eventstream`` trait)."""
    member = _payload_member(shape)
    if member is not None and member.type_name == "structure" and member.serialization.get("eventstream"):
        return cast(StructureShape, member)
    return None


def service_model_of(shape: Shape) -> Optional[ServiceModel]:
    """The service a shape was resolved from (None for shapes built on their own)."""
    resolver = shape._shape_resolver
    return None if resolver is None else resolver.service_model


class DenormalizedStructureBuilder:
    """Builds a shape from an inline, nested description (handy in tests and tools).

    ``DenormalizedStructureBuilder().with_members({'A': {'type': 'string'}}).build_model()``
    """

    def __init__(self, name: Optional[str] = None):
        self._name = name or "InputShape"
        self._members: Dict[str, Any] = {}
        self._counter = 0

    def with_members(self, members: Mapping[str, Any]) -> "DenormalizedStructureBuilder":
        self._members = dict(members)
        return self

    def build_model(self) -> StructureShape:
        shapes: Dict[str, Any] = {}
        root = {"type": "structure", "members": self._flatten_members(self._members, shapes)}
        shapes[self._name] = root
        return cast(StructureShape, ShapeResolver(shapes).get_shape_by_name(self._name))

    def _new_name(self, hint: str) -> str:
        self._counter += 1
        return "%sType%d" % (hint, self._counter)

    def _flatten(self, model: Mapping[str, Any], shapes: Dict[str, Any]) -> Dict[str, Any]:
        model = dict(model)
        kind = model["type"]
        shape: Dict[str, Any] = {k: v for k, v in model.items() if k not in ("members", "member", "key", "value", "shape_name")}
        if kind == "structure":
            shape["members"] = self._flatten_members(model.get("members", {}), shapes)
        elif kind == "list":
            shape["member"] = self._ref(model["member"], shapes)
        elif kind == "map":
            shape["key"] = self._ref(model["key"], shapes)
            shape["value"] = self._ref(model["value"], shapes)
        name = model.get("shape_name") or self._new_name(kind)
        shapes[name] = shape
        return {"shape": name}

    def _ref(self, model: Mapping[str, Any], shapes: Dict[str, Any]) -> Dict[str, Any]:
        return self._flatten(model, shapes)

    def _flatten_members(self, members: Mapping[str, Any], shapes: Dict[str, Any]) -> Dict[str, Any]:
        out = {}
        for name, model in members.items():
            ref = self._flatten(model, shapes)
            # member-level serialization traits travel on the reference
            for key in _SERIALIZATION_KEYS:
                if key in model:
                    ref[key] = model[key]
            out[name] = ref
        return out
