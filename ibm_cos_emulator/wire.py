"""Plain request/response values passed between the emulator's layers.

The HTTP server turns bytes on the socket into a :class:`Request`; every layer
(IAM, auth, COS extensions, the moto engine) answers with a :class:`Response`.
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Dict, Iterable, List, Optional, Tuple
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:  # for annotations only: auth imports this module
    from ibm_cos_emulator.auth import Principal
    from ibm_cos_emulator.sigv4 import Verified

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"

_REASONS = {
    100: "Continue", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
    206: "Partial Content", 301: "Moved Permanently", 303: "See Other", 304: "Not Modified",
    307: "Temporary Redirect", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 411: "Length Required",
    412: "Precondition Failed", 416: "Requested Range Not Satisfiable", 429: "Too Many Requests",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}


def reason_phrase(status: int) -> str:
    return _REASONS.get(status, "Unknown")


def new_request_id() -> str:
    """A COS-looking request id (a UUID4 string)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def iso8601(when: _dt.datetime) -> str:
    """``2030-01-02T03:04:05.000Z`` (UTC, milliseconds); naive values are taken as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    when = when.astimezone(_dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> _dt.datetime:
    """Parse an ISO 8601 (basic or extended), RFC 7231 date or epoch-seconds value into UTC."""
    value = text.strip()
    if not value:
        raise ValueError("empty timestamp")
    if value.replace(".", "", 1).isdigit():
        return _dt.datetime.fromtimestamp(float(value), tz=_dt.timezone.utc)
    if value[0].isdigit():
        iso = value.replace("Z", "+00:00").replace("z", "+00:00")
        if "T" in iso and "-" not in iso[:8] and len(iso) >= 15:
            # basic format 20300102T030405+00:00
            iso = f"{iso[0:4]}-{iso[4:6]}-{iso[6:8]}T{iso[9:11]}:{iso[11:13]}:{iso[13:]}"
        parsed = _dt.datetime.fromisoformat(iso)
    else:
        from email.utils import parsedate_to_datetime

        parsed = parsedate_to_datetime(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return parsed.astimezone(_dt.timezone.utc)


def parse_query(raw_query: str) -> List[Tuple[str, str]]:
    """Split a raw query string into decoded (name, value) pairs, keeping blanks and order.

    ``+`` stays a literal plus (S3 clients percent-encode spaces as ``%20``).
    """
    pairs: List[Tuple[str, str]] = []
    if not raw_query:
        return pairs
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return pairs


class Headers:
    """Case-insensitive header map that remembers the original spelling and order."""

    def __init__(self, items: Iterable[Tuple[str, str]] = ()) -> None:
        self._items: List[Tuple[str, str]] = []
        for name, value in items:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        self._items.append((name, str(value)))

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        lname = name.lower()
        values = [v for k, v in self._items if k.lower() == lname]
        if not values:
            return default
        return ",".join(values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(k.lower() == name.lower() for k, _ in self._items)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def set(self, name: str, value: str) -> None:
        self.remove(name)
        self._items.append((name, str(value)))

    def setdefault(self, name: str, value: str) -> None:
        if name not in self:
            self.add(name, value)

    def remove(self, name: str) -> None:
        lname = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lname]

    def items(self) -> List[Tuple[str, str]]:
        return list(self._items)

    def lower_dict(self) -> Dict[str, str]:
        out: Dict[str, str] = {}
        for k, v in self._items:
            lk = k.lower()
            out[lk] = f"{out[lk]},{v}" if lk in out else v
        return out

    def copy(self) -> "Headers":
        return Headers(self._items)

    def __repr__(self) -> str:  # never shows values: they may hold secrets
        return f"Headers({[k for k, _ in self._items]!r})"


@dataclass
class Request:
    """One HTTP request as the emulator sees it."""

    method: str
    target: str
    headers: Headers
    body: bytes = b""
    request_id: str = field(default_factory=new_request_id)
    client: Tuple[str, int] = ("127.0.0.1", 0)
    # derived fields
    raw_path: str = ""
    raw_query: str = ""
    path: str = ""
    query: List[Tuple[str, str]] = field(default_factory=list)
    bucket: Optional[str] = None
    key: Optional[str] = None
    virtual_host: bool = False  # bucket named in the Host header
    operation: str = ""  # set by the router (routes.py)
    auth: Optional[Tuple[Principal, Optional[Verified]]] = None  # (Principal, Verified) found from the headers alone
    body_sha256: Optional[str] = None  # hex SHA-256 of the body, computed while it was read
    touched: List[str] = field(default_factory=list)  # keys changed besides ``key`` (DeleteObjects, POST)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        target = self.target
        if target.startswith(("http://", "https://")):
            split = urlsplit(target)
            target = split.path + ("?" + split.query if split.query else "")
        raw_path, _, raw_query = target.partition("?")
        self.raw_path = raw_path or "/"
        self.raw_query = raw_query
        self.path = unquote(self.raw_path)
        self.query = parse_query(raw_query)

    @property
    def args(self) -> Dict[str, str]:
        """First value of every query parameter."""
        out: Dict[str, str] = {}
        for name, value in self.query:
            out.setdefault(name, value)
        return out

    def has_arg(self, name: str) -> bool:
        return any(k == name for k, _ in self.query)

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.headers.get(name, default)

    @property
    def host(self) -> str:
        return self.headers.get("host", "") or ""

    @property
    def resource(self) -> str:
        """``/bucket/key`` as COS reports it in error bodies."""
        if self.bucket is None:
            return "/"
        return "/" + self.bucket + ("/" + self.key if self.key else "")

    # -- a body spooled to a file (see httpserver) -------------------------------------------------
    def attach_body_file(self, spool: IO[bytes], size: int) -> None:
        """Keep the body in ``spool`` (a file positioned anywhere) until someone reads ``body``."""
        self.__dict__["_body"] = b""
        self.__dict__["_body_file"] = (spool, size)

    @property
    def body_file(self) -> Optional[Tuple[IO[bytes], int]]:
        """(file, size) while the body has not been read into memory, else None."""
        return self.__dict__.get("_body_file")


def _get_body(self: Request) -> bytes:
    spooled = self.__dict__.get("_body_file")
    if spooled is not None:
        spool, _ = spooled
        spool.seek(0)
        self.__dict__["_body"] = spool.read()
        self.__dict__["_body_file"] = None
        spool.close()
    return self.__dict__.get("_body", b"")


def _set_body(self: Request, value: bytes) -> None:
    self.__dict__["_body"] = value
    self.__dict__["_body_file"] = None


# read on first use when the server spooled it to a file
Request.body = property(_get_body, _set_body)  # type: ignore[assignment]


@dataclass
class WireFault:
    """How the HTTP server should damage a response on the wire."""

    kind: str  # "drop" (no response), "cut" (headers + first n body bytes, then close)
    after_bytes: int = 0


@dataclass
class Response:
    """An HTTP response produced by one of the layers."""

    status: int = 200
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    wire_fault: Optional[WireFault] = None
    content_length: Optional[int] = None  # for HEAD responses: the entity length

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.headers.get(name, default)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def xml_response(status: int, body: str, headers: Optional[Headers] = None) -> Response:
    data = body.encode("utf-8")
    hdrs = headers.copy() if headers is not None else Headers()
    hdrs.set("Content-Type", "application/xml")
    return Response(status=status, headers=hdrs, body=data)



# -- what the COS layer reads and writes of the engine's objects (see engine.MotoEngine) -------------

@dataclass(frozen=True)
class StoredChecksum:
    """An object's checksum as the emulator keeps it: algorithm, base64 value, type and part count.

    ``type`` is COMPOSITE (``value`` is the checksum of the parts' digests over ``parts`` parts),
    FULL_OBJECT, or None (a PutObject checksum, shown bare).
    """

    algorithm: str
    value: str
    type: Optional[str] = None
    parts: Optional[int] = None


@dataclass(frozen=True)
class StoredObject:
    """One stored object version, as far as the COS layer needs to know it."""

    lock_mode: Optional[str] = None  # S3 Object Lock retention mode
    lock_until: Optional[str] = None  # S3 Object Lock retain-until date, as stored
    upload_id: Optional[str] = None  # the multipart upload it was completed from
    checksum: Optional[StoredChecksum] = None


@dataclass(frozen=True)
class StoredUpload:
    """An open multipart upload: the checksum algorithm and type asked for when it was created."""

    algorithm: str = ""
    type: str = ""
