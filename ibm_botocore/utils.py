"""Small helpers shared by several stages: encoding, timestamps, hashing, MD5."""
from __future__ import annotations

import base64
import datetime
import hashlib
import os
import re
import sys
from typing import Any, Iterable, List, Mapping, Optional, Tuple, Union
from urllib.parse import quote

from ibm_botocore.exceptions import MD5UnavailableError

try:
    hashlib.md5(b"")
    MD5_AVAILABLE = True
except (ValueError, AttributeError):  # FIPS builds
    MD5_AVAILABLE = False


def _make_utc() -> datetime.tzinfo:
    # dateutil's tzutc() is what ibm-cos-sdk puts on every parsed datetime (so reprs
    # and comparisons match); it is imported on first use, not at import time.
    from dateutil.tz import tzutc

    zone: datetime.tzinfo = tzutc()
    return zone


UTC: Optional[datetime.tzinfo] = None  # replaced by tzutc() on first use; see _utc()


def _utc() -> datetime.tzinfo:
    global UTC
    if UTC is None:
        UTC = _make_utc()
    return UTC

ISO8601 = "%Y-%m-%dT%H:%M:%SZ"
ISO8601_MICRO = "%Y-%m-%dT%H:%M:%S.%fZ"
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_UNRESERVED = "-_.~"


def percent_encode(value: Any, safe: str = _UNRESERVED) -> str:
    """RFC 3986 percent-encoding of ``value`` (str, bytes or anything str() works on)."""
    if not isinstance(value, (str, bytes)):
        value = str(value)
    return quote(value, safe=safe)


def percent_encode_sequence(mapping: Union[Mapping[str, Any], Iterable[Tuple[str, Any]]], safe: str = _UNRESERVED) -> str:
    """Encode a query mapping; list values repeat the key. Keeps the given order."""
    pairs = mapping.items() if hasattr(mapping, "items") else mapping
    parts = []
    for key, value in pairs:
        if isinstance(value, list):
            for item in value:
                parts.append("%s=%s" % (percent_encode(key, safe), percent_encode(item, safe)))
        else:
            parts.append("%s=%s" % (percent_encode(key, safe), percent_encode(value, safe)))
    return "&".join(parts)


def normalize_url_path(path: str) -> str:
    if not path:
        return "/"
    return remove_dot_segments(path)


def remove_dot_segments(url: str) -> str:
    """RFC 3986 dot-segment removal, empty segments collapsed; a trailing slash is kept
    (``//example//`` -> ``/example/``, ``/a/b/..`` -> ``/a/``)."""
    if not url:
        return ""
    out: List[str] = []
    segments = url.split("/")
    for segment in segments:
        if segment == "..":
            if out:
                out.pop()
        elif segment and segment != ".":
            out.append(segment)
    first = "/" if url.startswith("/") else ""
    last = "/" if out and segments[-1] in ("", ".", "..") else ""
    return first + "/".join(out) + last


# --- timestamps -------------------------------------------------------------------
_ISO_RE = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$"
)


def _to_utc_datetime(value: Union[datetime.datetime, datetime.date, str, int, float]) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=_utc())
        return value.astimezone(_utc())
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=_utc())
    return parse_timestamp(value)


_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_RFC822_RE = re.compile(r"^(?:[A-Za-z]{3}, )?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d\d):(\d\d):(\d\d) (?:GMT|UTC|\+0000|Z)$")
_fromisoformat = datetime.datetime.fromisoformat


def parse_timestamp(value: Union[str, int, float]) -> datetime.datetime:
    """Parse an ISO 8601, RFC 822 or epoch timestamp into an aware datetime (UTC).

    The two forms S3 sends (``2024-05-01T12:00:00.000Z`` in bodies and
    ``Wed, 01 May 2024 12:00:00 GMT`` in headers) take a fast path.
    """
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, _utc())
    text = value.strip()
    if len(text) >= 20 and text[-1] == "Z" and text[10] == "T" and sys.version_info >= (3, 11):
        try:
            return _fromisoformat(text).replace(tzinfo=_utc())
        except ValueError:
            pass
    match = _RFC822_RE.match(text)
    if match is not None:
        day, month, year, hour, minute, second = match.groups()
        month_number = _MONTHS.get(month.title())
        if month_number is not None:
            return datetime.datetime(int(year), month_number, int(day), int(hour), int(minute), int(second), tzinfo=_utc())
    match = _ISO_RE.match(text)
    if match is not None:
        year, month, day, hour, minute, second, frac, zone = match.groups()
        micro = int((frac or "0")[:6].ljust(6, "0"))
        result = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=_utc())
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            result = result - sign * offset
        return result
    try:
        return datetime.datetime.fromtimestamp(float(text), _utc())
    except ValueError:
        pass
    from dateutil import parser as date_parser

    try:
        parsed: datetime.datetime = date_parser.parse(text)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError("Invalid timestamp %r: %s" % (value, exc))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_utc())
    return parsed.astimezone(_utc())


def format_iso8601(value: Any) -> str:
    dt = _to_utc_datetime(value)
    if dt.microsecond:
        return dt.strftime(ISO8601_MICRO)
    return dt.strftime(ISO8601)


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_rfc822(value: Any) -> str:
    """``Wed, 02 Jan 2030 03:04:05 GMT`` (locale independent)."""
    dt = _to_utc_datetime(value)
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        _DAY_NAMES[dt.weekday()], dt.day, _MONTH_NAMES[dt.month - 1], dt.year, dt.hour, dt.minute, dt.second,
    )


def format_unix(value: Any) -> int:
    dt = _to_utc_datetime(value)
    return int(dt.timestamp())


TIMESTAMP_FORMATTERS = {
    "iso8601": format_iso8601,
    "rfc822": format_rfc822,
    "unixtimestamp": format_unix,
}


def format_timestamp(value: Any, fmt: str) -> Any:
    return TIMESTAMP_FORMATTERS[fmt.lower()](value)


# --- hashing ----------------------------------------------------------------------
def uuid4_str() -> str:
    """A random (version 4) UUID string, without importing the uuid module."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    text = raw.hex()
    return "%s-%s-%s-%s-%s" % (text[:8], text[8:12], text[12:16], text[16:20], text[20:])


def get_md5(data: bytes = b"") -> "hashlib._Hash":
    if not MD5_AVAILABLE:
        raise MD5UnavailableError()
    return hashlib.md5(data)


def feed_body(update: Any, body: Any, block_size: int = 1024 * 1024) -> None:
    """Pass every byte of a request body to ``update``: bytes-like, str (as UTF-8), or a
    seekable stream read in ``block_size`` blocks and put back where it was."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        update(body)
    elif isinstance(body, str):
        update(body.encode("utf-8"))
    elif body is not None:
        start = body.tell()
        for chunk in iter(lambda: body.read(block_size), b""):
            update(chunk)
        body.seek(start)


def calculate_md5_b64(body: Any) -> str:
    """Base64 MD5 of a bytes body or a seekable file-like body (position restored)."""
    md5 = get_md5()
    feed_body(md5.update, body)
    return base64.b64encode(md5.digest()).decode("ascii")


def get_encoding_from_headers(headers: Mapping[str, str], default: str = "ISO-8859-1") -> Optional[str]:
    content_type = headers.get("content-type")
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset":
            return value.strip("'\"")
    if "text" in content_type:
        return default
    return None
