"""Turn validated parameters into a request dictionary, driven only by the model.

``create_serializer('rest-xml').serialize_to_request(params, operation_model)`` returns
``{'url_path', 'query_string', 'method', 'headers', 'body'}`` (plus ``'host_prefix'`` when
the operation's ``endpoint`` trait has a ``hostPrefix``; its ``{Label}`` parts come from the
``hostLabel`` members and must each be one DNS label). Everything the rest-xml
protocol needs (URI labels, querystring, headers, header maps, payload members, XML
bodies with namespaces, flattened and wrapped lists, timestamp formats) comes from the
shapes; nothing here knows about S3. A ``str`` blob payload is sent as UTF-8 bytes; a
header bound to an empty list is not sent.

Per operation a *plan* (URI template segments and a member -> location table) is
computed once and kept on the operation model.
"""
from __future__ import annotations

import base64
import json
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from ibm_botocore._headercheck import bad_value, check_member
from ibm_botocore.exceptions import ParamValidationError
from ibm_botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from ibm_botocore.utils import _to_utc_datetime, format_timestamp, percent_encode, uuid4_str
from ibm_botocore.validate import ParamValidationDecorator, ParamValidator

DEFAULT_TIMESTAMP_FORMATS = {"header": "rfc822", "querystring": "iso8601", "body": "iso8601"}

_LABEL_RE = re.compile(r"\{([^}]+)\}")
# A value expanded into a host prefix must be one DNS label.
_HOST_LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")


def create_serializer(protocol_name: str, include_validation: bool = True) -> Union["Serializer", ParamValidationDecorator]:
    """The serializer for a protocol; with ``include_validation`` it validates first."""
    try:
        serializer = SERIALIZERS[protocol_name]()
    except KeyError:
        raise ValueError("Unsupported protocol for this SDK: %r" % (protocol_name,))
    if include_validation:
        return ParamValidationDecorator(ParamValidator(), serializer)
    return serializer


# --- scalar conversions -----------------------------------------------------------
def _bool_text(value: Any) -> str:
    return "true" if value else "false"


def _timestamp_text(value: Any, shape: Shape, location: str) -> str:
    fmt = shape.serialization.get("timestampFormat") or DEFAULT_TIMESTAMP_FORMATS[location]
    return str(format_timestamp(value, fmt))


def _blob_b64(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(bytes(value)).decode("ascii")


def _scalar_text(value: Any, shape: Shape, location: str) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return _bool_text(value)
    if kind == "timestamp":
        return _timestamp_text(value, shape, location)
    if kind == "blob":
        return _blob_b64(value)
    if shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value, separators=(",", ":")).encode("utf-8")).decode("ascii")
    return str(value)


# --- XML writing ------------------------------------------------------------------
def _escape_text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _escape_attr(text: str) -> str:
    text = _escape_text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\t" in text:
        text = text.replace("\t", "&#09;")
    return text


def _namespace_attr(serialization: Mapping[str, Any]) -> str:
    ns = serialization.get("xmlNamespace")
    if not ns:
        return ""
    if isinstance(ns, str):
        return ' xmlns="%s"' % _escape_attr(ns)
    prefix = ns.get("prefix")
    if prefix:
        return ' xmlns:%s="%s"' % (prefix, _escape_attr(ns["uri"]))
    return ' xmlns="%s"' % _escape_attr(ns["uri"])


class _XMLWriter:
    """Writes values as XML text into a list of string parts."""

    def __init__(self) -> None:
        self.parts: List[str] = []

    def element(self, name: str, value: Any, shape: Any, extra_attrs: str = "") -> None:
        # ``shape`` is whichever Shape subclass the model gives; type_name picks the writer.
        kind = shape.type_name
        if kind == "structure":
            self.structure(name, value, shape, extra_attrs)
        elif kind == "list":
            self.list(name, value, shape)
        elif kind == "map":
            self.map(name, value, shape)
        else:
            self.leaf(name, _scalar_text(value, shape, "body"), extra_attrs)

    def leaf(self, name: str, text: str, attrs: str = "") -> None:
        if text == "":
            self.parts.append("<%s%s />" % (name, attrs))
        else:
            self.parts.append("<%s%s>%s</%s>" % (name, attrs, _escape_text(text), name))

    def structure(self, name: str, value: Mapping[str, Any], shape: StructureShape, extra_attrs: str = "") -> None:
        members = shape.members
        attrs = extra_attrs + _namespace_attr(shape.serialization)
        children: List[Tuple[str, Any, Shape]] = []
        # Members go out in the caller's order (as ibm-cos-sdk writes them).
        for key, item in value.items():
            if item is None:
                continue
            member = members.get(key)
            if member is None:
                continue
            ser = member.serialization
            wire = ser.get("name", key)
            if ser.get("xmlAttribute"):
                attrs += ' %s="%s"' % (wire, _escape_attr(_scalar_text(item, member, "body")))
            else:
                children.append((wire, item, member))
        start = len(self.parts)
        self.parts.append("<%s%s>" % (name, attrs))
        for wire, item, member in children:
            self.element(wire, item, member)
        if len(self.parts) == start + 1:
            # nothing inside (no members, or only empty flattened lists): self-closing
            self.parts[start] = "<%s%s />" % (name, attrs)
            return
        self.parts.append("</%s>" % name)

    def list(self, name: str, value: List[Any], shape: ListShape) -> None:
        member = shape.member
        if shape.serialization.get("flattened"):
            for item in value:
                self.element(name, item, member)
            return
        item_name = member.serialization.get("name", "member")
        if not value:
            self.parts.append("<%s />" % name)
            return
        self.parts.append("<%s>" % name)
        for item in value:
            self.element(item_name, item, member)
        self.parts.append("</%s>" % name)

    def map(self, name: str, value: Mapping[Any, Any], shape: MapShape) -> None:
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        flattened = shape.serialization.get("flattened")
        if not flattened:
            self.parts.append("<%s>" % name)
        entry = name if flattened else "entry"
        for key, item in value.items():
            self.parts.append("<%s>" % entry)
            self.element(key_name, key, shape.key)
            self.element(value_name, item, shape.value)
            self.parts.append("</%s>" % entry)
        if not flattened:
            self.parts.append("</%s>" % name)

    def text(self) -> str:
        return "".join(self.parts)


