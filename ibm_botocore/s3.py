"""Every S3/COS-specific rule of the pipeline, in one place.

The generic stages (validate, serialize, sign, send, parse) know nothing about S3;
the client calls into this module at three points:

* ``customize_params``   before validation: bucket names, SSE-C keys, CopySource,
  metadata, ``EncodingType=url``, ``ChecksumMode``, ``ibm-service-instance-id``;
* ``customize_request``  after serialization: URL and addressing style, checksums
  (CRC32 header or aws-chunked trailer, Content-MD5), ``Expect: 100-continue``,
  XML escaping;
* ``customize_response`` on the call's final response: response checksum validation,
  GetBucketLocation's bare XML, URL-decoding of listed keys.

``is_200_error`` is given to the endpoint (as its ``error_in_success`` rule) so that a
200 response carrying ``<Error>`` (COPY, UploadPartCopy, CompleteMultipartUpload) is
retried as the server error it is.
"""
from __future__ import annotations

import base64
import contextlib
import contextvars
import io
import re
from typing import TYPE_CHECKING, Any, Dict, Iterator, Mapping, Optional, Tuple, Type, Union
from urllib.parse import SplitResult, quote, unquote_plus, urlsplit, urlunsplit

from ibm_botocore import UNSIGNED, _redact, _Unsigned, checksums
from ibm_botocore.context import STREAMING_UNSIGNED_PAYLOAD_TRAILER, BodyPlan, ChecksumPlacement, DigestedBody, RequestContext, offers
from ibm_botocore.exceptions import ParamValidationError
from ibm_botocore.response import StreamingBody
from ibm_botocore.utils import calculate_md5_b64, get_md5

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"

_VALID_BUCKET = re.compile(r"^[a-zA-Z0-9.\-_]{1,255}$")
_VALID_ARN = re.compile(
    r"^arn:(aws).*:(s3|s3-object-lambda):[a-z\-0-9]*:[0-9]{12}:accesspoint[/:][a-zA-Z0-9\-.]{1,63}$"
    r"|^arn:(aws).*:s3-outposts:[a-z\-0-9]+:[0-9]{12}:outpost[/:][a-zA-Z0-9\-]{1,63}[/:]accesspoint[/:][a-zA-Z0-9\-]{1,63}$"
)
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_DNS_LABEL_ANY = re.compile(r"^[a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9][a-z0-9\-]{1,61}[a-z0-9]$")

_SSE_C_OPERATIONS = frozenset(
    (
        "HeadObject", "GetObject", "PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart",
        "UploadPartCopy", "CompleteMultipartUpload", "SelectObjectContent", "GetObjectAttributes",
    )
)
_COPY_SOURCE_SSE_C_OPERATIONS = frozenset(("CopyObject", "UploadPartCopy"))
_COPY_SOURCE_OPERATIONS = frozenset(("CopyObject", "UploadPartCopy"))
_METADATA_OPERATIONS = frozenset(("PutObject", "CopyObject", "CreateMultipartUpload"))
_LIST_OPERATIONS = frozenset(("ListObjects", "ListObjectsV2", "ListObjectVersions"))
_INSTANCE_ID_OPERATIONS = frozenset(("CreateBucket", "ListBuckets"))
_ERROR_IN_200_OPERATIONS = frozenset(("CopyObject", "UploadPartCopy", "CompleteMultipartUpload"))
_ESCAPE_XML_OPERATIONS = frozenset(("DeleteObjects", "PutBucketLifecycleConfiguration"))
_ALWAYS_MD5_OPERATIONS = frozenset(("CompleteMultipartUpload",))
_PATH_STYLE_OPERATIONS = frozenset(("GetBucketLocation",))
_STREAMING_BODY_OPERATIONS = frozenset(("PutObject", "UploadPart"))
_FULL_OBJECT_CHECKSUM_PARAMS = {
    "ChecksumCRC32": "crc32",
    "ChecksumCRC32C": "crc32c",
    "ChecksumCRC64NVME": "crc64nvme",
    "ChecksumSHA1": "sha1",
    "ChecksumSHA256": "sha256",
}
# Keys of list responses that are URL-decoded when the SDK asked for encoding-type=url.
_URL_DECODED = {
    "ListObjects": (("Delimiter", "Marker", "NextMarker"), (("Contents", "Key"), ("CommonPrefixes", "Prefix"))),
    "ListObjectsV2": (("Delimiter", "Prefix", "StartAfter"), (("Contents", "Key"), ("CommonPrefixes", "Prefix"))),
    "ListObjectVersions": (
        ("KeyMarker", "NextKeyMarker", "Prefix", "Delimiter"),
        (("Versions", "Key"), ("DeleteMarkers", "Key"), ("CommonPrefixes", "Prefix")),
    ),
}


