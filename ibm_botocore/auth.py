"""Request signers.

* ``SigV4Auth`` / ``S3SigV4Auth``: AWS Signature Version 4 with HMAC keys (header form),
  ``SigV4QueryAuth`` / ``S3SigV4QueryAuth`` (presigned URLs), ``S3SigV4PostAuth`` (presigned POST);
* ``HmacV1Auth`` and friends: the legacy S3 signature (``signature_version='s3'``);
* ``OAuth2``: ``Authorization: Bearer <IAM token>`` (``signature_version='oauth'``).

Each signer takes the request (an ``AWSRequest``) and adds what its scheme needs.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import logging
import time
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote, unquote, urlsplit

from ibm_botocore import _redact, s3
from ibm_botocore.context import STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD, BodyPlan, DigestedBody, RequestContext, offers
from ibm_botocore.utils import feed_body, format_rfc822, normalize_url_path
from ibm_botocore.exceptions import NoAuthTokenError, NoCredentialsError

logger = logging.getLogger(__name__)

# Signers accept any object with method, url, headers, body, params and context
# (an ``AWSRequest``).
RequestLike = Any

EMPTY_SHA256_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PAYLOAD_BUFFER = 1024 * 1024
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
# Headers never signed (Transfer-Encoding *is* signed, as ibm-cos-sdk does for aws-chunked uploads).
SIGNED_HEADERS_BLACKLIST = ["expect", "user-agent", "x-amzn-trace-id"]


def _host_from_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = "[%s]" % host
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    if port is not None and port != default:
        return "%s:%d" % (host, port)
    return host


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac_sha256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def _body_sha256_hex(body: Any) -> str:
    """SHA-256 of a request body (bytes or a seekable stream, rewound afterwards)."""
    if body is None:
        return EMPTY_SHA256_HASH
    if isinstance(body, (bytes, bytearray, memoryview)):
        return hashlib.sha256(body).hexdigest() if len(body) else EMPTY_SHA256_HASH
    if isinstance(body, str):
        return _sha256_hex(body.encode("utf-8"))
    if hasattr(body, "seek") and hasattr(body, "read"):
        # Transfer part bodies hash themselves together with their CRC32 (one read of
        # the part instead of two) and offer the result here.
        known: Optional[str] = body.precomputed_sha256_hex if offers(body, DigestedBody) else None
        if known is not None:
            return known
        digest = hashlib.sha256()
        feed_body(digest.update, body, PAYLOAD_BUFFER)
        return digest.hexdigest()
    return UNSIGNED_PAYLOAD


def _http_date() -> str:
    """The current time as an HTTP date (the SigV2 ``Date`` header)."""
    return format_rfc822(time.time())


class BaseSigner:
    REQUIRES_REGION = False
    REQUIRES_TOKEN = False

    def add_auth(self, request: RequestLike) -> None:
        raise NotImplementedError("add_auth")


# Signing keys are derived once per (secret, date, region, service).
_KEY_CACHE: Dict[Tuple[str, str, str, str], bytes] = {}


def _signing_key(secret_key: str, datestamp: str, region: str, service: str) -> bytes:
    cache_key = (secret_key, datestamp, region, service)
    key = _KEY_CACHE.get(cache_key)
    if key is None:
        key = _hmac_sha256(("AWS4" + secret_key).encode("utf-8"), datestamp)
        key = _hmac_sha256(key, region)
        key = _hmac_sha256(key, service)
        key = _hmac_sha256(key, "aws4_request")
        if len(_KEY_CACHE) > 64:
            _KEY_CACHE.clear()
        _KEY_CACHE[cache_key] = key
    return key


class SigV4Auth(BaseSigner):
    """AWS Signature Version 4, ``Authorization`` header form."""

    REQUIRES_REGION = True

    def __init__(self, credentials: Any, service_name: str, region_name: str) -> None:
        self.credentials = credentials
        self._service_name = service_name
        self._region_name = region_name

    # -- the four published steps -----------------------------------------------------
    def headers_to_sign(self, request: RequestLike) -> Dict[str, List[str]]:
        """Lower-cased header name -> values in order; always includes ``host``.

        A header given several times (repeated names, or one name whose value is a list or
        tuple of values) keeps every value, in the order given.
        """
        signed: Dict[str, List[str]] = {}
        for name, value in request.headers.items():
            lower = name.lower()
            if lower in SIGNED_HEADERS_BLACKLIST:
                continue
            values = signed.setdefault(lower, [])
            if isinstance(value, (list, tuple)):
                values.extend(str(item) for item in value)
            else:
                values.append(str(value))
        if "host" not in signed:
            signed["host"] = [_host_from_url(request.url)]
        return signed

    def canonical_headers(self, headers_to_sign: Dict[str, List[str]]) -> str:
        lines = []
        for name in sorted(headers_to_sign):
            values = ",".join(" ".join(v.split()) for v in headers_to_sign[name])
            lines.append("%s:%s" % (name, values))
        return "\n".join(lines)

    def signed_headers(self, headers_to_sign: Dict[str, List[str]]) -> str:
        return ";".join(sorted(headers_to_sign))

    def canonical_query_string(self, request: RequestLike) -> str:
        pairs: List[Tuple[str, str]] = []
        for key, value in (getattr(request, "params", None) or {}).items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                pairs.append((quote(str(key), safe="-_.~"), quote(str(item), safe="-_.~")))
        query = urlsplit(request.url).query
        if query:
            for part in query.split("&"):
                if not part:
                    continue
                key, _, value = part.partition("=")
                pairs.append((quote(unquote(key), safe="-_.~"), quote(unquote(value), safe="-_.~")))
        pairs.sort()
        return "&".join("%s=%s" % pair for pair in pairs)

    def canonical_uri(self, request: RequestLike) -> str:
        path = urlsplit(request.url).path or "/"
        return quote(normalize_url_path(path), safe="/~")

    def payload(self, request: RequestLike) -> str:
        if not self._should_sha256_sign_payload(request):
            return UNSIGNED_PAYLOAD
        return _body_sha256_hex(request.body)

    def _should_sha256_sign_payload(self, request: RequestLike) -> bool:
        if not request.url.startswith("https"):
            return True
        return _context(request).payload_signing_enabled is not False

    def canonical_request(self, request: RequestLike) -> str:
        return self._canonical_request(request, self.headers_to_sign(request))

    def _canonical_request(self, request: RequestLike, headers: Dict[str, List[str]]) -> str:
        body_hash = request.headers.get("X-Amz-Content-SHA256")
        if body_hash is None:
            body_hash = self.payload(request)
        return "\n".join(
            (
                request.method.upper(),
                self.canonical_uri(request),
                self.canonical_query_string(request),
                self.canonical_headers(headers) + "\n",
                self.signed_headers(headers),
                body_hash,
            )
        )

    def scope(self, request: RequestLike) -> str:
        return "/".join((_stamp(request)[:8], self._region_name, self._service_name, "aws4_request"))

    def credential_scope(self, request: RequestLike) -> str:
        return self.scope(request)

    def string_to_sign(self, request: RequestLike, canonical_request: str) -> str:
        return "\n".join(
            (
                "AWS4-HMAC-SHA256",
                _stamp(request),
                self.credential_scope(request),
                _sha256_hex(canonical_request.encode("utf-8")),
            )
        )

    def signature(self, string_to_sign: str, request: RequestLike) -> str:
        key = _signing_key(
            self.credentials.secret_key, _stamp(request)[:8], self._region_name, self._service_name
        )
        return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()

    # -- putting it together ----------------------------------------------------------
    def add_auth(self, request: RequestLike) -> None:
        if self.credentials is None:
            raise NoCredentialsError()
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime(SIGV4_TIMESTAMP)
        _context(request).timestamp = stamp
        self._modify_request_before_signing(request)
        headers = self.headers_to_sign(request)
        canonical = self._canonical_request(request, headers)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("SigV4 canonical request:\n%s", _redact.canonical_request(canonical))
        to_sign = self.string_to_sign(request, canonical)
        signature = self.signature(to_sign, request)
        self._inject_signature(request, signature, headers)

    def _modify_request_before_signing(self, request: RequestLike) -> None:
        headers = request.headers
        if "Authorization" in headers:
            del headers["Authorization"]
        if "X-Amz-Date" in headers:
            del headers["X-Amz-Date"]
        headers["X-Amz-Date"] = _stamp(request)
        token = self.credentials.token
        if token:
            if "X-Amz-Security-Token" in headers:
                del headers["X-Amz-Security-Token"]
            headers["X-Amz-Security-Token"] = token

    def _inject_signature(self, request: RequestLike, signature: str, headers: Optional[Dict[str, List[str]]] = None) -> None:
        if headers is None:
            headers = self.headers_to_sign(request)
        request.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
            self.credentials.access_key,
            self.scope(request),
            self.signed_headers(headers),
            signature,
        )


class S3SigV4Auth(SigV4Auth):
    """SigV4 with S3's rules: no path normalization, and ``X-Amz-Content-SHA256``."""

    def canonical_uri(self, request: RequestLike) -> str:
        return urlsplit(request.url).path or "/"

    def _modify_request_before_signing(self, request: RequestLike) -> None:
        super()._modify_request_before_signing(request)
        if "X-Amz-Content-SHA256" in request.headers:
            del request.headers["X-Amz-Content-SHA256"]
        request.headers["X-Amz-Content-SHA256"] = self.payload(request)

    def payload(self, request: RequestLike) -> str:
        marker = _body_plan(request).payload_marker()
        return marker if marker is not None else _body_sha256_hex(request.body)

    def _should_sha256_sign_payload(self, request: RequestLike) -> bool:
        return _body_plan(request).sign_payload


