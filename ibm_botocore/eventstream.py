"""Event-stream responses: binary framed messages read from a streaming body.

Contract:

* The wire format is the AWS event-stream framing. Each message is
  ``prelude (total length u32, headers length u32, CRC-32 of those 8 bytes u32)``,
  ``headers``, ``payload``, ``CRC-32 of everything before it (u32)``; integers are
  big-endian. A header is ``name length u8, name (UTF-8), value type u8, value``.
* Both CRCs are checked; a mismatch raises ``ChecksumMismatch`` and a frame whose lengths
  do not add up raises ``InvalidHeadersLength`` / ``InvalidPayloadLength`` (all are
  ``ParserError``). Nothing after a bad frame is trusted, so iteration stops there.
* ``EventStream`` is what a parsed response holds for an ``eventstream`` payload member.
  Iterating it yields one ``{EventName: {members...}}`` per event message: members marked
  ``eventheader`` come from the message headers, the ``eventpayload`` member gets the
  payload (blob: the raw bytes, string: the decoded text, structure: parsed from XML), and an
  event without an ``eventpayload`` member is parsed from the payload as XML. An event name
  the model does not know gives ``{"SDK_UNKNOWN_MEMBER": {"name": <name>}}``.
* A message whose ``:message-type`` is ``exception`` or ``error`` raises
  ``ibm_botocore.exceptions.EventStreamError`` (a ``ClientError``) with ``Error.Code`` and
  ``Error.Message`` set (plus the exception's modeled members at the top level).
* ``close()`` closes the underlying HTTP stream; it is safe to call more than once.
"""
from __future__ import annotations

import datetime
import struct
import uuid
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from ibm_botocore.exceptions import EventStreamError

# Limits of the framing (a message or its headers cannot be larger than these).
_PRELUDE_LENGTH = 12
_TRAILER_LENGTH = 4
_MAX_MESSAGE_LENGTH = 16 * 1024 * 1024
_MAX_HEADERS_LENGTH = 128 * 1024
_READ_SIZE = 64 * 1024

# (payload member bytes, shape) -> parsed structure; supplied by the protocol parser.
XMLParse = Callable[[bytes, Any], Dict[str, Any]]


class ParserError(Exception):
    """The bytes of an event stream are not a valid message."""


class DuplicateHeader(ParserError):
    def __init__(self, header: str) -> None:
        super().__init__("Duplicate header present: %r" % (header,))


class InvalidHeadersLength(ParserError):
    def __init__(self, length: int) -> None:
        super().__init__("Header length of %s exceeded the maximum of %s" % (length, _MAX_HEADERS_LENGTH))


class InvalidPayloadLength(ParserError):
    def __init__(self, length: int) -> None:
        super().__init__("Message length of %s is not between %s and %s" % (length, _PRELUDE_LENGTH + _TRAILER_LENGTH, _MAX_MESSAGE_LENGTH))


class ChecksumMismatch(ParserError):
    def __init__(self, expected: int, calculated: int) -> None:
        super().__init__("Checksum mismatch: expected 0x%08x, calculated 0x%08x" % (expected, calculated))


@dataclass(frozen=True)
class EventStreamMessage:
    """One decoded message: its headers (name -> typed value) and payload bytes."""

    headers: Dict[str, Any]
    payload: bytes


# --- header values ------------------------------------------------------------------
def _fixed(fmt: str) -> Callable[[bytes, int], Tuple[Any, int]]:
    size = struct.calcsize(fmt)

    def read(data: bytes, offset: int) -> Tuple[Any, int]:
        return struct.unpack_from(fmt, data, offset)[0], offset + size

    return read


def _sized(data: bytes, offset: int) -> Tuple[bytes, int]:
    (length,) = struct.unpack_from("!H", data, offset)
    start = offset + 2
    if start + length > len(data):
        raise InvalidHeadersLength(len(data))
    return data[start : start + length], start + length


def _text(data: bytes, offset: int) -> Tuple[str, int]:
    raw, offset = _sized(data, offset)
    return raw.decode("utf-8"), offset


def _uuid(data: bytes, offset: int) -> Tuple[uuid.UUID, int]:
    if offset + 16 > len(data):
        raise InvalidHeadersLength(len(data))
    return uuid.UUID(bytes=data[offset : offset + 16]), offset + 16


# value type -> reader; 0/1 are the booleans (no value bytes), 8 a timestamp in ms since the epoch
_VALUE_READERS: Dict[int, Callable[[bytes, int], Tuple[Any, int]]] = {
    0: lambda data, offset: (True, offset),
    1: lambda data, offset: (False, offset),
    2: _fixed("!b"),
    3: _fixed("!h"),
    4: _fixed("!i"),
    5: _fixed("!q"),
    6: _sized,
    7: _text,
    8: _fixed("!q"),
    9: _uuid,
}


def decode_headers(data: bytes) -> Dict[str, Any]:
    """The headers block of one message as ``{name: value}``."""
    headers: Dict[str, Any] = {}
    offset = 0
    try:
        while offset < len(data):
            name_length = data[offset]
            name = data[offset + 1 : offset + 1 + name_length].decode("utf-8")
            offset += 1 + name_length
            reader = _VALUE_READERS.get(data[offset])
            if reader is None:
                raise ParserError("Unknown header value type %d for header %r" % (data[offset], name))
            value, offset = reader(data, offset + 1)
            if name in headers:
                raise DuplicateHeader(name)
            headers[name] = value
    except (IndexError, struct.error):
        raise InvalidHeadersLength(len(data))
    return headers