class S3Settings:
    """Per-client S3 behaviour derived from the client's Config and arguments."""

    __slots__ = (
        "endpoint_url",
        "addressing_style",
        "custom_endpoint",
        "request_checksum_calculation",
        "response_checksum_validation",
        "service_instance_id",
        "signature_version",
    )

    def __init__(
        self,
        endpoint_url: str,
        addressing_style: Optional[str],
        custom_endpoint: bool,
        request_checksum_calculation: str = "when_supported",
        response_checksum_validation: str = "when_supported",
        service_instance_id: Optional[str] = None,
        signature_version: Union[str, _Unsigned, None] = None,
    ) -> None:
        self.endpoint_url = endpoint_url.rstrip("/") if endpoint_url.endswith("/") and urlsplit(endpoint_url).path == "/" else endpoint_url
        self.addressing_style = addressing_style or "auto"
        self.custom_endpoint = custom_endpoint
        self.request_checksum_calculation = request_checksum_calculation
        self.response_checksum_validation = response_checksum_validation
        self.service_instance_id = service_instance_id
        self.signature_version = signature_version


# --- hints from the transfer manager ------------------------------------------------------
class RequestHints:
    """What a managed transfer asks of the requests it makes, outside their parameters.

    Users' ``Stubber`` expectations and ``before-parameter-build`` handlers see exactly
    the parameters ibm-cos-sdk's transfer manager passes; the transfer's integrity
    checks travel here instead and are applied after those hooks ran:
    ``checksum_mode`` asks HeadObject for the stored checksum, ``if_match`` pins the
    ranged GETs of a download to the ETag its HeadObject returned.
    """

    __slots__ = ("checksum_mode", "if_match")

    def __init__(self, checksum_mode: bool = False, if_match: Optional[str] = None) -> None:
        self.checksum_mode = checksum_mode
        self.if_match = if_match

    def apply(self, operation_name: str, params: Dict[str, Any]) -> None:
        if self.checksum_mode and operation_name == "HeadObject":
            params.setdefault("ChecksumMode", "ENABLED")
        if self.if_match and operation_name == "GetObject":
            params.setdefault("IfMatch", self.if_match)


_REQUEST_HINTS: "contextvars.ContextVar[Optional[RequestHints]]" = contextvars.ContextVar("ibm_cos_request_hints", default=None)


@contextlib.contextmanager
def request_hints(checksum_mode: bool = False, if_match: Optional[str] = None) -> Iterator[None]:
    """Apply :class:`RequestHints` to the client calls made by this thread inside the block."""
    token = _REQUEST_HINTS.set(RequestHints(checksum_mode, if_match))
    try:
        yield
    finally:
        _REQUEST_HINTS.reset(token)


# --- stage 1: parameters ----------------------------------------------------------------
def validate_bucket_name(params: Mapping[str, Any]) -> None:
    bucket = params.get("Bucket")
    if not isinstance(bucket, str):
        return
    if _VALID_BUCKET.match(bucket) or _VALID_ARN.match(bucket):
        return
    raise ParamValidationError(
        report='Invalid bucket name "%s": Bucket name must match the regex "%s" or be an ARN matching the regex "%s"'
        % (bucket, _VALID_BUCKET.pattern, _VALID_ARN.pattern)
    )