# --- the per-operation plan -------------------------------------------------------
class _MemberPlan:
    __slots__ = ("name", "location", "wire", "shape")

    def __init__(self, name: str, location: Optional[str], wire: str, shape: Shape) -> None:
        self.name = name
        self.location = location
        self.wire = wire
        # The member's Shape subclass follows from the model (its type_name).
        self.shape: Any = shape


class _RestPlan:
    """What the serializer precomputes for one operation."""

    def __init__(self, operation_model: OperationModel) -> None:
        http = operation_model.http
        self.method: str = http.get("method", "POST")
        self.request_uri: str = http.get("requestUri", "/")
        shape = operation_model.input_shape
        self.members: Dict[str, _MemberPlan] = {}
        self.payload: Optional[str] = None
        self.input_shape = shape
        self.idempotent: List[str] = operation_model.idempotent_members
        if shape is not None:
            self.payload = shape.serialization.get("payload")
            for name, member in shape.members.items():
                ser = member.serialization
                self.members[name] = _MemberPlan(name, ser.get("location"), ser.get("name", name), member)
        # URI template: alternating literal text and (label, greedy) pairs.
        self.uri_segments: List[Any] = []
        position = 0
        for match in _LABEL_RE.finditer(self.request_uri):
            self.uri_segments.append(self.request_uri[position : match.start()])
            label = match.group(1)
            greedy = label.endswith("+")
            self.uri_segments.append((label.rstrip("+"), greedy))
            position = match.end()
        self.uri_segments.append(self.request_uri[position:])
        self.uri_has_labels = len(self.uri_segments) > 1
        # The endpoint trait: a host prefix such as "{AccountId}." filled from members.
        self.host_prefix: Optional[str] = (operation_model.endpoint or {}).get("hostPrefix")
        self.host_labels: List[str] = []
        if self.host_prefix:
            self.host_labels = _LABEL_RE.findall(self.host_prefix)


def _plan_for(operation_model: OperationModel) -> _RestPlan:
    plan = operation_model.plan_cache.get("rest")
    if plan is None:
        plan = _RestPlan(operation_model)
        operation_model.plan_cache["rest"] = plan
    return plan


class Serializer:
    """Base of the protocol serializers."""

    DEFAULT_METHOD = "POST"

    def serialize_to_request(self, parameters: Mapping[str, Any], operation_model: OperationModel) -> Dict[str, Any]:
        raise NotImplementedError("serialize_to_request")


