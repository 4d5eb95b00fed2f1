"""Turn an HTTP response into the result dictionary, driven only by the model.

``create_parser('rest-xml').parse(response_dict, output_shape)`` where ``response_dict``
holds ``status_code``, ``headers`` and ``body`` (bytes, or the streaming body object for
streaming payloads). Error responses (status >= 301) become
``{'Error': {...}, 'ResponseMetadata': {...}}``, plus the members of the error shape at the
top level when the code is one of the operation's modeled ``errors``. An ``eventstream``
payload becomes an ``ibm_botocore.eventstream.EventStream``; a tagged union reports a
member it does not know as ``{'SDK_UNKNOWN_MEMBER': {'name': <tag>}}``.

Parsing tables (wire tag -> member, header -> member) are computed once per shape, so
list responses with thousands of entries cost one dictionary lookup per XML element.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Type, cast
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # ElementTree is imported on the first parse, not at import time
    from xml.etree.ElementTree import Element

from ibm_botocore.model import ListShape, MapShape, Shape, StructureShape, service_model_of
from ibm_botocore.utils import parse_timestamp

DEFAULT_TIMESTAMP_PARSER = parse_timestamp


class ResponseParserError(Exception):
    pass


def create_parser(protocol: str, timestamp_parser: Optional[Callable[[Any], Any]] = None, blob_parser: Optional[Callable[[str], bytes]] = None) -> "ResponseParser":
    """The response parser for a protocol (only ``rest-xml`` is shipped)."""
    try:
        cls = PROTOCOL_PARSERS[protocol]
    except KeyError:
        raise ValueError("Unsupported protocol for this SDK: %r" % (protocol,))
    return cls(timestamp_parser=timestamp_parser, blob_parser=blob_parser)


class ResponseParserFactory:
    def __init__(self) -> None:
        self._defaults: Dict[str, Any] = {}

    def set_parser_defaults(self, **kwargs: Any) -> None:
        self._defaults.update(kwargs)

    def create_parser(self, protocol_name: str) -> "ResponseParser":
        return create_parser(protocol_name, **self._defaults)


def _local(tag: str) -> str:
    if tag[:1] == "{":
        return tag[tag.index("}") + 1 :]
    return tag


def _xml_root(body: bytes) -> Element:
    from xml.etree.ElementTree import ParseError, XMLParser

    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        # S3 never sends a DTD: entity definitions are refused, not expanded
        raise ResponseParserError("Unable to parse response: the XML declares a DTD or entities, which is not accepted")
    parser = XMLParser()
    try:
        parser.feed(body)
        return parser.close()
    except ParseError as exc:
        raise ResponseParserError("Unable to parse response (%s), invalid XML received. Further retries may succeed:\n%r" % (exc, body[:2048]))


def _header_metadata(lowered: Mapping[str, str]) -> Dict[str, str]:
    """RequestId/HostId from the response headers (HostId only alongside a request id)."""
    if "x-amzn-requestid" in lowered:
        return {"RequestId": lowered["x-amzn-requestid"]}
    if "x-amz-request-id" in lowered:
        return {"RequestId": lowered["x-amz-request-id"], "HostId": lowered.get("x-amz-id-2", "")}
    return {}


MAX_XML_DEPTH = 32


def _element_value(node: Element, depth: int = 0) -> Any:
    """Untyped XML (error bodies): a leaf is its text, an element with children a dict."""
    children = list(node)
    if not children:
        return node.text
    if depth >= MAX_XML_DEPTH:
        raise ResponseParserError("Unable to parse response: XML nested more than %d levels deep" % MAX_XML_DEPTH)
    return {_local(child.tag): _element_value(child, depth + 1) for child in children}


def lowercase_headers(headers: Mapping[str, str]) -> Dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


# Scalar conversion kinds, resolved once per member.
_STRING, _INT, _FLOAT, _BOOL, _TIME, _BLOB, _STRUCT, _LIST, _FLATLIST, _MAP, _FLATMAP = range(11)


def _kind_of(shape: Shape) -> int:
    kind = shape.type_name
    if kind == "structure":
        return _STRUCT
    if kind == "list":
        return _FLATLIST if shape.serialization.get("flattened") else _LIST
    if kind == "map":
        return _FLATMAP if shape.serialization.get("flattened") else _MAP
    if kind in ("integer", "long"):
        return _INT
    if kind in ("float", "double"):
        return _FLOAT
    if kind == "boolean":
        return _BOOL
    if kind == "timestamp":
        return _TIME
    if kind == "blob":
        return _BLOB
    return _STRING


class _StructTable:
    """Per-structure parsing table: wire tag -> (member name, shape, kind)."""

    __slots__ = ("tags", "attributes", "flat_lists", "union")

    def __init__(self, shape: StructureShape) -> None:
        # The member's shape class follows from its kind (list, map, structure...).
        self.tags: Dict[str, Tuple[str, Any, int]] = {}
        self.attributes: Dict[str, Tuple[str, Shape]] = {}
        self.flat_lists: List[str] = []
        # A union reports a member it does not know instead of dropping it.
        self.union = shape.is_tagged_union
        for name, member in shape.members.items():
            ser = member.serialization
            if ser.get("location"):
                continue
            kind = _kind_of(member)
            if ser.get("xmlAttribute"):
                wire = ser.get("name", name)
                self.attributes[wire.split(":")[-1]] = (name, member)
                continue
            if kind == _FLATLIST:
                wire = cast(ListShape, member).member.serialization.get("name") or ser.get("name", name)
                self.flat_lists.append(name)
            else:
                wire = ser.get("name", name)
            self.tags[wire] = (name, member, kind)


class _OutputTable:
    """Per-output-shape table for the non-body parts of a response."""

    __slots__ = ("headers", "prefixes", "status_member", "payload", "payload_kind")

    def __init__(self, shape: StructureShape) -> None:
        self.headers: Dict[str, Tuple[str, Shape]] = {}
        self.prefixes: List[Tuple[str, str]] = []
        self.status_member: Optional[str] = None
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            if location == "header":
                self.headers[member.serialization.get("name", name).lower()] = (name, member)
            elif location == "headers":
                self.prefixes.append((member.serialization.get("name", "").lower(), name))
            elif location == "statusCode":
                self.status_member = name
        self.payload: Optional[str] = shape.serialization.get("payload")
        self.payload_kind: Optional[str] = None
        if self.payload is not None:
            payload_shape = shape.members[self.payload]
            if payload_shape.type_name == "blob" and payload_shape.serialization.get("streaming"):
                self.payload_kind = "stream"
            elif payload_shape.type_name == "structure" and payload_shape.serialization.get("eventstream"):
                self.payload_kind = "eventstream"
            elif payload_shape.type_name in ("blob", "string"):
                self.payload_kind = payload_shape.type_name
            else:
                self.payload_kind = "xml"


def _table(shape: Shape, attr: str, cls: type) -> Any:
    # Tables are cached on the shape object itself (shapes are cached per model).
    table = shape.__dict__.get(attr)
    if table is None:
        table = cls(shape)
        shape.__dict__[attr] = table
    return table


class ResponseParser:
    """Base parser: common metadata handling; protocols implement the body."""

    DEFAULT_ENCODING = "utf-8"

    def __init__(self, timestamp_parser: Optional[Callable[[Any], Any]] = None, blob_parser: Optional[Callable[[str], bytes]] = None) -> None:
        self._timestamp_parser = timestamp_parser or DEFAULT_TIMESTAMP_PARSER
        self._blob_parser = blob_parser or base64.b64decode

    def parse(self, response: Mapping[str, Any], shape: Optional[StructureShape]) -> Dict[str, Any]:
        status = response["status_code"]
        headers = response["headers"]
        lowered = lowercase_headers(headers)
        if status >= 301:
            parsed = self._parse_error(response, lowered, shape)
        else:
            try:
                parsed = {} if shape is None else self._parse_success(response, lowered, shape)
            except (ValueError, TypeError, OverflowError, binascii.Error) as exc:
                # a value of the wrong type (a date that is not one, a number that is not one)
                raise ResponseParserError("Unable to parse response: %s" % (exc,))
            parsed["ResponseMetadata"] = _header_metadata(lowered)
        metadata = parsed.get("ResponseMetadata")
        if metadata is None:
            metadata = parsed["ResponseMetadata"] = {}
        metadata["HTTPStatusCode"] = status
        metadata["HTTPHeaders"] = lowered
        return parsed

    # -- scalars --------------------------------------------------------------------
    def _scalar(self, text: Optional[str], shape: Shape, kind: int) -> Any:
        if kind == _STRING:
            return text if text is not None else ""
        if text is None:
            text = ""
        if kind == _INT:
            return int(text)
        if kind == _BOOL:
            return text.strip().lower() == "true"
        if kind == _TIME:
            return self._timestamp_parser(text)
        if kind == _FLOAT:
            return float(text)
        if kind == _BLOB:
            return self._blob_parser(text)
        return text

    def _parse_error(self, response: Mapping[str, Any], lowered: Mapping[str, str], shape: Optional[StructureShape] = None) -> Dict[str, Any]:
        raise NotImplementedError

    def _parse_success(self, response: Mapping[str, Any], lowered: Mapping[str, str], shape: StructureShape) -> Dict[str, Any]:
        raise NotImplementedError


class RestXMLParser(ResponseParser):
    """The rest-xml protocol (S3)."""

    def _parse_success(self, response: Mapping[str, Any], lowered: Mapping[str, str], shape: StructureShape) -> Dict[str, Any]:
        table: _OutputTable = _table(shape, "_rest_output_table", _OutputTable)
        result: Dict[str, Any] = {}
        if table.headers or table.prefixes:
            self._parse_headers(lowered, table, result, response["headers"])
        if table.status_member is not None:
            result[table.status_member] = response["status_code"]
        body = response.get("body")
        kind = table.payload_kind
        if kind is None:
            if body:
                root = _xml_root(body)
                result.update(self._structure(root, shape))
            return result
        payload: str = table.payload  # type: ignore[assignment]  # payload_kind is only set when payload is
        if kind == "stream":
            result[payload] = body
        elif kind == "eventstream":
            from ibm_botocore.eventstream import EventStream

            operation_name = (response.get("context") or {}).get("operation_name")
            result[payload] = EventStream(body, shape.members[payload], self._parse_xml_payload, operation_name)
        elif kind == "blob":
            result[payload] = body
        elif kind == "string":
            result[payload] = body.decode(self.DEFAULT_ENCODING) if isinstance(body, bytes) else body
        elif body:
            root = _xml_root(body)
            result[payload] = self._structure(root, shape.members[payload])  # type: ignore[arg-type]  # an XML payload is a structure
        return result

    def _parse_headers(self, lowered: Mapping[str, str], table: _OutputTable, result: Dict[str, Any], original: Mapping[str, str]) -> None:
        members = table.headers
        for name, value in lowered.items():
            hit = members.get(name)
            if hit is not None:
                member_name, member = hit
                result[member_name] = self._header_value(value, member)
        for prefix, member_name in table.prefixes:
            # Map keys keep the spelling the server used (x-amz-meta-Mixed-Case -> 'Mixed-Case').
            found = {}
            for name, value in original.items():
                if name.lower().startswith(prefix):
                    found[name[len(prefix) :]] = value
            result[member_name] = found

    def _header_value(self, value: str, shape: Shape) -> Any:
        kind = shape.type_name
        if kind == "string":
            if shape.serialization.get("jsonvalue"):
                return json.loads(base64.b64decode(value).decode("utf-8"))
            return value
        if kind in ("integer", "long"):
            return int(value)
        if kind == "boolean":
            return value.strip().lower() == "true"
        if kind == "timestamp":
            return self._timestamp_parser(value)
        if kind == "list":
            member = shape.member  # type: ignore[attr-defined]  # type_name "list" means ListShape
            return [self._scalar(part.strip(), member, _kind_of(member)) for part in value.split(",")]
        if kind in ("float", "double"):
            return float(value)
        return value

    # -- XML ------------------------------------------------------------------------
    def _parse_xml_payload(self, payload: bytes, shape: StructureShape) -> Dict[str, Any]:
        """An XML document parsed into ``shape`` (event-stream messages)."""
        return self._structure(_xml_root(payload), shape)

    def _structure(self, node: Element, shape: StructureShape) -> Dict[str, Any]:
        table: _StructTable = _table(shape, "_rest_struct_table", _StructTable)
        tags = table.tags
        result: Dict[str, Any] = {}
        if table.attributes and node.attrib:
            for key, value in node.attrib.items():
                attribute = table.attributes.get(_local(key))
                if attribute is not None:
                    result[attribute[0]] = value
        for child in node:
            tag = child.tag
            hit = tags.get(tag)
            if hit is None:
                local = _local(tag)
                hit = tags.get(local)
                if hit is None:
                    if table.union:
                        result["SDK_UNKNOWN_MEMBER"] = {"name": local}
                    continue
                tags[tag] = hit  # remember the namespaced spelling
            name, member, kind = hit
            if kind < _STRUCT:
                result[name] = self._scalar(child.text, member, kind)
            elif kind == _STRUCT:
                result[name] = self._structure(child, member)
            elif kind == _FLATLIST:
                item = self._value(child, member.member)
                existing = result.get(name)
                if existing is None:
                    result[name] = [item]
                else:
                    existing.append(item)
            elif kind == _LIST:
                item_shape = member.member
                result[name] = [self._value(grandchild, item_shape) for grandchild in child]
            elif kind == _MAP:
                result[name] = self._map_entries(list(child), member)
            else:  # flattened map: each child is an entry
                result.setdefault(name, {}).update(self._map_entries([child], member))
        return result

    def _value(self, node: Element, shape: Any) -> Any:
        # ``shape`` is whichever Shape subclass the model gives; its kind picks the branch.
        kind = _kind_of(shape)
        if kind < _STRUCT:
            return self._scalar(node.text, shape, kind)
        if kind == _STRUCT:
            return self._structure(node, shape)
        if kind in (_LIST, _FLATLIST):
            return [self._value(child, shape.member) for child in node]
        return self._map_entries(list(node), shape)

    def _map_entries(self, entries: List[Element], shape: MapShape) -> Dict[str, Any]:
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        out: Dict[str, Any] = {}
        key: Any
        value: Any
        for entry in entries:
            key = value = None
            for part in entry:
                tag = _local(part.tag)
                if tag == key_name:
                    key = self._value(part, shape.key)
                elif tag == value_name:
                    value = self._value(part, shape.value)
            out[key] = value
        return out

    # -- errors ---------------------------------------------------------------------
    def _parse_error(self, response: Mapping[str, Any], lowered: Mapping[str, str], shape: Optional[StructureShape] = None) -> Dict[str, Any]:
        """Error responses, in the shapes ibm-cos-sdk produces.

        * ``<Error>`` root (S3): every child except RequestId/HostId goes into ``Error``;
          the request id comes from the headers.
        * another root with an ``<Error>`` child (``<ErrorResponse>``): ``Error`` from that
          child (``Code``/``Message`` default to ''), ``RequestId`` from the root.
        * no body, a body that is not XML, or XML without any error element: ``Code`` is
          the status code and ``Message`` its reason phrase.

        When the code is one of the operation's modeled errors (``shape`` is the operation's
        output shape, which leads to the service model), that error shape's body members
        (from the ``<Error>`` element) and header members are added at the top level.
        """
        body = response.get("body")
        if isinstance(body, (bytes, bytearray)) and body.strip():
            try:
                root: Optional[Element] = _xml_root(bytes(body))
            except ResponseParserError:
                root = None
            try:
                if root is not None:
                    found = self._error_document(root, lowered)
                    if found is not None:
                        result, error_node = found
                        self._add_modeled_fields(result, error_node, response, lowered, shape)
                        return result
            except ResponseParserError:
                pass  # nested too deeply: the status code tells the error
        result = self._generic_error(response["status_code"], lowered)
        self._add_modeled_fields(result, None, response, lowered, shape)
        return result

    @staticmethod
    def _error_document(root: Element, lowered: Mapping[str, str]) -> Optional[Tuple[Dict[str, Any], Element]]:
        """The error dict of an XML error body and its ``<Error>`` element (None: not an error body)."""
        if _local(root.tag) == "Error":
            error = {}
            for child in root:
                tag = _local(child.tag)
                if tag not in ("RequestId", "HostId"):
                    error[tag] = _element_value(child)
            return {"Error": error, "ResponseMetadata": _header_metadata(lowered)}, root
        values = {_local(child.tag): _element_value(child) for child in root}
        if not isinstance(values.get("Error"), dict):
            return None
        result: Dict[str, Any] = {"Error": {"Message": "", "Code": ""}}
        result["Error"].update(values.pop("Error"))
        if "RequestId" in values:
            result["ResponseMetadata"] = {"RequestId": values.pop("RequestId")}
        for key, value in values.items():
            result.setdefault(key, value)
        error_node = next(child for child in root if _local(child.tag) == "Error")
        return result, error_node

    def _add_modeled_fields(
        self,
        result: Dict[str, Any],
        error_node: Optional[Element],
        response: Mapping[str, Any],
        lowered: Mapping[str, str],
        shape: Optional[StructureShape],
    ) -> None:
        context = response.get("context") or {}
        service = context.get("service_model") or (None if shape is None else service_model_of(shape))
        code = result["Error"].get("Code")
        if service is None or not isinstance(code, str) or not code:
            return
        error_shape = service.modeled_error_shape(code, context.get("operation_name"))
        if error_shape is None:
            return
        fields: Dict[str, Any] = {}
        try:
            table: _OutputTable = _table(error_shape, "_rest_output_table", _OutputTable)
            if table.headers or table.prefixes:
                self._parse_headers(lowered, table, fields, response["headers"])
            if error_node is not None:
                fields.update(self._structure(error_node, error_shape))
        except (ValueError, TypeError, OverflowError, binascii.Error) as exc:
            raise ResponseParserError("Unable to parse the modeled fields of error %s: %s" % (code, exc))
        for key, value in fields.items():
            if key not in ("Error", "ResponseMetadata"):
                result[key] = value

    @staticmethod
    def _generic_error(status: int, lowered: Mapping[str, str]) -> Dict[str, Any]:
        return {
            "Error": {"Code": str(status), "Message": _reason_phrase(status)},
            "ResponseMetadata": {"RequestId": lowered.get("x-amz-request-id", ""), "HostId": lowered.get("x-amz-id-2", "")},
        }


def _reason_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


PROTOCOL_PARSERS: Dict[str, Type[ResponseParser]] = {"rest-xml": RestXMLParser}
