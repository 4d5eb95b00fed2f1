"""What may go on the wire as an HTTP header: one rule, used in two places.

* The serializer checks every modeled header member (``ContentType``, ``Metadata`` keys
  and values, retention headers, ...) and raises ``ParamValidationError`` naming the
  member, before anything is signed or sent.
* Both transports check the finished header set once more just before writing, so a
  header added later (a ``before-send`` handler, a customization) cannot split the
  request either; nothing is written when it fails.

A value may not contain CR, LF or NUL (no folding, no smuggled second header); a name
must be an RFC 7230 token. The common case costs one C-level scan per value: a printable
string (``str.isprintable``) cannot contain a control character.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Optional, Set, Tuple

from ibm_botocore.exceptions import ParamValidationError

_BAD_VALUE = re.compile(r"[\r\n\x00]")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_BAD_VALUE_BYTES = re.compile(rb"[\r\n\x00]")

# Names seen to be valid; header names repeat from request to request, so checking a name
# is a set lookup after the first time. Bounded so odd metadata keys cannot grow it forever.
_GOOD_NAMES: Set[str] = set()
_GOOD_NAMES_MAX = 4096


def bad_value(value: Any) -> bool:
    """True when a header value (str or bytes) holds CR, LF or NUL."""
    if isinstance(value, str):
        return not value.isprintable() and _BAD_VALUE.search(value) is not None
    if isinstance(value, (bytes, bytearray)):
        return _BAD_VALUE_BYTES.search(value) is not None
    return _BAD_VALUE.search(str(value)) is not None


def bad_name(name: Any) -> bool:
    """True when a header name is not an RFC 7230 token."""
    if name in _GOOD_NAMES:
        return False
    if isinstance(name, bytes):
        name = name.decode("latin-1")
    if not isinstance(name, str) or _TOKEN.match(name) is None:
        return True
    if len(_GOOD_NAMES) >= _GOOD_NAMES_MAX:
        _GOOD_NAMES.clear()
    _GOOD_NAMES.add(name)
    return False


def check_member(member: str, value: Any, key: Optional[str] = None, name: Optional[str] = None) -> None:
    """Refuse a serialized header member: ``name`` is the header name it becomes (map
    members such as ``Metadata``), ``key`` the map key given by the caller."""
    if name is not None and bad_name(name):
        raise ParamValidationError(
            report='Invalid header name for parameter %s, key: "%s": header names must be RFC 7230 tokens '
            "(letters, digits and !#$%%&'*+-.^_`|~)" % (member, _printable(key if key is not None else name))
        )
    if bad_value(value):
        where = member if key is None else '%s, key: "%s"' % (member, _printable(key))
        raise ParamValidationError(
            report="Invalid header value for parameter %s: header values must not contain CR, LF or NUL characters" % where
        )


def first_bad_header(headers: Iterable[Tuple[Any, Any]]) -> Optional[str]:
    """The name of the first header (name, value) that must not be sent, else None."""
    for name, value in headers:
        if bad_name(name) or bad_value(value):
            return _printable(name if isinstance(name, str) else repr(name))
    return None


def refuse_headers(name: str) -> ParamValidationError:
    """The exception a transport raises for a malformed header (nothing was written)."""
    return ParamValidationError(
        report="Invalid HTTP header %s: header names must be RFC 7230 tokens and values must not contain "
        "CR, LF or NUL characters; nothing was sent" % name
    )


def _printable(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
