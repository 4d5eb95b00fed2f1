"""One body decision: the plan the S3 step makes for an upload is what goes on the wire, and
what the transfer manager is told ahead of time (``s3.upload_body_plan``) is the same plan.

Each case uploads to a raw server (http, or https with a test certificate) and reads the
request as received: whether the checksum came in a header or an aws-chunked trailer, and
whether ``X-Amz-Content-SHA256`` is the body's SHA-256 or a marker.
"""
from __future__ import annotations

import base64
import hashlib
import io
import zlib
from typing import Any, Dict, List

import pytest

import ibm_boto3
from ibm_boto3.s3.transfer import TransferConfig
from ibm_botocore import s3
from ibm_botocore.config import Config
from ibm_botocore.context import BodyPlan, ChecksumPlacement, RequestContext
from rawserver import ACCESS_KEY, SECRET_KEY, response, serve_forever

DATA = b"the body decision is made once\n" * 64
SHA256 = hashlib.sha256(DATA).hexdigest()
CRC32 = base64.b64encode(zlib.crc32(DATA).to_bytes(4, "big")).decode("ascii")


def _put_ok(peer: Any, request: Any) -> bool:
    peer.read_body(request)
    peer.send(response(200, [("ETag", '"%s"' % hashlib.md5(DATA).hexdigest())]))
    return True


def _client(url: str, signature_version: str, certificate: Dict[str, Any], **config: Any) -> Any:
    return ibm_boto3.client(
        "s3",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        endpoint_url=url,
        verify=certificate["file"] if url.startswith("https") else None,
        config=Config(signature_version=signature_version, retries={"max_attempts": 0}, **config),
    )


def _expected(scheme: str, signature_version: str) -> BodyPlan:
    trailer = scheme == "https" and signature_version == "s3v4"
    signed = signature_version == "s3v4" and scheme == "http"
    return BodyPlan(sign_payload=signed, checksum=ChecksumPlacement("crc32", "x-amz-checksum-crc32", trailer))


def _assert_wire(request: Any, plan: BodyPlan, signature_version: str) -> None:
    headers = request.headers
    if plan.in_trailer:
        assert headers["content-encoding"] == "aws-chunked"
        assert headers["x-amz-trailer"] == "x-amz-checksum-crc32"
        assert headers["x-amz-decoded-content-length"] == str(len(DATA))
        assert b"x-amz-checksum-crc32:" + CRC32.encode("ascii") in request.body
        assert "x-amz-checksum-crc32" not in headers
    else:
        assert headers["x-amz-checksum-crc32"] == CRC32
        assert request.body == DATA
    if signature_version == "s3":
        assert "x-amz-content-sha256" not in headers
    elif plan.sign_payload:
        assert headers["x-amz-content-sha256"] == SHA256
    else:
        assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_put_object_sends_what_the_plan_says(server, transport, certificate, scheme, signature_version):
    raw = server(serve_forever(_put_ok), tls=certificate["context"] if scheme == "https" else None)
    client = _client(raw.url, signature_version, certificate)
    plan = s3.upload_body_plan(client, "CRC32")
    assert plan == _expected(scheme, signature_version)
    client.put_object(Bucket="bucket1", Key="k", Body=DATA)
    [request] = raw.requests
    _assert_wire(request, plan, signature_version)


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_transfer_upload_agrees_with_the_client(server, transport, certificate, scheme, signature_version):
    """upload_fileobj computes (or leaves to the client) exactly what the plan names: the
    same headers and body arrive as from a plain put_object."""
    raw = server(serve_forever(_put_ok), tls=certificate["context"] if scheme == "https" else None)
    client = _client(raw.url, signature_version, certificate)
    client.upload_fileobj(io.BytesIO(DATA), "bucket1", "k", Config=TransferConfig(use_threads=False))
    [request] = raw.requests
    assert request.method == "PUT"
    _assert_wire(request, _expected(scheme, signature_version), signature_version)


def test_configured_payload_signing_is_the_plan(server, transport, certificate):
    """Config(s3={'payload_signing_enabled': True}) hashes even a streaming upload over https."""
    raw = server(serve_forever(_put_ok), tls=certificate["context"])
    client = _client(raw.url, "s3v4", certificate, s3={"payload_signing_enabled": True}, request_checksum_calculation="when_required")
    plan = s3.upload_body_plan(client, None)
    assert plan == BodyPlan(sign_payload=True, checksum=None)
    client.put_object(Bucket="bucket1", Key="k", Body=DATA)
    [request] = raw.requests
    assert request.headers["x-amz-content-sha256"] == SHA256
    assert request.body == DATA
    assert not any(name.startswith("x-amz-checksum-") for name in request.headers)


def test_handlers_see_the_context_as_a_mapping(server, transport):
    """Event handlers get the request context as ibm-cos-sdk's dict: its keys, their own keys
    kept from one event to the next, the checksum decision under 'checksum'."""
    raw = server(serve_forever(_put_ok))
    client = _client(raw.url, "s3v4", {})
    seen: List[Dict[str, Any]] = []

    def before_build(params: Any, context: Any, **kwargs: Any) -> None:
        context["my-handler"] = {"marker": 1}

    def after_call(context: Any, **kwargs: Any) -> None:
        seen.append(dict(context))

    client.meta.events.register("before-parameter-build.s3.PutObject", before_build)
    client.meta.events.register("after-call.s3.PutObject", after_call)
    client.put_object(Bucket="bucket1", Key="k", Body=DATA)
    [context] = seen
    assert context["operation_name"] == "PutObject"
    assert context["has_streaming_input"] is True
    assert context["payload_signing_enabled"] is False
    assert context["my-handler"] == {"marker": 1}
    assert context["checksum"] == {"request_algorithm": {"in": "header", "algorithm": "crc32", "name": "x-amz-checksum-crc32"}}
    assert context["retries"]["attempt"] == 1
    assert len(context["timestamp"]) == 16 and context["timestamp"].endswith("Z")
    assert context["client_config"] is client.meta.config


def test_request_context_mapping_rules():
    context = RequestContext(operation_name="HeadObject")
    assert dict(context) == {"operation_name": "HeadObject"}
    context["client_region"] = "us-south"
    assert context.client_region == "us-south"
    context["anything"] = None
    assert context["anything"] is None and "anything" in context
    del context["client_region"]
    assert "client_region" not in context and context.client_region is None
    with pytest.raises(KeyError):
        context["timestamp"]
    with pytest.raises(TypeError, match="derived"):
        context["checksum"] = {}
    copied = RequestContext.of({"operation_name": "GetObject", "timestamp": "20260101T000000Z", "retries": {"attempt": 3}})
    assert copied.operation_name == "GetObject" and copied.timestamp == "20260101T000000Z"
    assert copied.attempt is None  # derived keys are not taken from a plain dict
    assert RequestContext.of(copied) is copied
