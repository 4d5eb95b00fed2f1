"""SigV4 signing on fixed inputs.

1. The "GET Object" example of AWS's published S3 Signature Version 4 documentation
   (AKIAIOSFODNN7EXAMPLE, 20130524T000000Z, Range header): our signer must give the
   documented canonical request, string to sign and signature.
2. A request whose expected signature this test derives itself, step by step, from the
   published algorithm with hashlib/hmac (canonical request -> string to sign -> signing
   key -> signature) -- for the generic signer (path segments encoded twice) and for S3's
   (path used as sent).

The signers read the clock through ``ibm_botocore.auth.datetime``; the tests freeze it.
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import types
from urllib.parse import quote

import pytest

import ibm_botocore.auth
from ibm_botocore.auth import S3SigV4Auth, SigV4Auth
from ibm_botocore.awsrequest import AWSRequest
from ibm_botocore.credentials import Credentials

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def freeze_clock(monkeypatch, when: datetime.datetime) -> None:
    class Frozen(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return cls(when.year, when.month, when.day, when.hour, when.minute, when.second)

        @classmethod
        def now(cls, tz=None):
            value = cls(when.year, when.month, when.day, when.hour, when.minute, when.second, tzinfo=datetime.timezone.utc)
            return value if tz is not None else value.replace(tzinfo=None)

    shim = types.SimpleNamespace(**{name: getattr(datetime, name) for name in dir(datetime) if not name.startswith("__")})
    shim.datetime = Frozen
    monkeypatch.setattr(ibm_botocore.auth, "datetime", shim)


# --- 1. AWS's documented example ------------------------------------------------------------------------
AWS_CREDENTIALS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
AWS_CANONICAL_REQUEST = "\n".join([
    "GET",
    "/test.txt",
    "",
    "host:examplebucket.s3.amazonaws.com",
    "range:bytes=0-9",
    "x-amz-content-sha256:" + EMPTY_SHA256,
    "x-amz-date:20130524T000000Z",
    "",
    "host;range;x-amz-content-sha256;x-amz-date",
    EMPTY_SHA256,
])
AWS_STRING_TO_SIGN = "\n".join([
    "AWS4-HMAC-SHA256",
    "20130524T000000Z",
    "20130524/us-east-1/s3/aws4_request",
    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
])
AWS_SIGNATURE = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"


def aws_get_object_request() -> AWSRequest:
    return AWSRequest(
        method="GET",
        url="https://examplebucket.s3.amazonaws.com/test.txt",
        headers={"Range": "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256},
    )


def test_aws_documented_get_object_example(monkeypatch):
    freeze_clock(monkeypatch, datetime.datetime(2013, 5, 24, 0, 0, 0))
    request = aws_get_object_request()
    SigV4Auth(AWS_CREDENTIALS, "s3", "us-east-1").add_auth(request)
    assert request.headers["X-Amz-Date"] == "20130524T000000Z"
    authorization = request.headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request")
    assert "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date" in authorization
    assert authorization.endswith("Signature=" + AWS_SIGNATURE)


def test_aws_documented_intermediate_steps():
    request = aws_get_object_request()
    request.headers["X-Amz-Date"] = "20130524T000000Z"
    request.context["timestamp"] = "20130524T000000Z"
    signer = SigV4Auth(AWS_CREDENTIALS, "s3", "us-east-1")
    canonical = signer.canonical_request(request)
    assert canonical == AWS_CANONICAL_REQUEST
    assert hashlib.sha256(canonical.encode()).hexdigest() == AWS_STRING_TO_SIGN.rsplit("\n", 1)[1]
    assert signer.string_to_sign(request, canonical) == AWS_STRING_TO_SIGN
    assert signer.signature(AWS_STRING_TO_SIGN, request) == AWS_SIGNATURE


def test_other_secret_gives_other_signature(monkeypatch):
    freeze_clock(monkeypatch, datetime.datetime(2013, 5, 24, 0, 0, 0))
    request = aws_get_object_request()
    SigV4Auth(Credentials("AKIAIOSFODNN7EXAMPLE", "not-the-secret"), "s3", "us-east-1").add_auth(request)
    assert AWS_SIGNATURE not in request.headers["Authorization"]


# --- 2. derived here, step by step -------------------------------------------------------------------------
ACCESS_KEY = "AKIDDERIVED000EXAMPLE"
SECRET_KEY = "derived/Secret+Key=EXAMPLE"
WHEN = datetime.datetime(2030, 1, 2, 3, 4, 5)
AMZ_DATE = "20300102T030405Z"
HOST = "s3.us-south.cloud-object-storage.appdomain.cloud"
BODY = b'{"hello": "world"}'


def hmac_sha256(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def derived_request() -> AWSRequest:
    url = "https://%s/my-bucket/photos/a%%20b/caf%%C3%%A9%%2Bx.jpg?versionId=v%%2B1&acl=&b-param=2&a-param=x%%20y" % HOST
    return AWSRequest(
        method="PUT",
        url=url,
        data=BODY,
        headers={
            "Content-Type": "application/json",
            "X-Amz-Meta-Spaces": "  two   spaces   inside  ",
            "x-amz-meta-dup": "first",
            "User-Agent": "not signed",
            "Expect": "100-continue",
        },
    )


def expected_authorization(canonical_uri: str, payload_hash: str, extra_headers: dict) -> str:
    # Task 1: the canonical request
    query = sorted([("versionId", "v%2B1"), ("acl", ""), ("b-param", "2"), ("a-param", "x%20y")])
    canonical_query = "&".join("%s=%s" % pair for pair in query)
    headers = {
        "content-type": "application/json",
        "host": HOST,
        "x-amz-date": AMZ_DATE,
        "x-amz-meta-spaces": "two spaces inside",  # trimmed, inner runs of spaces squeezed
        "x-amz-meta-dup": "first",
    }
    headers.update(extra_headers)
    names = sorted(headers)
    canonical_headers = "".join("%s:%s\n" % (name, headers[name]) for name in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(["PUT", canonical_uri, canonical_query, canonical_headers, signed_headers, payload_hash])
    # Task 2: the string to sign
    scope = "20300102/us-south/s3/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", AMZ_DATE, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    # Task 3: the signing key and the signature
    key = hmac_sha256(("AWS4" + SECRET_KEY).encode(), "20300102")
    key = hmac_sha256(key, "us-south")
    key = hmac_sha256(key, "s3")
    key = hmac_sha256(key, "aws4_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    # Task 4: the Authorization header
    return "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (ACCESS_KEY, scope, signed_headers, signature)


def test_generic_sigv4_derived_by_hand(monkeypatch):
    freeze_clock(monkeypatch, WHEN)
    request = derived_request()
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-south").add_auth(request)
    # the generic algorithm encodes each path segment once more: %20 -> %2520
    canonical_uri = "/" + "/".join(quote(segment, safe="~") for segment in "my-bucket/photos/a%20b/caf%C3%A9%2Bx.jpg".split("/"))
    assert canonical_uri == "/my-bucket/photos/a%2520b/caf%25C3%25A9%252Bx.jpg"
    payload = hashlib.sha256(BODY).hexdigest()
    assert request.headers["Authorization"] == expected_authorization(canonical_uri, payload, {})
    assert "X-Amz-Content-SHA256" not in request.headers


def test_s3_sigv4_derived_by_hand(monkeypatch):
    freeze_clock(monkeypatch, WHEN)
    request = derived_request()
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-south").add_auth(request)
    payload = hashlib.sha256(BODY).hexdigest()
    assert request.headers["X-Amz-Content-SHA256"] == payload
    # S3 signs the path exactly as sent, and the payload hash header itself
    expected = expected_authorization("/my-bucket/photos/a%20b/caf%C3%A9%2Bx.jpg", payload, {"x-amz-content-sha256": payload})
    assert request.headers["Authorization"] == expected


def test_session_token_is_signed(monkeypatch):
    freeze_clock(monkeypatch, WHEN)
    request = AWSRequest(method="GET", url="https://%s/b/k" % HOST)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, "session-token"), "s3", "us-south").add_auth(request)
    assert request.headers["X-Amz-Security-Token"] == "session-token"
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in request.headers["Authorization"]


@pytest.mark.parametrize("url, port_part", [("http://127.0.0.1:8080/b/k", "127.0.0.1:8080"), ("https://h.example:443/b/k", "h.example")])
def test_host_header_keeps_non_default_ports(monkeypatch, url, port_part):
    freeze_clock(monkeypatch, WHEN)
    request = AWSRequest(method="GET", url=url)
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-south")
    signer.add_auth(request)
    request.context["timestamp"] = AMZ_DATE
    assert "\nhost:%s\n" % port_part in signer.canonical_request(request)


# --- 3. canonicalization rules of the specification -----------------------------------------------------
def _stamped(request: AWSRequest) -> AWSRequest:
    request.headers["X-Amz-Date"] = AMZ_DATE
    request.context["timestamp"] = AMZ_DATE
    return request


def test_several_values_of_one_header_are_joined_in_order():
    # one name, several values (given as a list): kept in the order given, each trimmed, joined by commas
    request = _stamped(AWSRequest(method="GET", url="https://svc.example/", headers={"My-Header1": ["value4", "  value1 ", "value3", "value  2"]}))
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "svc", "us-south")
    canonical = signer.canonical_request(request)
    assert canonical.split("\n")[3:7] == ["host:svc.example", "my-header1:value4,value1,value3,value 2", "x-amz-date:" + AMZ_DATE, ""]
    assert signer.signed_headers(signer.headers_to_sign(request)) == "host;my-header1;x-amz-date"


def test_repeated_header_names_are_joined_in_order():
    class Repeated:
        def items(self):
            return [("X-Dup", "b"), ("Host", "svc.example"), ("x-dup", "a"), ("X-DUP", "c")]

    request = types.SimpleNamespace(headers=Repeated(), url="https://svc.example/")
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "svc", "us-south")
    headers = signer.headers_to_sign(request)
    assert headers == {"x-dup": ["b", "a", "c"], "host": ["svc.example"]}
    assert signer.canonical_headers(headers) == "host:svc.example\nx-dup:b,a,c"


@pytest.mark.parametrize("path, canonical", [
    ("//example//", "/example/"),
    ("/example1/example2/..", "/example1/"),
    ("/example1/example2/../..", "/"),
    ("/./", "/"),
    ("//", "/"),
    ("/a/./b/../c/", "/a/c/"),
    ("/a//b", "/a/b"),
    ("/example/.", "/example/"),
    ("", "/"),
])
def test_generic_path_normalization_keeps_a_trailing_slash(path, canonical):
    request = _stamped(AWSRequest(method="GET", url="https://svc.example" + path))
    assert SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "svc", "us-south").canonical_uri(request) == canonical


def test_s3_path_is_not_normalized():
    request = _stamped(AWSRequest(method="GET", url="https://s3.example//example//a/./b/../"))
    assert S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-south").canonical_uri(request) == "//example//a/./b/../"


def test_generic_signature_uses_the_normalized_path(monkeypatch):
    freeze_clock(monkeypatch, WHEN)
    request = AWSRequest(method="GET", url="https://svc.example//example//")
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "svc", "us-south").add_auth(request)
    canonical_request = "\n".join(["GET", "/example/", "", "host:svc.example\nx-amz-date:%s\n" % AMZ_DATE, "host;x-amz-date", EMPTY_SHA256])
    scope = "20300102/us-south/svc/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", AMZ_DATE, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = hmac_sha256(("AWS4" + SECRET_KEY).encode(), "20300102")
    for part in ("us-south", "svc", "aws4_request"):
        key = hmac_sha256(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    assert request.headers["Authorization"] == "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=host;x-amz-date, Signature=%s" % (ACCESS_KEY, scope, signature)