# --- framing --------------------------------------------------------------------------
def _check_crc(data: bytes, expected: int) -> None:
    calculated = zlib.crc32(data) & 0xFFFFFFFF
    if calculated != expected:
        raise ChecksumMismatch(expected, calculated)


class EventStreamBuffer:
    """Accumulates bytes (``add_data``) and yields each complete message once."""

    def __init__(self) -> None:
        self._data = bytearray()

    def add_data(self, data: bytes) -> None:
        self._data.extend(data)

    def __iter__(self) -> Iterator[EventStreamMessage]:
        while True:
            message = self._next_message()
            if message is None:
                return
            yield message

    @property
    def pending(self) -> int:
        """How many bytes of an incomplete message are buffered."""
        return len(self._data)

    def _next_message(self) -> Optional[EventStreamMessage]:
        data = self._data
        if len(data) < _PRELUDE_LENGTH:
            return None
        total, headers_length, prelude_crc = struct.unpack_from("!III", data, 0)
        _check_crc(bytes(data[:8]), prelude_crc)
        if not _PRELUDE_LENGTH + _TRAILER_LENGTH <= total <= _MAX_MESSAGE_LENGTH:
            raise InvalidPayloadLength(total)
        if headers_length > _MAX_HEADERS_LENGTH or headers_length > total - _PRELUDE_LENGTH - _TRAILER_LENGTH:
            raise InvalidHeadersLength(headers_length)
        if len(data) < total:
            return None
        frame = bytes(data[:total])
        del data[:total]
        (message_crc,) = struct.unpack_from("!I", frame, total - _TRAILER_LENGTH)
        _check_crc(frame[: total - _TRAILER_LENGTH], message_crc)
        headers_end = _PRELUDE_LENGTH + headers_length
        headers = decode_headers(frame[_PRELUDE_LENGTH:headers_end])
        return EventStreamMessage(headers, frame[headers_end : total - _TRAILER_LENGTH])


# --- events ---------------------------------------------------------------------------
def _header_member(value: Any, shape: Any) -> Any:
    if shape.type_name == "timestamp" and isinstance(value, int):
        return datetime.datetime.fromtimestamp(value / 1000.0, tz=datetime.timezone.utc)
    return value


def _payload_member(payload: bytes, shape: Any, parse_xml: XMLParse) -> Any:
    if shape.type_name == "blob":
        return payload
    if shape.type_name == "string":
        return payload.decode("utf-8")
    return parse_xml(payload, shape) if payload else {}


def _event_members(message: EventStreamMessage, shape: Any, parse_xml: XMLParse) -> Dict[str, Any]:
    """The members of one event structure, from the message's headers and payload."""
    out: Dict[str, Any] = {}
    payload_member = False
    for name, member in shape.members.items():
        serialization = member.serialization
        if serialization.get("eventheader"):
            if name in message.headers:
                out[name] = _header_member(message.headers[name], member)
        elif serialization.get("eventpayload"):
            payload_member = True
            out[name] = _payload_member(message.payload, member, parse_xml)
    if not payload_member and message.payload and shape.members:
        for name, value in parse_xml(message.payload, shape).items():
            out.setdefault(name, value)
    return out


class EventStream:
    """An iterable of the events of one response; ``close()`` releases the connection."""

    def __init__(self, raw_stream: Any, output_shape: Any, parse_xml: XMLParse, operation_name: Optional[str] = None) -> None:
        self._raw_stream = raw_stream
        self._output_shape = output_shape
        self._parse_xml = parse_xml
        self._operation_name = operation_name or ""
        self._closed = False

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        for message in self._messages():
            event = self._event(message)
            if event is not None:
                yield event

    def _messages(self) -> Iterator[EventStreamMessage]:
        buffer = EventStreamBuffer()
        while not self._closed:
            chunk = self._raw_stream.read(_READ_SIZE)
            if not chunk:
                break
            buffer.add_data(chunk)
            yield from buffer
        if buffer.pending and not self._closed:
            raise ParserError("The event stream ended inside a message (%d bytes left over)" % buffer.pending)

    def _event(self, message: EventStreamMessage) -> Optional[Dict[str, Any]]:
        headers = message.headers
        kind = headers.get(":message-type")
        if kind == "error":
            error = {"Code": headers.get(":error-code", ""), "Message": headers.get(":error-message", "")}
            raise EventStreamError({"Error": error}, self._operation_name)
        if kind == "exception":
            raise self._exception(message)
        if kind != "event":
            return None  # other message types carry nothing for the caller
        name = headers.get(":event-type", "")
        member = self._output_shape.members.get(name)
        if member is None:
            return {"SDK_UNKNOWN_MEMBER": {"name": name}}
        return {name: _event_members(message, member, self._parse_xml)}

    def _exception(self, message: EventStreamMessage) -> EventStreamError:
        code = message.headers.get(":exception-type", "")
        member = self._output_shape.members.get(code)
        fields: Dict[str, Any] = {}
        if member is not None:
            fields = _event_members(message, member, self._parse_xml)
        text = fields.get("Message")
        if not isinstance(text, str):
            text = message.payload.decode("utf-8", errors="replace")
        response: Dict[str, Any] = dict(fields)
        response["Error"] = {"Code": code, "Message": text}
        return EventStreamError(response, self._operation_name)

    def close(self) -> None:
        """Stop reading and close the HTTP stream."""
        if not self._closed:
            self._closed = True
            self._raw_stream.close()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


__all__: List[str] = [
    "ChecksumMismatch",
    "DuplicateHeader",
    "EventStream",
    "EventStreamBuffer",
    "EventStreamMessage",
    "InvalidHeadersLength",
    "InvalidPayloadLength",
    "ParserError",
    "decode_headers",
]