def _context(request: RequestLike) -> RequestContext:
    """The request's context, typed (a plain dict a caller put there is converted once)."""
    context = request.context
    if not isinstance(context, RequestContext):
        context = request.context = RequestContext.of(context)
    return context


def _stamp(request: RequestLike) -> str:
    stamp = _context(request).timestamp
    if stamp is None:
        raise ValueError("the request has no signing timestamp; add_auth() sets it")
    return stamp


def _body_plan(request: RequestLike) -> BodyPlan:
    """The S3 step's plan for this body; for a request built by hand, S3's rules applied
    to what the request shows (no checksum placement)."""
    context = _context(request)
    if context.body is not None:
        return context.body
    signed = s3.payload_signed(
        getattr(context.client_config, "s3", None), request.url, request.headers,
        bool(context.has_streaming_input), context.payload_signing_enabled, None,
    )
    return BodyPlan(sign_payload=signed)


class SigV4QueryAuth(SigV4Auth):
    """SigV4 in the query string (presigned URLs)."""

    DEFAULT_EXPIRES = 3600

    def __init__(self, credentials: Any, service_name: str, region_name: str, expires: int = DEFAULT_EXPIRES) -> None:
        super().__init__(credentials, service_name, region_name)
        self._expires = expires

    def _modify_request_before_signing(self, request: RequestLike) -> None:
        headers = request.headers
        if "Authorization" in headers:
            del headers["Authorization"]
        # Only host (and x-amz-* headers the caller set) are signed in the URL form.
        signed = self.headers_to_sign(request)
        auth_params = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": "%s/%s" % (self.credentials.access_key, self.scope(request)),
            "X-Amz-Date": _stamp(request),
            "X-Amz-Expires": self._expires,
            "X-Amz-SignedHeaders": self.signed_headers(signed),
        }
        if self.credentials.token:
            auth_params["X-Amz-Security-Token"] = self.credentials.token
        # auth params go after any operation query parameters
        parts = urlsplit(request.url)
        from ibm_botocore.utils import percent_encode_sequence

        query = parts.query
        extra = percent_encode_sequence(auth_params)
        query = query + "&" + extra if query else extra
        request.url = parts._replace(query=query).geturl()

    def headers_to_sign(self, request: RequestLike) -> Dict[str, List[str]]:
        signed = super().headers_to_sign(request)
        return {k: v for k, v in signed.items() if k == "host" or k.startswith("x-amz-") and k != "x-amz-content-sha256"}

    def _inject_signature(self, request: RequestLike, signature: str, headers: Optional[Dict[str, List[str]]] = None) -> None:
        request.url += "&X-Amz-Signature=" + signature