def _sse_c(params: Dict[str, Any], key_param: str, md5_param: str) -> None:
    key = params.get(key_param)
    if key is None or md5_param in params:
        # A caller who gives the key MD5 has prepared both values: both are sent as given.
        return
    if not isinstance(key, (str, bytes, bytearray)):
        raise ParamValidationError(report="Invalid type for parameter %s, value: %s, type: %s, valid types: <class 'str'>, <class 'bytes'>" % (key_param, _redact.REDACTED, type(key)))
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    params[key_param] = base64.b64encode(raw).decode("utf-8")
    params[md5_param] = base64.b64encode(get_md5(raw).digest()).decode("utf-8")


_COPY_SOURCE_VERSION = re.compile(r"\?versionId=\S+$")


def quote_copy_source(copy_source: Any) -> Any:
    """``{'Bucket','Key','VersionId'}`` or ``'bucket/key?versionId=v'`` -> the header value.

    As ibm-cos-sdk encodes it: in the string form, a trailing ``?versionId=<id>`` whose id
    holds no whitespace is kept as given and the rest is percent-encoded (otherwise the
    whole string is); the dict form's bucket and key are encoded and its version id is
    appended as given. A version id kept as given must not hold NUL, CR or LF.
    """
    if isinstance(copy_source, str):
        found = _COPY_SOURCE_VERSION.search(copy_source)
        if found is None:
            return quote(copy_source, safe="/~")
        if "\x00" in found.group(0):
            raise ParamValidationError(report="Invalid value for parameter CopySource: %r" % (copy_source,))
        return quote(copy_source[: found.start()], safe="/~") + found.group(0)
    if isinstance(copy_source, dict):
        try:
            bucket = copy_source["Bucket"]
            key = copy_source["Key"]
        except KeyError as exc:
            raise ParamValidationError(report="Missing required parameter: %s" % exc)
        if not isinstance(bucket, str) or not isinstance(key, str):
            raise ParamValidationError(report="Invalid type for parameter CopySource: Bucket and Key must be strings")
        value = "%s/%s" % (quote(bucket, safe="/~"), quote(key, safe="/~"))
        version = copy_source.get("VersionId")
        if version is not None:
            if not isinstance(version, str) or any(c in version for c in "\r\n\x00"):
                raise ParamValidationError(report="Invalid value for parameter CopySource.VersionId: %r" % (version,))
            value += "?versionId=%s" % version
        return value
    return copy_source


def _check_metadata(params: Mapping[str, Any]) -> None:
    metadata = params.get("Metadata")
    if not isinstance(metadata, dict):
        return
    for key, value in metadata.items():
        if not (_is_ascii(key) and _is_ascii(value)):
            raise ParamValidationError(
                report='Non ascii characters found in S3 metadata for key "%s", value: "%s".  \n'
                "S3 metadata can only contain ASCII characters. " % (key, value)
            )


def _is_ascii(text: Any) -> bool:
    if not isinstance(text, str):
        return True
    try:
        text.encode("ascii")
    except UnicodeEncodeError:
        return False
    return True


def customize_params(operation_model: Any, params: Dict[str, Any], context: RequestContext, settings: S3Settings) -> Dict[str, Any]:
    """Rewrite user parameters into what the model and COS expect (works on a copy)."""
    name = operation_model.name
    params = dict(params)
    hints = _REQUEST_HINTS.get()
    if hints is not None:
        hints.apply(name, params)
    validate_bucket_name(params)
    if name in _SSE_C_OPERATIONS:
        _sse_c(params, "SSECustomerKey", "SSECustomerKeyMD5")
    if name in _COPY_SOURCE_SSE_C_OPERATIONS:
        _sse_c(params, "CopySourceSSECustomerKey", "CopySourceSSECustomerKeyMD5")
    if name in _COPY_SOURCE_OPERATIONS and "CopySource" in params:
        params["CopySource"] = quote_copy_source(params["CopySource"])
    if name in _METADATA_OPERATIONS:
        _check_metadata(params)
    if name in _LIST_OPERATIONS and "EncodingType" not in params:
        params["EncodingType"] = "url"
        context.encoding_type_auto_set = True
    if name in _INSTANCE_ID_OPERATIONS and "IBMServiceInstanceId" not in params and settings.service_instance_id:
        params["IBMServiceInstanceId"] = settings.service_instance_id
    checksum = operation_model.http_checksum
    mode_member = checksum.get("requestValidationModeMember")
    if mode_member and mode_member not in params and settings.response_checksum_validation == "when_supported":
        params[mode_member] = "ENABLED"
    if mode_member and mode_member in params:
        # the response checksum is checked only when the request asked for one
        context.validate_response_checksum = True
    return params


