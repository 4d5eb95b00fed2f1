"""Retries against a scripted local HTTP server: what is retried, how often, and what is resent."""
from __future__ import annotations

import hashlib
from typing import Any, List

import pytest

from core_helpers import make_client
from ibm_botocore.config import Config
from ibm_botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError
from scripted_server import RESET, ScriptedServer, respond, s3_error

OK_PUT = respond(200, headers={"ETag": '"etag-ok"'})
OK_GET = respond(200, b"payload", headers={"Content-Type": "text/plain"})
INTERNAL = s3_error(500, "InternalError", "We encountered an internal error.")
SLOWDOWN = s3_error(503, "SlowDown", "Please reduce your request rate.")


def _client(endpoint: str, delays: List[float], **config: Any) -> Any:
    s3 = make_client(endpoint, config=Config(response_checksum_validation="when_required", **config))
    s3._endpoint._sleep = delays.append  # record the backoff instead of waiting it out
    return s3


def test_500_then_503_then_success_counts_retry_attempts():
    delays: List[float] = []
    with ScriptedServer([INTERNAL, SLOWDOWN, OK_GET]) as server:
        s3 = _client(server.endpoint, delays)
        got = s3.get_object(Bucket="retry-bucket", Key="k")
        assert got["Body"].read() == b"payload"
    assert got["ResponseMetadata"]["RetryAttempts"] == 2
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(server.requests) == 3
    assert len(delays) == 2
    # legacy backoff: random() * 2 ** (attempt - 1)
    assert 0 <= delays[0] <= 1 and 0 <= delays[1] <= 2
    sdk_request = [r["headers"]["amz-sdk-request"] for r in server.requests]
    assert sdk_request[0] == "attempt=1"
    assert sdk_request[1].endswith("attempt=2; max=5") and sdk_request[2].endswith("attempt=3; max=5")
    invocation_ids = {r["headers"]["amz-sdk-invocation-id"] for r in server.requests}
    assert len(invocation_ids) == 1
    signatures = [r["headers"]["authorization"] for r in server.requests]
    assert all(s.startswith("AWS4-HMAC-SHA256 ") for s in signatures)


def test_slowdown_retried_and_file_body_rewound(tmp_path):
    data = bytes(range(256)) * 1000
    path = tmp_path / "body.bin"
    path.write_bytes(data)
    delays: List[float] = []
    with ScriptedServer([SLOWDOWN, SLOWDOWN, OK_PUT]) as server:
        s3 = _client(server.endpoint, delays)
        with open(path, "rb") as handle:
            put = s3.put_object(Bucket="retry-bucket", Key="file", Body=handle)
    assert put["ETag"] == '"etag-ok"'
    assert put["ResponseMetadata"]["RetryAttempts"] == 2
    bodies = [r["body"] for r in server.requests]
    assert len(bodies) == 3
    assert all(hashlib.sha256(b).digest() == hashlib.sha256(data).digest() for b in bodies)
    checksums = {r["headers"].get("x-amz-checksum-crc32") for r in server.requests}
    assert len(checksums) == 1 and None not in checksums


def test_bytes_body_resent_identically_with_checksum():
    delays: List[float] = []
    with ScriptedServer([INTERNAL, OK_PUT]) as server:
        s3 = _client(server.endpoint, delays)
        s3.put_object(Bucket="retry-bucket", Key="b", Body=b"hello retry")
    assert [r["body"] for r in server.requests] == [b"hello retry", b"hello retry"]
    assert server.requests[0]["headers"]["x-amz-checksum-crc32"] == server.requests[1]["headers"]["x-amz-checksum-crc32"]


