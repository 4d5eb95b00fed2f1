"""What a log record, ``repr()`` or exception message may show of a request.

One list of secret header names, one placeholder, used by every place that shows headers,
parameters or a canonical request: the endpoint's debug log, the SigV4 debug log, the
request reprs, the resource layer's debug log and the validator's messages. Parameters are
judged by the model's ``sensitive`` trait, so a new secret member needs no code change here.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

REDACTED = "<redacted>"

#: Header names (lower case) whose values are credentials or key material.
SECRET_HEADERS = frozenset(
    (
        "authorization",
        "x-amz-security-token",
        "x-amz-server-side-encryption-customer-key",
        "x-amz-copy-source-server-side-encryption-customer-key",
        "ibm-sse-kp-customer-root-key-crn",
    )
)

#: Query parameters (lower case) that carry credentials (presigned URLs with a session token).
SECRET_QUERY = frozenset(("x-amz-security-token",))


def is_secret_header(name: str) -> bool:
    return name.lower() in SECRET_HEADERS


def headers(values: Mapping[str, Any]) -> Dict[str, Any]:
    """A copy of ``values`` with every secret header's value replaced."""
    return {key: REDACTED if key.lower() in SECRET_HEADERS else value for key, value in values.items()}


def canonical_request(text: str) -> str:
    """A SigV4 canonical request with secret header values and query values replaced.

    The canonical request is ``method\\npath\\nquery\\nname:value...\\n\\nsigned\\nhash``;
    header lines are ``name:value`` with lower-case names.
    """
    lines = text.split("\n")
    if len(lines) > 2 and lines[2]:
        lines[2] = _query(lines[2])
    for index in range(3, len(lines)):
        name, sep, _ = lines[index].partition(":")
        if sep and name in SECRET_HEADERS:
            lines[index] = name + ":" + REDACTED
    return "\n".join(lines)


def _query(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        name, sep, _ = pair.partition("=")
        pairs.append(name + "=" + REDACTED if sep and name.lower() in SECRET_QUERY else pair)
    return "&".join(pairs)


def params(values: Any, shape: Optional[Any]) -> Any:
    """A copy of the API parameters ``values`` with members of ``sensitive`` shapes replaced.

    ``shape`` is the operation's input shape (``None``: returned unchanged).
    """
    if shape is None or not isinstance(values, Mapping):
        return values
    members = getattr(shape, "members", None) or {}
    out = {}
    for key, value in values.items():
        member = members.get(key)
        if member is None:
            out[key] = value
        elif member.metadata.get("sensitive"):
            out[key] = REDACTED
        elif member.type_name == "structure":
            out[key] = params(value, member)
        else:
            out[key] = value
    return out
