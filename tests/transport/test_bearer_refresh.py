"""A bearer token the server already rejects: a 401/403 to a bearer-authenticated request
whose body names no other cause (no body at all, as on HEAD, or a token-expired code) gets
one forced token refresh and one resend — once per request, never a loop."""
from __future__ import annotations

import hashlib
import json
import os
import threading

import pytest

import ibm_boto3
from ibm_botocore.config import Config
from ibm_botocore.exceptions import ClientError
from rawserver import make_client, response, s3_error, serve_forever



@pytest.fixture(scope="module")
def emu():
    ibm_cos_emulator = pytest.importorskip("ibm_cos_emulator")
    pytest.importorskip("moto")  # the emulator's engine
    with ibm_cos_emulator.Emulator(token_ttl=3600) as emulator:
        yield emulator


def _oauth_client(endpoint_url: str, auth_endpoint: str, api_key: str = "key-1", instance: str = "crn:v1:instance", **config):
    return ibm_boto3.client("s3", ibm_api_key_id=api_key, ibm_service_instance_id=instance,
                            ibm_auth_endpoint=auth_endpoint, endpoint_url=endpoint_url,
                            config=Config(signature_version="oauth", **config))


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def test_tokens_expired_server_side_during_upload_and_download(emu, transport, tmp_path):
    from ibm_boto3.s3.transfer import TransferConfig

    cos = _oauth_client(emu.endpoint_url, emu.auth_endpoint, emu.api_key, emu.instance_id)
    bucket = "bearer-%s" % os.urandom(6).hex()
    cos.create_bucket(Bucket=bucket)
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(20 * 1024 * 1024))
    config = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=2)
    lock = threading.Lock()
    seen = {"bytes": 0, "expired": 0}

    def expire_halfway(count):
        with lock:
            seen["bytes"] += count
            if seen["bytes"] >= 10 * 1024 * 1024 and not seen["expired"]:
                seen["expired"] = emu.expire_tokens() or 1

    before = len(emu.iam_requests)
    cos.upload_file(str(source), bucket, "big", Config=config, Callback=expire_halfway)
    assert seen["expired"]
    seen.update(bytes=0, expired=0)
    target = tmp_path / "target.bin"
    emu.expire_tokens()  # the download starts with HeadObject: a 403 without a body
    cos.download_file(bucket, "big", str(target), Config=config, Callback=expire_halfway)
    assert _sha256(target) == _sha256(source)
    refreshes = emu.iam_requests[before:]
    assert 2 <= len(refreshes) <= 6 and all(r["status"] == 200 for r in refreshes)
    emu.expire_tokens()
    assert cos.head_object(Bucket=bucket, Key="big")["ContentLength"] == 20 * 1024 * 1024


class _TokenServer:
    """IAM token endpoint and a scripted S3 on one raw server; counts both."""

    def __init__(self, server, s3_answer):
        self.tokens = 0
        self.raw = server(serve_forever(self._answer))
        self._s3_answer = s3_answer

    def _answer(self, peer, request):
        if request.method == "POST" and request.target.startswith("/identity/token"):
            peer.read_body(request)
            self.tokens += 1
            token = json.dumps({"access_token": "tok-%d" % self.tokens, "refresh_token": "r", "token_type": "Bearer",
                                "expires_in": 3600, "expiration": 4102444800}).encode()
            peer.send(response(200, [("Content-Type", "application/json")], token))
        else:
            peer.read_body(request)
            peer.send(self._s3_answer(request))
        return True

    def s3_requests(self):
        return [r for r in self.raw.requests if not r.target.startswith("/identity/token")]


def test_a_rejected_token_is_refreshed_once_never_in_a_loop(server, transport):
    tokens = _TokenServer(server, lambda request: response(403, reason="Forbidden"))
    cos = _oauth_client(tokens.raw.url, tokens.raw.url + "/identity/token", retries={"max_attempts": 3})
    with pytest.raises(ClientError) as info:
        cos.head_object(Bucket="bucket1", Key="k")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    heads = tokens.s3_requests()
    assert [r.headers["authorization"] for r in heads] == ["Bearer tok-1", "Bearer tok-2"]
    assert tokens.tokens == 2


def test_a_token_expired_code_is_refreshed_and_succeeds(server, transport):
    def answer(request):
        if request.headers["authorization"] == "Bearer tok-1":
            return s3_error(401, "ExpiredToken", "Unauthorized")
        return response(200, body=b"<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>")

    tokens = _TokenServer(server, answer)
    cos = _oauth_client(tokens.raw.url, tokens.raw.url + "/identity/token")
    result = cos.list_buckets()
    assert result["ResponseMetadata"]["RetryAttempts"] == 0
    assert tokens.tokens == 2 and len(tokens.s3_requests()) == 2


def test_access_denied_names_another_cause_and_is_not_refreshed(server, transport):
    tokens = _TokenServer(server, lambda request: s3_error(403, "AccessDenied", "Forbidden"))
    cos = _oauth_client(tokens.raw.url, tokens.raw.url + "/identity/token")
    with pytest.raises(ClientError) as info:
        cos.get_object(Bucket="bucket1", Key="k")
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    assert tokens.tokens == 1 and len(tokens.s3_requests()) == 1


def test_hmac_requests_are_never_refreshed(server, transport):
    raw = server(serve_forever(lambda peer, request: peer.send(response(403, reason="Forbidden")) is None))
    client = make_client(raw.url, attempts=3)
    with pytest.raises(ClientError):
        client.head_object(Bucket="bucket1", Key="k")
    assert len(raw.requests) == 1