# --- stage 2: the request -----------------------------------------------------------------
def is_dns_compatible(bucket: str) -> bool:
    if not _DNS_LABEL.match(bucket) or ".." in bucket:
        return False
    return True


def _virtual_host_possible(bucket: str, parts: SplitResult) -> bool:
    """``<bucket>.<host>`` is a valid host: not an IP endpoint, a DNS-safe name (a dotted
    one only over http, since it cannot match a TLS wildcard certificate)."""
    host = parts.hostname or ""
    if ":" in host or _IPV4.match(host):
        return False
    if is_dns_compatible(bucket):
        return True
    return parts.scheme == "http" and "." in bucket and all(_DNS_LABEL_ANY.match(label) for label in bucket.split("."))


def resolve_url(operation_name: str, request_dict: Dict[str, Any], bucket: Optional[str], settings: S3Settings) -> None:
    """Set ``request_dict['url']`` using path- or virtual-hosted-style addressing."""
    from ibm_botocore.awsrequest import prepare_request_dict

    prepare_request_dict(request_dict, settings.endpoint_url, request_dict.get("context"))
    if bucket is None:
        return
    # The SigV2 canonical resource always names the bucket, and a bucket-level request
    # is signed as "/bucket/" (the URL itself stays "/bucket").
    prefix = "/" + quote(bucket, safe="~")
    url_path = (request_dict.get("url_path") or "").split("?", 1)[0]
    if url_path == prefix or url_path.startswith(prefix + "/"):
        request_dict["auth_path"] = url_path if url_path != prefix else prefix + "/"
    if operation_name in _PATH_STYLE_OPERATIONS:
        return
    style = settings.addressing_style
    if style == "path" or (style == "auto" and settings.custom_endpoint):
        return
    parts = urlsplit(request_dict["url"])
    if not _virtual_host_possible(bucket, parts):
        return
    path = parts.path
    if path == prefix or path.startswith(prefix + "/"):
        path = path[len(prefix) :] or "/"
        netloc = "%s.%s" % (bucket, parts.netloc)
        request_dict["url"] = urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def _is_file_like(body: Any) -> bool:
    return hasattr(body, "read")


def _has_checksum_header(headers: Mapping[str, Any]) -> bool:
    for key in headers:
        lower = key.lower()
        if lower.startswith("x-amz-checksum-") and lower != "x-amz-checksum-mode" and lower != "x-amz-checksum-type" and lower != "x-amz-checksum-algorithm":
            return True
    return False


_ANY_CHECKSUM_HEADER = re.compile(r"^x-amz-checksum-[a-z0-9]*$", re.IGNORECASE)


def _has_integrity_header(headers: Mapping[str, Any]) -> bool:
    """Content-MD5, or any x-amz-checksum-* header the caller set (even -type/-mode)."""
    return any(key.lower() == "content-md5" or _ANY_CHECKSUM_HEADER.match(key) for key in headers)


def _member_header_name(operation_model: Any, member: str) -> Optional[str]:
    shape = operation_model.input_shape
    if shape is None or member not in shape.members:
        return None
    serialization = shape.members[member].serialization
    if serialization.get("location") != "header":
        return None
    name: str = serialization.get("name", member)
    return name