def test_connection_reset_is_retried():
    delays: List[float] = []
    with ScriptedServer([RESET, OK_GET]) as server:
        s3 = _client(server.endpoint, delays)
        got = s3.get_object(Bucket="retry-bucket", Key="k")
        assert got["Body"].read() == b"payload"
    assert got["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(server.requests) == 2


def test_exhausted_retries_say_so():
    delays: List[float] = []
    with ScriptedServer([INTERNAL]) as server:
        s3 = _client(server.endpoint, delays)
        with pytest.raises(ClientError) as info:
            s3.get_object(Bucket="retry-bucket", Key="k")
    error = info.value
    assert "(reached max retries: 4)" in str(error)
    assert str(error) == ("An error occurred (InternalError) when calling the GetObject operation (reached max retries: 4): "
                          "We encountered an internal error.")
    assert error.response["ResponseMetadata"]["RetryAttempts"] == 4
    assert error.response["ResponseMetadata"]["MaxAttemptsReached"] is True
    assert len(server.requests) == 5
    assert len(delays) == 4


def test_connection_resets_until_exhausted_raise_connection_error():
    delays: List[float] = []
    with ScriptedServer([RESET]) as server:
        s3 = _client(server.endpoint, delays, retries={"max_attempts": 2})
        with pytest.raises(ConnectionClosedError) as info:
            s3.list_buckets()
    # the public exception itself (no private or builtin one), naming the endpoint
    assert type(info.value) is ConnectionClosedError
    assert server.endpoint in str(info.value)
    assert len(server.requests) == 3


def test_standard_mode_total_max_attempts():
    delays: List[float] = []
    with ScriptedServer([SLOWDOWN]) as server:
        s3 = _client(server.endpoint, delays, retries={"mode": "standard", "total_max_attempts": 3})
        with pytest.raises(ClientError) as info:
            s3.get_object(Bucket="retry-bucket", Key="k")
    assert "(reached max retries: 2)" in str(info.value)
    assert info.value.response["Error"]["Code"] == "SlowDown"
    assert len(server.requests) == 3
    assert server.requests[0]["headers"]["amz-sdk-request"] == "attempt=1"
    assert server.requests[2]["headers"]["amz-sdk-request"].endswith("attempt=3; max=3")
    assert len(delays) == 2 and all(0 <= d <= 20 for d in delays)


def _backoffs(monkeypatch, mode: str) -> List[float]:
    import ibm_botocore.retries

    monkeypatch.setattr(ibm_botocore.retries.random, "random", lambda: 0.999)
    delays: List[float] = []
    with ScriptedServer([INTERNAL]) as server:
        s3 = _client(server.endpoint, delays, retries={"mode": mode, "total_max_attempts": 4})
        with pytest.raises(ClientError):
            s3.head_bucket(Bucket="retry-bucket")
    return delays


def test_legacy_backoff_doubles(monkeypatch):
    assert _backoffs(monkeypatch, "legacy") == pytest.approx([0.999, 1.998, 3.996])


def test_standard_backoff_matches_ibm_cos_sdk(monkeypatch):
    assert _backoffs(monkeypatch, "standard") == pytest.approx([0.999, 1.998, 3.996])


def test_max_attempts_option_counts_retries():
    delays: List[float] = []
    with ScriptedServer([INTERNAL]) as server:
        s3 = _client(server.endpoint, delays, retries={"max_attempts": 1})
        with pytest.raises(ClientError) as info:
            s3.head_bucket(Bucket="retry-bucket")
    assert len(server.requests) == 2
    assert "(reached max retries: 1)" in str(info.value)


def test_client_errors_are_not_retried():
    delays: List[float] = []
    with ScriptedServer([s3_error(400, "InvalidArgument", "no"), OK_GET]) as server:
        s3 = _client(server.endpoint, delays)
        with pytest.raises(ClientError) as info:
            s3.get_object(Bucket="retry-bucket", Key="k")
    assert info.value.response["Error"]["Code"] == "InvalidArgument"
    assert info.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert "reached max retries" not in str(info.value)
    assert len(server.requests) == 1 and delays == []


def test_s3_request_timeout_400_is_retried():
    delays: List[float] = []
    with ScriptedServer([s3_error(400, "RequestTimeout", "slow"), OK_PUT]) as server:
        s3 = _client(server.endpoint, delays)
        put = s3.put_object(Bucket="retry-bucket", Key="k", Body=b"x")
    assert put["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(server.requests) == 2


def test_copy_200_with_error_body_is_retried():
    delays: List[float] = []
    error_in_200 = respond(200, b"<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>later</Message></Error>")
    success = respond(200, b"<CopyObjectResult><ETag>\"e\"</ETag><LastModified>2024-01-01T00:00:00.000Z</LastModified></CopyObjectResult>")
    with ScriptedServer([error_in_200, success]) as server:
        s3 = _client(server.endpoint, delays)
        copied = s3.copy_object(Bucket="retry-bucket", Key="dst", CopySource="src-bucket/src")
    assert copied["CopyObjectResult"]["ETag"] == '"e"'
    assert copied["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(server.requests) == 2


def test_unreachable_endpoint_raises_endpoint_connection_error():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        delays: List[float] = []
        s3 = _client("http://127.0.0.1:%d" % port, delays, retries={"max_attempts": 1}, connect_timeout=2)
        with pytest.raises(EndpointConnectionError) as info:
            s3.list_buckets()
    assert "127.0.0.1:%d" % port in str(info.value)
    assert len(delays) == 1