class S3SigV4QueryAuth(SigV4QueryAuth):
    def canonical_uri(self, request: RequestLike) -> str:
        return urlsplit(request.url).path or "/"

    def payload(self, request: RequestLike) -> str:
        return UNSIGNED_PAYLOAD


class S3SigV4PostAuth(SigV4Auth):
    """Presigned POST policy signing: fills ``request.context['s3-presign-post-fields']``."""

    def add_auth(self, request: RequestLike) -> None:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime(SIGV4_TIMESTAMP)
        context = _context(request)
        context.timestamp = stamp
        fields = dict(context.presign_post_fields or {})
        policy = dict(context.presign_post_policy or {})
        conditions = list(policy.get("conditions", []))
        credential = "%s/%s" % (self.credentials.access_key, self.scope(request))
        fields["x-amz-algorithm"] = "AWS4-HMAC-SHA256"
        fields["x-amz-credential"] = credential
        fields["x-amz-date"] = stamp
        conditions.append({"x-amz-algorithm": "AWS4-HMAC-SHA256"})
        conditions.append({"x-amz-credential": credential})
        conditions.append({"x-amz-date": stamp})
        encoded = _encode_post_policy(policy, conditions, fields, self.credentials.token)
        fields["x-amz-signature"] = self.signature(encoded, request)
        context.presign_post_fields = fields
        context.presign_post_policy = policy