def _apply_checksum(
    operation_model: Any, request_dict: Dict[str, Any], params: Mapping[str, Any], settings: S3Settings
) -> Optional[ChecksumPlacement]:
    """Add the request checksum the operation calls for; where it went, or None."""
    spec = operation_model.http_checksum
    legacy_required = operation_model.http_checksum_required
    required = legacy_required or spec.get("requestChecksumRequired", False)
    algorithm_member = spec.get("requestAlgorithmMember")
    user_algorithm = params.get(algorithm_member) if algorithm_member else None
    headers = request_dict["headers"]
    if not required and not user_algorithm and not (algorithm_member and settings.request_checksum_calculation == "when_supported"):
        return None
    if _has_checksum_header(headers):
        # The caller computed the checksum (e.g. ChecksumCRC32=...): nothing to add, and no
        # placement either -- ibm-cos-sdk then signs the payload hash (SigV4 sends the
        # body's SHA-256, not UNSIGNED-PAYLOAD, even over https).
        return None
    algorithm = (user_algorithm or "CRC32").lower()
    checksum_cls = checksums.checksum_class(algorithm)
    name = checksums.header_name(algorithm)
    if algorithm_member and not user_algorithm:
        # Announce the default algorithm through the member's own header, when the input
        # shape has that member (DeleteObjects, PutObjectAcl... name it but lack it).
        wire_name = _member_header_name(operation_model, algorithm_member)
        if wire_name is not None:
            headers[wire_name] = algorithm.upper()
    placement = ChecksumPlacement(algorithm, name, checksum_in_trailer(operation_model.has_streaming_input, request_dict["url"], settings))
    body = request_dict["body"]
    if placement.in_trailer:
        _send_with_trailer(request_dict, checksum_cls, name, settings)
        return placement
    # Transfer bodies compute their CRC32 in the same pass as the signer's SHA-256.
    value = body.precomputed_checksum(algorithm) if offers(body, DigestedBody) else None
    headers[name] = value if value is not None else checksum_cls().handle(body)
    return placement


def payload_signing_default(operation_model: Any) -> Optional[bool]:
    """False for the streaming uploads (PutObject, UploadPart): over https with a checksum
    their bodies are not hashed; None (no opinion) for every other operation."""
    if operation_model.has_streaming_input and operation_model.name in _STREAMING_BODY_OPERATIONS:
        return False
    return None


def checksum_in_trailer(streaming_input: bool, url: str, settings: S3Settings) -> bool:
    """A streaming upload's checksum goes in an aws-chunked trailer over https (SigV2
    cannot sign such a body); everything else carries it in a header."""
    return streaming_input and url.startswith("https:") and settings.signature_version != "s3"


def payload_signed(
    settings_s3: Optional[Mapping[str, Any]], url: str, headers: Mapping[str, Any], streaming_input: bool,
    payload_signing_enabled: Optional[bool], checksum: Optional[ChecksumPlacement],
) -> bool:
    """Whether SigV4 hashes the body into ``X-Amz-Content-SHA256`` (S3's rules)."""
    # 1. An aws-chunked body with a checksum trailer is never hashed up front.
    if checksum is not None and checksum.in_trailer:
        return False
    # 2. Otherwise an explicit Config(s3={'payload_signing_enabled': ...}) decides.
    configured = (settings_s3 or {}).get("payload_signing_enabled")
    if configured is not None:
        return bool(configured)
    # 3. Skipping the hash needs TLS *and* an integrity header (the flexible checksum
    #    header when one was added, else Content-MD5).
    integrity_header = (checksum.header if checksum is not None else "Content-MD5").lower()
    if not url.startswith("https") or not any(key.lower() == integrity_header for key in headers):
        return True
    # 4. With both, streaming uploads are not hashed; other bodies are unless disabled.
    if streaming_input:
        return False
    return True if payload_signing_enabled is None else payload_signing_enabled


def hashes_payloads(signature_version: Any) -> bool:
    """Whether a signature version hashes request bodies at all (SigV4 with HMAC keys)."""
    return isinstance(signature_version, str) and signature_version in ("v4", "s3v4")


