"""The typed values one request carries from stage to stage.

``RequestContext`` is what the pipeline knows about one call: built by the client,
filled by the S3 step (``body``, ``encoding_type_auto_set``, ``validate_response_checksum``),
read by the signer (``body``, ``timestamp``) and the endpoint (``attempt``). Stages read
and write its attributes. It is also the ``context`` mapping that event handlers receive,
as in ibm-cos-sdk: ``context["operation_name"]`` and the other names ibm-cos-sdk puts
there read the same attributes, and keys of a handler's own are kept beside them.

``BodyPlan`` is the one decision about a request body: whether SigV4 hashes it, which
checksum goes with it and where (a header, or an aws-chunked trailer). The S3 step makes
it (:func:`ibm_botocore.s3.plan_body`); the signer and the transfer manager read it and
decide nothing themselves.

The ``*Body`` protocols name what a request body may offer the transports beyond
``read()``: a file region for sendfile(2), aws-chunked frames, reads without a copy,
digests computed while it was read. Transfer bodies implement them; senders ask
:func:`offers`, which answers ``isinstance`` once per body class (a runtime Protocol check
costs microseconds per call, too much for every request).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, MutableMapping, Optional, Protocol, Tuple, Union, runtime_checkable

__all__ = [
    "BodyPlan",
    "ChecksumPlacement",
    "DigestedBody",
    "FramedBody",
    "RequestContext",
    "SendfileBody",
    "ViewReadableBody",
    "offers",
    "UNSIGNED_PAYLOAD",
    "STREAMING_UNSIGNED_PAYLOAD_TRAILER",
]

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_UNSIGNED_PAYLOAD_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


# --- the body decision ------------------------------------------------------------------
@dataclass(frozen=True)
class ChecksumPlacement:
    """A request checksum: ``algorithm`` (lower case, e.g. ``"crc32"``), the header it is
    sent as (``x-amz-checksum-crc32``), and whether it travels in an aws-chunked trailer."""

    algorithm: str
    header: str
    in_trailer: bool


@dataclass(frozen=True)
class BodyPlan:
    """How a request body is signed and checked, decided once by the S3 step.

    ``sign_payload``: SigV4 puts the body's SHA-256 in ``X-Amz-Content-SHA256`` (True) or
    a marker that says it does not (False: ``UNSIGNED-PAYLOAD``, or
    ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` for a trailer body). ``checksum``: the flexible
    checksum sent with the body, if any.
    """

    sign_payload: bool
    checksum: Optional[ChecksumPlacement] = None

    @property
    def in_trailer(self) -> bool:
        return self.checksum is not None and self.checksum.in_trailer

    def payload_marker(self) -> Optional[str]:
        """What SigV4 sends instead of the body's SHA-256, or None when it hashes the body."""
        if self.sign_payload:
            return None
        return STREAMING_UNSIGNED_PAYLOAD_TRAILER if self.in_trailer else UNSIGNED_PAYLOAD


# --- what bodies offer the transports ---------------------------------------------------------
FileRegion = Tuple[int, int, int, Optional[Callable[[int], None]]]
#: one aws-chunked frame as the pieces to send in order: the frame header and trailer are
#: bytes, the data is what the source returned (possibly a view of a buffer it reuses)
Frame = Tuple[Union[bytes, bytearray, memoryview], ...]


@runtime_checkable
class SendfileBody(Protocol):
    """A file-backed body that can be sent with sendfile(2).

    ``sendfile_region()`` returns ``(fd, offset, count, on_sent)`` for the rest of the
    body, or None when it must be read (e.g. while a bandwidth limit meters reads);
    ``on_sent(count)`` is called after the kernel sent the bytes."""

    def sendfile_region(self) -> Optional[FileRegion]: ...


@runtime_checkable
class FramedBody(Protocol):
    """An aws-chunked body that hands out its frames (each a tuple of ``bytes``-like
    pieces, already framed), so a transport can send each without copying it into a
    read buffer."""

    def iter_frames(self) -> Iterator[Frame]: ...


@runtime_checkable
class ViewReadableBody(Protocol):
    """A body whose ``read_view(n)`` returns up to ``n`` bytes as a view of its own buffer
    (valid until the next read), so a sender need not copy them."""

    def read_view(self, amount: Optional[int] = -1) -> Union[bytes, memoryview]: ...


@runtime_checkable
class DigestedBody(Protocol):
    """A body that computed its digests while it was read (one pass over the bytes):
    ``precomputed_checksum("crc32")`` -> base64 value or None,
    ``precomputed_sha256_hex`` -> hex SHA-256 or None."""

    def precomputed_checksum(self, algorithm: str) -> Optional[str]: ...

    @property
    def precomputed_sha256_hex(self) -> Optional[str]: ...


_OFFERS: Dict[Tuple[type, type], bool] = {}


def offers(body: Any, protocol: type) -> bool:
    """Whether ``body`` implements ``protocol`` (one of the ``*Body`` protocols above),
    decided once per (class of body, protocol): the protocols' members are methods and
    properties of the body's class."""
    key = (type(body), protocol)
    known = _OFFERS.get(key)
    if known is None:
        known = _OFFERS[key] = isinstance(body, protocol)
    return known


# --- the request context -----------------------------------------------------------------------
# context keys ibm-cos-sdk's handlers know -> the attribute that holds them
_ATTRIBUTE_OF_KEY = {
    "operation_name": "operation_name",
    "client_region": "client_region",
    "client_config": "client_config",
    "has_streaming_input": "has_streaming_input",
    "auth_type": "auth_type",
    "is_presign_request": "is_presign_request",
    "payload_signing_enabled": "payload_signing_enabled",
    "encoding_type_auto_set": "encoding_type_auto_set",
    "validate_response_checksum": "validate_response_checksum",
    "timestamp": "timestamp",
    "s3-presign-post-fields": "presign_post_fields",
    "s3-presign-post-policy": "presign_post_policy",
}
# derived, read-only keys
_DERIVED_KEYS = ("retries", "checksum")


@dataclass(eq=False)
class RequestContext(MutableMapping[str, Any]):
    """What the pipeline knows about one request (see the module docstring).

    An attribute that is None is absent from the mapping view."""

    operation_name: Optional[str] = None
    client_region: Optional[str] = None
    client_config: Any = None
    has_streaming_input: Optional[bool] = None
    auth_type: Optional[str] = None
    is_presign_request: Optional[bool] = None
    payload_signing_enabled: Optional[bool] = None
    encoding_type_auto_set: Optional[bool] = None
    validate_response_checksum: Optional[bool] = None
    body: Optional[BodyPlan] = None
    timestamp: Optional[str] = None
    attempt: Optional[int] = None
    invocation_id: Optional[str] = None
    presign_post_fields: Optional[Dict[str, Any]] = None
    presign_post_policy: Optional[Dict[str, Any]] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, value: Any) -> "RequestContext":
        """``value`` itself when it is a RequestContext, else one holding its keys (a plain
        dict given by a caller who builds requests by hand)."""
        if isinstance(value, RequestContext):
            return value
        context = cls()
        for key, item in (value or {}).items():
            if key not in _DERIVED_KEYS:
                context[key] = item
        return context

    # -- the mapping handlers see ----------------------------------------------------------
    def _derived(self, key: str) -> Any:
        if key == "retries":
            if self.attempt is None:
                return None
            return {"attempt": self.attempt, "invocation-id": self.invocation_id}
        plan = self.body
        if plan is None or plan.checksum is None:
            return None
        placement = plan.checksum
        where = "trailer" if placement.in_trailer else "header"
        return {"request_algorithm": {"in": where, "algorithm": placement.algorithm, "name": placement.header}}

    def __getitem__(self, key: str) -> Any:
        attribute = _ATTRIBUTE_OF_KEY.get(key)
        if attribute is None and key not in _DERIVED_KEYS:
            return self.extra[key]
        value = getattr(self, attribute) if attribute is not None else self._derived(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        attribute = _ATTRIBUTE_OF_KEY.get(key)
        if attribute is not None:
            setattr(self, attribute, value)
        elif key in _DERIVED_KEYS:
            raise TypeError("context[%r] is derived from the request's attributes and cannot be set" % key)
        else:
            self.extra[key] = value

    def __delitem__(self, key: str) -> None:
        attribute = _ATTRIBUTE_OF_KEY.get(key)
        if attribute is not None:
            if getattr(self, attribute) is None:
                raise KeyError(key)
            setattr(self, attribute, None)
        else:
            del self.extra[key]

    def __iter__(self) -> Iterator[str]:
        for key, attribute in _ATTRIBUTE_OF_KEY.items():
            if getattr(self, attribute) is not None:
                yield key
        for key in _DERIVED_KEYS:
            if self._derived(key) is not None:
                yield key
        yield from self.extra

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        shown = ", ".join("%s=%r" % (key, self[key]) for key in self if key != "client_config")
        return "RequestContext(%s)" % shown