class RestXMLSerializer(Serializer):
    """The rest-xml protocol (used by S3)."""

    def serialize_to_request(self, parameters: Mapping[str, Any], operation_model: OperationModel) -> Dict[str, Any]:
        plan = _plan_for(operation_model)
        if plan.idempotent:
            parameters = dict(parameters)
            for name in plan.idempotent:
                if name not in parameters:
                    parameters[name] = uuid4_str()
        headers: Dict[str, str] = {}
        query: Dict[str, Any] = {}
        uri_values: Dict[str, str] = {}
        body_params: Dict[str, Any] = {}
        members = plan.members
        for key, value in parameters.items():
            if value is None:
                continue
            info = members.get(key)
            if info is None:
                continue
            location = info.location
            if location == "uri":
                uri_values[info.wire] = value
            elif location == "header":
                self._serialize_header(headers, info, value)
            elif location == "headers":
                prefix = info.wire
                for meta_key, meta_value in value.items():
                    name = prefix + meta_key
                    check_member(info.name, meta_value, meta_key, name)
                    headers[name] = meta_value
            elif location == "querystring":
                self._serialize_query(query, info, value)
            elif location == "statusCode":
                continue
            else:
                body_params[key] = value
        request = {
            "url_path": self._render_uri(plan, uri_values),
            "query_string": query,
            "method": plan.method,
            "headers": headers,
            "body": self._serialize_body(plan, body_params),
        }
        if plan.host_prefix:
            request["host_prefix"] = self._expand_host_prefix(plan.host_prefix, plan.host_labels, parameters)
        return request

    # -- pieces ---------------------------------------------------------------------
    @staticmethod
    def _render_uri(plan: _RestPlan, values: Mapping[str, Any]) -> str:
        if not plan.uri_has_labels:
            return plan.request_uri
        out = []
        for segment in plan.uri_segments:
            if isinstance(segment, str):
                out.append(segment)
                continue
            label, greedy = segment
            try:
                value = values[label]
            except KeyError:
                raise ParamValidationError(report='Missing required parameter in input: "%s"' % label)
            out.append(percent_encode(value, safe="/~" if greedy else "~"))
        return "".join(out)

    @staticmethod
    def _expand_host_prefix(template: str, labels: List[str], parameters: Mapping[str, Any]) -> str:
        """``template`` with each ``{Label}`` replaced by its (DNS-label-valid) member value."""
        values = {}
        for label in labels:
            value = parameters.get(label)
            if value is None or value == "":
                raise ParamValidationError(report='Missing required parameter in input: "%s" (it is part of the host name)' % label)
            text = str(value)
            if not _HOST_LABEL_RE.match(text):
                raise ParamValidationError(
                    report="Invalid value for parameter %s: %r, it is part of the host name and must be 1 to 63 "
                    "letters, digits or hyphens, not starting with a hyphen" % (label, text)
                )
            values[label] = text
        return _LABEL_RE.sub(lambda match: values[match.group(1)], template)

    @staticmethod
    def _serialize_header(headers: Dict[str, str], info: _MemberPlan, value: Any) -> None:
        shape = info.shape
        kind = shape.type_name
        if kind == "timestamp":
            # header timestamps carry whole seconds (fractions are dropped, as ibm-cos-sdk does)
            whole = _to_utc_datetime(value).replace(microsecond=0)
            headers[info.wire] = _timestamp_text(whole, shape, "header")
        elif kind == "boolean":
            # Header booleans go out as Python spells them ("True"/"False"), exactly as
            # ibm-cos-sdk sends them; query and XML booleans are lower case.
            headers[info.wire] = str(bool(value))
        elif kind == "list":
            if not value:
                return  # an empty list sends no header at all
            member = shape.member
            headers[info.wire] = ",".join(_scalar_text(v, member, "header") for v in value)
        elif kind == "string" and not shape.serialization.get("jsonvalue"):
            headers[info.wire] = value
        else:
            headers[info.wire] = _scalar_text(value, shape, "header")
        if bad_value(headers[info.wire]):
            check_member(info.name, headers[info.wire])

    @staticmethod
    def _serialize_query(query: Dict[str, Any], info: _MemberPlan, value: Any) -> None:
        shape = info.shape
        kind = shape.type_name
        if kind == "map":
            value_shape = shape.value
            for map_key, map_value in value.items():
                if value_shape.type_name == "list":
                    query[map_key] = [_scalar_text(v, value_shape.member, "querystring") for v in map_value]
                else:
                    query[map_key] = _scalar_text(map_value, value_shape, "querystring")
        elif kind == "list":
            query[info.wire] = [_scalar_text(v, shape.member, "querystring") for v in value]
        elif kind == "string":
            query[info.wire] = value
        else:
            query[info.wire] = _scalar_text(value, shape, "querystring")

    def _serialize_body(self, plan: _RestPlan, body_params: Dict[str, Any]) -> Any:
        payload = plan.payload
        if payload is not None:
            if payload not in body_params:
                return b""
            info = plan.members[payload]
            value = body_params[payload]
            kind = info.shape.type_name
            if kind == "blob" or kind == "string":
                return value.encode("utf-8") if isinstance(value, str) else value
            return self._xml_document(info.wire, value, info.shape)
        if not body_params:
            return b""
        shape: StructureShape = plan.input_shape  # type: ignore[assignment]  # body params exist only with an input shape
        root_name = shape.serialization.get("name", shape.name)
        return self._xml_document(root_name, body_params, shape)

    @staticmethod
    def _xml_document(root_name: str, value: Any, shape: Shape) -> bytes:
        writer = _XMLWriter()
        writer.element(root_name, value, shape)
        return writer.text().encode("utf-8")


SERIALIZERS: Dict[str, Callable[[], Serializer]] = {"rest-xml": RestXMLSerializer}