# --- legacy S3 signature ("s3", SigV2) -----------------------------------------------
# Query parameters that belong to the SigV2 canonical resource: the sub-resources of the
# S3 REST API as ibm-cos-sdk 2.16.2 signs them (the COS-only ones such as ``legalHold`` or
# ``protection`` are not part of it), plus the response-header overrides.
_SIGV2_SUBRESOURCES = frozenset(
    (
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle",
        "location", "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication",
        "requestPayment", "restore", "select", "select-type", "storageClass", "tagging", "torrent", "uploadId",
        "uploads", "versionId", "versioning", "versions", "website",
        "response-cache-control", "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires",
    )
)


def _decoded_pair(pair: str) -> str:
    key, sep, value = pair.partition("=")
    return key + sep + unquote(value) if sep else key


class HmacV1Auth(BaseSigner):
    """The legacy ``AWS <key>:<signature>`` S3 scheme."""

    def __init__(self, credentials: Any, service_name: Optional[str] = None, region_name: Optional[str] = None) -> None:
        self.credentials = credentials

    def sign_string(self, string_to_sign: str) -> str:
        digest = hmac.new(self.credentials.secret_key.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
        return base64.b64encode(digest).decode("utf-8")

    def canonical_standard_headers(self, headers: Any) -> str:
        interesting = {k.lower(): str(v) for k, v in headers.items() if k.lower() in ("content-md5", "content-type", "date")}
        if "x-amz-date" in {k.lower() for k in headers}:
            interesting["date"] = ""
        return "\n".join(interesting.get(name, "") for name in ("content-md5", "content-type", "date"))

    def canonical_custom_headers(self, headers: Any) -> str:
        amz: Dict[str, List[str]] = {}
        for key, value in headers.items():
            lower = key.lower()
            if lower.startswith("x-amz-"):
                amz.setdefault(lower, []).append(str(value).strip())
        return "".join("%s:%s\n" % (k, ",".join(amz[k])) for k in sorted(amz))

    def canonical_resource(self, split: Any, auth_path: Optional[str] = None) -> str:
        path = auth_path if auth_path is not None else split.path
        if split.query:
            picked = []
            for part in split.query.split("&"):
                key = part.split("=", 1)[0]
                if key in _SIGV2_SUBRESOURCES:
                    picked.append(part if "=" in part else key)
            if picked:
                picked.sort(key=lambda p: p.split("=", 1)[0])
                # values are signed decoded (``uploadId=a+b/c`` not ``a%2Bb%2Fc``)
                path += "?" + "&".join(_decoded_pair(p) for p in picked)
        return path

    def canonical_string(self, method: str, split: Any, headers: Any, expires: Optional[str] = None, auth_path: Optional[str] = None) -> str:
        standard = self.canonical_standard_headers(headers)
        if expires is not None:
            parts = standard.split("\n")
            parts[2] = expires
            standard = "\n".join(parts)
        return "%s\n%s\n%s%s" % (method, standard, self.canonical_custom_headers(headers), self.canonical_resource(split, auth_path))

    def get_signature(self, method: str, split: Any, headers: Any, expires: Optional[str] = None, auth_path: Optional[str] = None) -> str:
        return self.sign_string(self.canonical_string(method, split, headers, expires, auth_path))

    def add_auth(self, request: RequestLike) -> None:
        if self.credentials is None:
            raise NoCredentialsError()
        split = urlsplit(request.url)
        if "Date" in request.headers:
            del request.headers["Date"]
        request.headers["Date"] = _http_date()
        if self.credentials.token:
            if "X-Amz-Security-Token" in request.headers:
                del request.headers["X-Amz-Security-Token"]
            request.headers["X-Amz-Security-Token"] = self.credentials.token
        signature = self.get_signature(request.method, split, request.headers, auth_path=request.auth_path)
        if "Authorization" in request.headers:
            del request.headers["Authorization"]
        request.headers["Authorization"] = "AWS %s:%s" % (self.credentials.access_key, signature)


class HmacV1QueryAuth(HmacV1Auth):
    DEFAULT_EXPIRES = 3600

    def __init__(self, credentials: Any, expires: int = DEFAULT_EXPIRES) -> None:
        super().__init__(credentials)
        self._expires = expires

    def add_auth(self, request: RequestLike) -> None:
        split = urlsplit(request.url)
        expires = str(int(time.time() + self._expires))
        signature = self.get_signature(request.method, split, request.headers, expires=expires, auth_path=request.auth_path)
        from ibm_botocore.utils import percent_encode_sequence

        params = {"AWSAccessKeyId": self.credentials.access_key, "Signature": signature}
        # The signed x-amz-*, Content-MD5 and Content-Type headers travel in the URL
        # (SSE-C algorithm, key and key MD5 included), as ibm-cos-sdk puts them.
        for name, value in request.headers.items():
            lower = name.lower()
            if lower.startswith("x-amz-") or lower in ("content-md5", "content-type"):
                params[lower] = value
        params["Expires"] = expires
        if self.credentials.token:
            params["x-amz-security-token"] = self.credentials.token
        query = split.query
        extra = percent_encode_sequence(params)
        request.url = split._replace(query=(query + "&" + extra) if query else extra).geturl()


class HmacV1PostAuth(HmacV1Auth):
    def add_auth(self, request: RequestLike) -> None:
        context = _context(request)
        fields = dict(context.presign_post_fields or {})
        policy = dict(context.presign_post_policy or {})
        conditions = list(policy.get("conditions", []))
        fields["AWSAccessKeyId"] = self.credentials.access_key
        encoded = _encode_post_policy(policy, conditions, fields, self.credentials.token)
        fields["signature"] = self.sign_string(encoded)
        context.presign_post_fields = fields
        context.presign_post_policy = policy


# --- IBM IAM bearer token ------------------------------------------------------------
class OAuth2(BaseSigner):
    """``Authorization: Bearer <token>`` from OAuth2 (API key) credentials."""

    REQUIRES_TOKEN = True

    def __init__(self, credentials: Any, service_name: Optional[str] = None, region_name: Optional[str] = None) -> None:
        self.credentials = credentials

    def add_auth(self, request: RequestLike) -> None:
        token = getattr(self.credentials, "token", None)
        if not token:
            raise NoAuthTokenError()
        if "Authorization" in request.headers:
            del request.headers["Authorization"]
        request.headers["Authorization"] = "Bearer %s" % token


AUTH_TYPE_MAPS = {
    "v4": SigV4Auth,
    "v4-query": SigV4QueryAuth,
    "s3v4": S3SigV4Auth,
    "s3v4-query": S3SigV4QueryAuth,
    "s3v4-presign-post": S3SigV4PostAuth,
    "s3": HmacV1Auth,
    "s3-query": HmacV1QueryAuth,
    "s3-presign-post": HmacV1PostAuth,
    "oauth": OAuth2,
}


def _encode_post_policy(policy: Dict[str, Any], conditions: List[Any], fields: Dict[str, Any], token: Optional[str]) -> str:
    """A presigned POST's policy document, base64 encoded into ``fields["policy"]`` (with the
    session token as a field and a condition when there is one); the text to sign."""
    if token:
        fields["x-amz-security-token"] = token
        conditions.append({"x-amz-security-token": token})
    policy["conditions"] = conditions
    encoded = base64.b64encode(json.dumps(policy).encode("utf-8")).decode("utf-8")
    fields["policy"] = encoded
    return encoded
