"""AWS Signature Version 4 verification for S3 requests signed with COS HMAC keys.

Supports the ``Authorization: AWS4-HMAC-SHA256`` header, presigned query strings
(``X-Amz-Signature``), presigned POST policies, and the per-chunk signatures of
``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` bodies. Everything here is derived from the
public SigV4 description; the helpers are also usable to *sign* (tests use them).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote, unquote

from .errors import CosError

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_SPACES = re.compile(r"\s+")


class SigV4Error(CosError):
    """A request whose SigV4 (or V2) authentication fails (status, S3 error code, message)."""


def signature_mismatch(**extra: str) -> SigV4Error:
    """403 SignatureDoesNotMatch; ``extra`` may carry the canonical request and string to sign."""
    return SigV4Error(403, "SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you provided. "
                      "Check your key and signing method.", **extra)


def unknown_access_key() -> SigV4Error:
    return SigV4Error(403, "InvalidAccessKeyId",
                      "The AWS Access Key Id you provided does not exist in our records.")


# -- the SigV4 building blocks -------------------------------------------------------------

def uri_encode(text: str, keep_slash: bool = False) -> str:
    """RFC 3986 percent-encoding: only ``A-Z a-z 0-9 - _ . ~`` stay as they are."""
    return quote(text, safe="-_.~/" if keep_slash else "-_.~")


def canonical_query(pairs: Iterable[Tuple[str, str]], exclude: Sequence[str] = ()) -> str:
    encoded = sorted((uri_encode(k), uri_encode(v)) for k, v in pairs if k not in exclude)
    return "&".join(f"{k}={v}" for k, v in encoded)


def canonical_headers(headers: Mapping[str, str], signed: Sequence[str]) -> str:
    lines = []
    for name in signed:
        value = headers.get(name, "")
        lines.append(f"{name}:{_SPACES.sub(' ', value.strip())}\n")
    return "".join(lines)


def canonical_request(method: str, uri: str, query: str, headers: Mapping[str, str],
                      signed: Sequence[str], payload_hash: str) -> str:
    return "\n".join([method.upper(), uri, query, canonical_headers(headers, signed),
                      ";".join(signed), payload_hash])


def credential_scope(date: str, region: str, service: str) -> str:
    return f"{date}/{region}/{service}/aws4_request"


def string_to_sign(amz_date: str, scope: str, creq: str) -> str:
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()])


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def chunk_string_to_sign(amz_date: str, scope: str, previous: str, chunk: bytes) -> str:
    return "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, EMPTY_SHA256,
                      hashlib.sha256(chunk).hexdigest()])


def trailer_string_to_sign(amz_date: str, scope: str, previous: str, trailer_text: bytes) -> str:
    return "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous,
                      hashlib.sha256(trailer_text).hexdigest()])


@dataclass
class Credential:
    access_key: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        return credential_scope(self.date, self.region, self.service)


def parse_credential(text: str) -> Credential:
    parts = text.split("/")
    if len(parts) < 5 or parts[-1] != "aws4_request":
        raise SigV4Error(400, "AuthorizationHeaderMalformed",
                         "The authorization header is malformed; the Credential is mal-formed; "
                         "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
    access_key = "/".join(parts[:-4])
    date, region, service = parts[-4], parts[-3], parts[-2]
    if not re.match(r"^\d{8}$", date):
        raise SigV4Error(400, "AuthorizationHeaderMalformed",
                         "The authorization header is malformed; incorrect date format in the Credential.")
    return Credential(access_key, date, region, service)


@dataclass
class AuthorizationHeader:
    credential: Credential
    signed_headers: List[str]
    signature: str


def parse_authorization(value: str) -> AuthorizationHeader:
    """Parse ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``."""
    if not value.startswith(ALGORITHM):
        raise SigV4Error(400, "InvalidArgument", "Unsupported Authorization Type")
    fields: Dict[str, str] = {}
    for item in value[len(ALGORITHM):].split(","):
        name, sep, val = item.strip().partition("=")
        if sep:
            fields[name.strip()] = val.strip()
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if not fields.get(n)]
    if missing:
        raise SigV4Error(400, "AuthorizationHeaderMalformed",
                         f"The authorization header is malformed; missing {', '.join(missing)}.")
    signed = [h.strip().lower() for h in fields["SignedHeaders"].split(";") if h.strip()]
    return AuthorizationHeader(parse_credential(fields["Credential"]), signed, fields["Signature"].lower())


def parse_amz_date(value: str) -> _dt.datetime:
    try:
        return _dt.datetime.strptime(value, AMZ_DATE_FORMAT).replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        raise SigV4Error(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header") from None


def uri_candidates(raw_path: str) -> List[str]:
    """Canonical URI forms a client may have signed: the wire path, and its RFC 3986 re-encoding."""
    out = [raw_path or "/"]
    normalized = uri_encode(unquote(raw_path or "/"), keep_slash=True)
    if normalized not in out:
        out.append(normalized)
    return out


# -- verification ------------------------------------------------------------------------------

@dataclass
class Verified:
    """A request whose signature checked out."""

    access_key: str
    amz_date: str
    scope: str
    key: bytes
    signature: str
    payload_hash: str
    presigned: bool = False


SecretLookup = Callable[[str], Optional[str]]


class KeyedVerifier:
    """A signature verifier: a lookup of HMAC secret keys, a clock and the clock skew allowed."""

    def __init__(self, lookup: SecretLookup, now: Callable[[], float],
                 max_skew: Optional[float] = 900.0) -> None:
        self._lookup = lookup
        self._now = now  # the emulator clock: used for presign / policy expiry
        self.max_skew = max_skew

    def secret(self, access_key: str) -> str:
        """The secret of a known access key (403 InvalidAccessKeyId otherwise)."""
        secret = self._lookup(access_key)
        if secret is None:
            raise unknown_access_key()
        return secret


class SigV4Verifier(KeyedVerifier):
    """Verifies SigV4 signatures against a lookup of HMAC secret keys."""

    @staticmethod
    def _check_scope(cred: Credential, amz_date: str) -> None:
        if cred.service != "s3":
            raise SigV4Error(400, "AuthorizationHeaderMalformed",
                             f"The authorization header is malformed; incorrect service \"{cred.service}\". "
                             "This endpoint belongs to \"s3\".")
        if amz_date[:8] != cred.date:
            raise SigV4Error(400, "AuthorizationHeaderMalformed",
                             "The authorization header is malformed; the date in the Credential does not "
                             "match the request date.")

    def _match(self, method: str, raw_path: str, query: str, headers: Mapping[str, str],
               signed: Sequence[str], payload_hash: str, amz_date: str, cred: Credential,
               key: bytes, signature: str) -> None:
        first: Optional[Tuple[str, str]] = None
        for uri in uri_candidates(raw_path):
            creq = canonical_request(method, uri, query, headers, signed, payload_hash)
            sts = string_to_sign(amz_date, cred.scope, creq)
            if hmac.compare_digest(hmac_hex(key, sts), signature):
                return
            first = first or (creq, sts)
        assert first is not None
        raise signature_mismatch(AWSAccessKeyId=cred.access_key, StringToSign=first[1],
                                 SignatureProvided=signature, CanonicalRequest=first[0])

    def verify_header(self, method: str, raw_path: str, query: List[Tuple[str, str]],
                      headers: Mapping[str, str], body: Optional[bytes]) -> Verified:
        """Check an ``Authorization: AWS4-HMAC-SHA256 ...`` request. ``headers`` has lower-case names.

        With ``body`` None (the body is not read yet) the signature is checked against the
        ``x-amz-content-sha256`` header alone; the caller then checks a hex payload hash against
        the body as it arrives (:func:`check_payload_hash`).
        """
        auth = parse_authorization(headers.get("authorization", ""))
        if "host" not in auth.signed_headers:
            raise SigV4Error(400, "AuthorizationHeaderMalformed",
                             "The authorization header is malformed; 'host' must be a signed header.")
        amz_date = headers.get("x-amz-date", "")
        if not amz_date and headers.get("date"):
            from email.utils import parsedate_to_datetime

            try:
                amz_date = parsedate_to_datetime(headers["date"]).astimezone(_dt.timezone.utc).strftime(AMZ_DATE_FORMAT)
            except (TypeError, ValueError):
                amz_date = ""
        if not amz_date:
            raise SigV4Error(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
        when = parse_amz_date(amz_date)
        if self.max_skew is not None and abs(time.time() - when.timestamp()) > self.max_skew:
            raise SigV4Error(403, "RequestTimeTooSkewed",
                             "The difference between the request time and the current time is too large.")
        self._check_scope(auth.credential, amz_date)
        secret = self.secret(auth.credential.access_key)
        payload_hash = headers.get("x-amz-content-sha256") or ""
        if not payload_hash:
            if body is None:
                raise SigV4Error(400, "InvalidRequest", "Missing required header for this request: "
                                 "x-amz-content-sha256")
            payload_hash = hashlib.sha256(body).hexdigest()
        if body is not None:
            check_payload_hash(payload_hash, hashlib.sha256(body).hexdigest())
        key = signing_key(secret, auth.credential.date, auth.credential.region, auth.credential.service)
        self._match(method, raw_path, canonical_query(query), headers, auth.signed_headers,
                    payload_hash, amz_date, auth.credential, key, auth.signature)
        return Verified(auth.credential.access_key, amz_date, auth.credential.scope, key,
                        auth.signature, payload_hash)

    def verify_query(self, method: str, raw_path: str, query: List[Tuple[str, str]],
                     headers: Mapping[str, str]) -> Verified:
        """Check a presigned URL (``X-Amz-Signature`` in the query string)."""
        args: Dict[str, str] = {}
        for name, value in query:
            args.setdefault(name, value)
        if args.get("X-Amz-Algorithm") != ALGORITHM:
            raise SigV4Error(400, "AuthorizationQueryParametersError",
                             "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        for required in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"):
            if not args.get(required):
                raise SigV4Error(400, "AuthorizationQueryParametersError",
                                 f"Query-string authentication version 4 requires the {required} parameter.")
        cred = parse_credential(args["X-Amz-Credential"])
        amz_date = args["X-Amz-Date"]
        when = parse_amz_date(amz_date)
        try:
            expires = int(args.get("X-Amz-Expires", "604800"))
        except ValueError:
            raise SigV4Error(400, "AuthorizationQueryParametersError",
                             "X-Amz-Expires should be a number") from None
        if expires < 1 or expires > MAX_PRESIGN_EXPIRES:
            raise SigV4Error(400, "AuthorizationQueryParametersError",
                             "X-Amz-Expires must be between 1 and 604800 seconds")
        self._check_scope(cred, amz_date)
        secret = self.secret(cred.access_key)
        if self._now() > when.timestamp() + expires:
            raise SigV4Error(403, "AccessDenied", "Request has expired")
        signed = [h.strip().lower() for h in args["X-Amz-SignedHeaders"].split(";") if h.strip()]
        payload_hash = headers.get("x-amz-content-sha256") or UNSIGNED_PAYLOAD
        key = signing_key(secret, cred.date, cred.region, cred.service)
        self._match(method, raw_path, canonical_query(query, exclude=("X-Amz-Signature",)), headers,
                    signed, payload_hash, amz_date, cred, key, args["X-Amz-Signature"].lower())
        return Verified(cred.access_key, amz_date, cred.scope, key, args["X-Amz-Signature"].lower(),
                        payload_hash, presigned=True)

    def verify_policy(self, fields: Mapping[str, str]) -> Verified:
        """Check the signature of a presigned POST form (``policy`` + ``x-amz-signature``)."""
        lower = {k.lower(): v for k, v in fields.items()}
        if lower.get("x-amz-algorithm") != ALGORITHM:
            raise SigV4Error(400, "InvalidArgument", "Unsupported x-amz-algorithm in POST form")
        for required in ("policy", "x-amz-credential", "x-amz-date", "x-amz-signature"):
            if not lower.get(required):
                raise SigV4Error(400, "InvalidArgument", f"POST form is missing the {required} field")
        cred = parse_credential(lower["x-amz-credential"])
        self._check_scope(cred, lower["x-amz-date"])
        secret = self.secret(cred.access_key)
        key = signing_key(secret, cred.date, cred.region, cred.service)
        expected = hmac_hex(key, lower["policy"])
        if not hmac.compare_digest(expected, lower["x-amz-signature"].lower()):
            raise signature_mismatch()
        return Verified(cred.access_key, lower["x-amz-date"], cred.scope, key, expected, UNSIGNED_PAYLOAD)


def check_payload_hash(declared: str, actual_hex: str) -> None:
    """A hex ``x-amz-content-sha256`` must be the SHA-256 of the body received."""
    if _HEX64.match(declared) and declared.lower() != actual_hex:
        raise SigV4Error(400, "XAmzContentSHA256Mismatch",
                         "The provided 'x-amz-content-sha256' header does not match what was computed.")


# -- aws-chunked bodies -------------------------------------------------------------------------

@dataclass
class ChunkedBody:
    payload: bytes
    trailers: Dict[str, str]


def decode_aws_chunked(body: bytes, verified: Optional[Verified] = None, verify: bool = False) -> ChunkedBody:
    """Decode an ``aws-chunked`` body; with ``verify`` check each chunk (and trailer) signature."""
    pos = 0
    out = bytearray()
    previous = verified.signature if verified else ""
    while True:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            raise SigV4Error(400, "IncompleteBody", "The aws-chunked body ended before its final chunk.")
        line = body[pos:eol].decode("latin-1")
        pos = eol + 2
        size_text, _, ext = line.partition(";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise SigV4Error(400, "InvalidChunkSizeError", "Invalid aws-chunked chunk size.") from None
        chunk = body[pos:pos + size]
        if len(chunk) != size:
            raise SigV4Error(400, "IncompleteBody", "The aws-chunked body is shorter than its chunk sizes.")
        if verify and verified is not None:
            sig = _chunk_signature(ext)
            expected = hmac_hex(verified.key, chunk_string_to_sign(verified.amz_date, verified.scope, previous, chunk))
            if not hmac.compare_digest(expected, sig):
                raise signature_mismatch()
            previous = expected
        out += chunk
        pos += size
        if size == 0:
            break
        if body[pos:pos + 2] == b"\r\n":
            pos += 2
    trailers, trailer_text, trailer_sig = _read_trailers(body, pos)
    if verify and verified is not None and trailer_sig:
        expected = hmac_hex(verified.key, trailer_string_to_sign(verified.amz_date, verified.scope,
                                                                 previous, trailer_text))
        if not hmac.compare_digest(expected, trailer_sig):
            raise signature_mismatch()
    return ChunkedBody(bytes(out), trailers)


def _chunk_signature(ext: str) -> str:
    """The ``chunk-signature=`` value of a chunk line's extensions ("" when absent)."""
    sig = ""
    for item in ext.split(";"):
        name, _, val = item.partition("=")
        if name.strip() == "chunk-signature":
            sig = val.strip().lower()
    return sig


def _read_trailers(body: bytes, pos: int) -> Tuple[Dict[str, str], bytes, str]:
    """Trailer lines after the final chunk ("name:value\r\n", an optional
    x-amz-trailer-signature, then an empty line): the trailers, the text their signature
    covers, and that signature ("" when unsigned)."""
    trailers: Dict[str, str] = {}
    trailer_text = b""
    trailer_sig = ""
    total = len(body)
    while pos < total:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            eol = total
        trailer_line = body[pos:eol]
        pos = eol + 2
        if not trailer_line.strip():
            continue
        name, _, value = trailer_line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "x-amz-trailer-signature":
            trailer_sig = value.strip().lower()
            continue
        trailers[name] = value.strip()
        trailer_text += f"{name}:{value.strip()}\n".encode("latin-1")
    return trailers, trailer_text, trailer_sig


def is_streaming(payload_hash: str) -> bool:
    return payload_hash.upper().startswith("STREAMING-")
