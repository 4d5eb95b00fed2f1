"""Reference text for client methods, rendered from the service model.

One renderer serves two readers: ``help(client.put_object)`` (the client's lazy docstrings) and
the documentation site's API reference (``docs/_ext/cosref.py``), so the two never disagree.
The output is reStructuredText: a request-syntax block, one ``:param:`` field per input member
(type, REQUIRED, allowed values, where it goes on the wire), a response-syntax block and the
modeled errors. Nothing here runs on the request path; it is imported the first time a docstring
is read.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, List, Optional, Set

__all__ = ["operation_docstring", "shape_syntax", "strip_tags", "wire_location", "type_label"]

_TAG = re.compile(r"<[^>]+>")
#: Nesting shown in syntax blocks before a shape is abbreviated to ``{...}`` / ``[...]``.
_MAX_DEPTH = 6


def strip_tags(text: Optional[str]) -> str:
    """Model documentation with any HTML markup removed."""
    return _TAG.sub("", text or "").strip()


def type_label(shape: Any) -> str:
    """The Python type a caller passes (or receives) for ``shape``."""
    kind = shape.type_name
    if kind in ("structure", "map"):
        return "dict"
    if kind == "list":
        return "list"
    if kind == "blob":
        return "bytes or seekable file-like object" if shape.serialization.get("streaming") else "bytes"
    if kind == "timestamp":
        return "datetime"
    if kind in ("integer", "long"):
        return "integer"
    if kind == "boolean":
        return "boolean"
    value: str = kind
    return value


def wire_location(member: Any, name: str, payload: Optional[str] = None) -> str:
    """Where an input member travels: a header, the query string, the URI path or the body.

    ``payload`` is the name of the input shape's payload member, if it has one.
    """
    ser = member.serialization
    where = ser.get("location")
    wire = ser.get("name", name)
    if where == "header":
        return "header ``%s``" % wire
    if where == "headers":
        return "headers ``%s*`` (one per key)" % wire
    if where == "querystring":
        return "query parameter ``%s``" % wire
    if where == "uri":
        return "URI path"
    if name == payload:
        return "the request body" if member.type_name != "structure" else "the request body (XML ``<%s>``)" % wire
    return "XML element ``%s``" % wire


def _scalar_placeholder(shape: Any, output: bool = False) -> str:
    enum = shape.metadata.get("enum")
    if enum:
        shown = ["'%s'" % value for value in enum[:4]]
        return " | ".join(shown) + (" | ..." if len(enum) > 4 else "")
    kind = shape.type_name
    if kind == "string":
        return "'string'"
    if kind == "blob":
        if shape.serialization.get("streaming"):
            return "StreamingBody()" if output else "b'bytes' or file"
        return "b'bytes'"
    if kind == "timestamp":
        return "datetime(2030, 1, 1)"
    if kind in ("integer", "long"):
        return "123"
    if kind in ("float", "double"):
        return "1.5"
    if kind == "boolean":
        return "True | False"
    value: str = kind
    return value


def shape_syntax(shape: Any, indent: int = 0, seen: Optional[Set[str]] = None, depth: int = 0,
                 output: bool = False) -> List[str]:
    """Lines of a Python-literal sketch of ``shape`` (the text after ``=`` or ``:``).

    The first line is not indented (the caller puts it after a name); the rest are indented
    ``indent`` spaces. Recursive shapes and deep nesting are cut short with ``...``. ``output``
    selects how a streaming body is shown (what a response holds rather than what a caller sends).
    """
    seen = set() if seen is None else seen
    kind = shape.type_name
    if kind not in ("structure", "list", "map"):
        return [_scalar_placeholder(shape, output)]
    if shape.name in seen or depth >= _MAX_DEPTH:
        return ["{...}" if kind != "list" else "[...]"]
    seen = seen | {shape.name}
    pad = " " * (indent + 4)
    if kind == "list":
        inner = shape_syntax(shape.member, indent + 4, seen, depth + 1, output)
        if len(inner) == 1:
            return ["[%s, ...]" % inner[0]]
        return ["[", pad + inner[0]] + inner[1:-1] + [inner[-1] + ",", " " * indent + "]"]
    if kind == "map":
        inner = shape_syntax(shape.value, indent + 4, seen, depth + 1, output)
        key = _scalar_placeholder(shape.key)
        return ["{", pad + "%s: %s" % (key, inner[0])] + inner[1:] + [" " * indent + "}"]
    lines = ["{"]
    for name, member in shape.members.items():
        lines += _member_lines("'%s': " % name, member, indent + 4, name in shape.required_members, seen, depth, output)
    lines.append(" " * indent + "}")
    return lines


def _member_lines(label: str, member: Any, indent: int, required: bool, seen: Set[str], depth: int,
                  output: bool = False) -> List[str]:
    """``label`` followed by the sketch of ``member``, a trailing comma and a required mark."""
    inner = shape_syntax(member, indent, seen, depth + 1, output)
    mark = ",  # required" if required else ","
    first = " " * indent + label + inner[0]
    if len(inner) == 1:
        return [first + mark]
    return [first] + inner[1:-1] + [inner[-1] + mark]


def _request_syntax(method_name: str, shape: Any) -> List[str]:
    lines = ["    response = client.%s(" % method_name]
    if shape is not None:
        for name, member in shape.members.items():
            lines += _member_lines("%s=" % name, member, 8, name in shape.required_members, set(), 0)
    lines.append("    )")
    return lines


def _param_fields(shape: Any) -> List[str]:
    lines: List[str] = []
    required = set(shape.required_members)
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        text = strip_tags(member.documentation)
        flag = "**[REQUIRED]** " if name in required else ""
        lines.append(":type %s: %s" % (name, type_label(member)))
        lines.append(":param %s: %s%s%sSent as %s." % (name, flag, text, " " if text else "", wire_location(member, name, payload)))
        enum = member.metadata.get("enum")
        if enum:
            lines.append("    Valid values: %s." % ", ".join("``%s``" % value for value in enum))
        lines.append("")
    return lines


def _response_block(shape: Any) -> List[str]:
    if shape is None or not shape.members:
        return ["**Response**: a dict with only ``ResponseMetadata``.", ""]
    body = shape_syntax(shape, 0, output=True)
    lines = ["**Response Syntax**::", ""]
    lines.extend("    " + line for line in body[:-1])
    lines.append("        'ResponseMetadata': {...},")
    lines.append("    " + body[-1])
    return lines + [""]


def _error_lines(error_shapes: Iterable[Any]) -> List[str]:
    names = [shape.name for shape in error_shapes]
    if not names:
        return []
    listed = ", ".join("``client.exceptions.%s``" % name for name in names)
    return ["**Modeled errors** (subclasses of ``ClientError``): %s." % listed, ""]


def operation_docstring(operation_model: Any, method_name: str) -> str:
    """The reStructuredText reference of one client method."""
    lines = [strip_tags(operation_model.documentation) or "Calls the %s operation." % operation_model.name, ""]
    http = operation_model.http
    lines.append("**Request**: ``%s %s``" % (http.get("method", ""), http.get("requestUri", "")))
    lines += ["", "**Request Syntax**::", ""]
    shape = operation_model.input_shape
    lines += _request_syntax(method_name, shape)
    lines.append("")
    lines += _response_block(operation_model.output_shape)
    lines += _error_lines(operation_model.error_shapes)
    if shape is not None:
        lines += _param_fields(shape)
    lines.append(":rtype: dict")
    lines.append(":returns: the response, as in the response syntax above.")
    return "\n".join(lines)