def upload_body_plan(client: Any, algorithm: Optional[str]) -> BodyPlan:
    """The plan :func:`customize_request` makes for this client's PutObject / UploadPart
    with ``algorithm`` (None: no checksum), known before the body is read -- the transfer
    manager computes what the plan needs in the same pass as it reads each part."""
    settings = getattr(client, "_s3", None)
    if not isinstance(settings, S3Settings):
        # not one of our clients (a test double): its own S3 step, if any, decides
        settings = S3Settings(getattr(client.meta, "endpoint_url", "") or "", None, True)
    url = settings.endpoint_url
    placement = None
    if algorithm is not None:
        lower = algorithm.lower()
        placement = ChecksumPlacement(lower, checksums.header_name(lower), checksum_in_trailer(True, url, settings))
    headers = {placement.header: ""} if placement is not None else {}
    config_s3 = getattr(client.meta.config, "s3", None)
    signed = hashes_payloads(settings.signature_version) and payload_signed(config_s3, url, headers, True, False, placement)
    return BodyPlan(sign_payload=signed, checksum=placement)


def _send_with_trailer(request_dict: Dict[str, Any], checksum_cls: Type[checksums.BaseChecksum], name: str, settings: S3Settings) -> None:
    """The body goes aws-chunked, its checksum in a trailer computed as the bytes are sent."""
    body = request_dict["body"]
    headers = request_dict["headers"]
    length: Optional[int]
    if isinstance(body, (bytes, bytearray, memoryview)):
        length = len(body)
        raw = io.BytesIO(body)
    elif isinstance(body, str):
        encoded = body.encode("utf-8")
        length = len(encoded)
        raw = io.BytesIO(encoded)
    elif body is None:
        length, raw = 0, io.BytesIO(b"")
    else:
        from ibm_botocore.awsrequest import _body_length

        length, raw = _body_length(body), body
    content_encoding = headers.get("Content-Encoding")
    headers["Content-Encoding"] = content_encoding + ",aws-chunked" if content_encoding else "aws-chunked"
    headers["Transfer-Encoding"] = "chunked"
    headers["X-Amz-Trailer"] = name
    if settings.signature_version is UNSIGNED:
        # no signer will describe the payload: say it is an unsigned, trailing-checksum stream
        headers["X-Amz-Content-SHA256"] = STREAMING_UNSIGNED_PAYLOAD_TRAILER
    if length is not None:
        headers["X-Amz-Decoded-Content-Length"] = str(length)
    headers.pop("Content-Length", None)
    request_dict["body"] = checksums.AwsChunkedWrapper(raw, checksum_cls, name)


def customize_request(operation_model: Any, request_dict: Dict[str, Any], params: Mapping[str, Any], settings: S3Settings) -> None:
    """Apply the S3 request rules to a serialized request dictionary (in place)."""
    name = operation_model.name
    resolve_url(name, request_dict, params.get("Bucket"), settings)
    headers = request_dict["headers"]
    body = request_dict["body"]
    if name in _ESCAPE_XML_OPERATIONS and isinstance(body, bytes):
        body = body.replace(b"\r", b"&#xD;").replace(b"\n", b"&#xA;")
        request_dict["body"] = body
    # Expect goes with bodies given as streams; PutObject/UploadPart bodies count as streams
    # once given (bytes and str included), an absent Body does not.  Decided on the body as
    # serialized, before a checksum trailer wraps it.
    given = params.get("Body")
    streaming_body = name in _STREAMING_BODY_OPERATIONS and (isinstance(given, (str, bytes)) or _is_file_like(given))
    expect = request_dict["method"] in ("PUT", "POST") and (streaming_body or _is_file_like(body))
    placement = _apply_checksum(operation_model, request_dict, params, settings)
    if name in _ALWAYS_MD5_OPERATIONS and placement is None and not _has_integrity_header(headers):
        headers["Content-MD5"] = calculate_md5_b64(request_dict["body"])
    if expect:
        headers["Expect"] = "100-continue"
    context: RequestContext = request_dict["context"]
    config_s3 = getattr(context.client_config, "s3", None)
    signed = payload_signed(
        config_s3, request_dict["url"], headers, bool(context.has_streaming_input), context.payload_signing_enabled, placement
    )
    context.body = BodyPlan(sign_payload=signed, checksum=placement)


# --- stage 3: the response -------------------------------------------------------------------
def is_200_error(operation_name: str, status: int, body: Any) -> bool:
    """True when a 200 response to COPY-like operations actually carries an error."""
    if status != 200 or operation_name not in _ERROR_IN_200_OPERATIONS:
        return False
    if not isinstance(body, (bytes, bytearray)):
        return False
    if not body.strip():
        return True
    try:
        root = _xml(body)
    except ValueError:
        return True
    return root.tag == "Error" or root.tag.endswith("}Error")


def _xml(body: Union[bytes, bytearray]) -> Element:
    """Parse an XML document; ElementTree is imported on first use. Raises ValueError."""
    from xml.etree.ElementTree import ParseError, fromstring

    try:
        return fromstring(body)
    except ParseError as exc:
        raise ValueError(str(exc))


def _decode_list_keys(operation_name: str, parsed: Dict[str, Any]) -> None:
    top, nested = _URL_DECODED[operation_name]
    for key in top:
        if key in parsed and isinstance(parsed[key], str):
            parsed[key] = unquote_plus(parsed[key])
    for list_key, item_key in nested:
        for item in parsed.get(list_key, ()):
            if item_key in item:
                item[item_key] = unquote_plus(item[item_key])


def _parse_location(body: bytes) -> Optional[str]:
    if not body:
        return None
    try:
        root = _xml(body)
    except ValueError:
        return None
    return root.text


def customize_response(operation_model: Any, parsed: Dict[str, Any], http_response: Any, context: RequestContext) -> None:
    """Apply the S3 response rules to the final parsed response of a call (in place):
    a full-object checksum checked as the body streams, GetBucketLocation's bare XML,
    URL-decoding of listed keys. Error responses are left as they are."""
    if http_response.status_code >= 300:
        return
    name = operation_model.name
    if operation_model.has_streaming_output and context.validate_response_checksum:
        _check_streamed_checksum(operation_model, parsed, http_response)
    if name == "GetBucketLocation":
        body = http_response.content
        parsed["LocationConstraint"] = _parse_location(body if isinstance(body, bytes) else b"")
    elif name in _URL_DECODED and context.encoding_type_auto_set and parsed.get("EncodingType") == "url":
        _decode_list_keys(name, parsed)


def _check_streamed_checksum(operation_model: Any, parsed: Dict[str, Any], http_response: Any) -> None:
    """Swap the unread payload stream for one that checks the stored checksum at its end."""
    output = operation_model.output_shape
    payload = output.serialization.get("payload") if output is not None else None
    if payload is None or not isinstance(parsed.get(payload), StreamingBody):
        return
    length = http_response.headers.get("content-length")
    checked = checksum_validating_body(
        http_response.headers.lower_items(), http_response.raw, int(length) if length is not None else None
    )
    if checked is not None:
        parsed[payload] = checked
        parsed.setdefault("ResponseMetadata", {})["ChecksumAlgorithm"] = checked.algorithm


_MULTIPART_ETAG_VALUE = re.compile(r'^"?[0-9a-fA-F]{32}-\d+"?$')


def checksum_validating_body(headers: Mapping[str, str], raw: Any, content_length: Optional[int]) -> Optional[checksums.StreamingChecksumBody]:
    """A checksum-checking body for a full-object response checksum we can verify, else None.

    The convention is read, not guessed: ``x-amz-checksum-type`` other than FULL_OBJECT, a
    ``-N`` value, or -- with no type -- a multipart object (``-N`` ETag), whose plain
    value servers compute differently, is not checked here (the transfer
    manager checks such objects itself).
    """
    kind = (headers.get("x-amz-checksum-type") or "").upper()
    if kind and kind != "FULL_OBJECT":
        return None
    if not kind and _MULTIPART_ETAG_VALUE.match(headers.get("etag") or headers.get("ETag") or ""):
        return None
    for algorithm in checksums.RESPONSE_PRIORITY:
        value = headers.get("x-amz-checksum-%s" % algorithm)
        if not value or "-" in value:
            continue
        if algorithm not in checksums.SUPPORTED_ALGORITHMS:
            continue
        body = checksums.StreamingChecksumBody(raw, content_length, checksums.checksum_class(algorithm)(), value)
        body.algorithm = algorithm
        return body
    return None
