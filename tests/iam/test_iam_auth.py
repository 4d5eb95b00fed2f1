"""IBM IAM authentication against the emulator's real token service.

Covers the token request on the wire, bearer use, the instance-id header, proactive
and forced refresh, concurrency (one IAM call for many threads), IAM failures, and the
COS guide's client/resource creation.
"""
from __future__ import annotations

import datetime
import threading
import uuid

import pytest

import ibm_boto3
from ibm_botocore.client import ClientError, Config
from ibm_botocore.credentials import DefaultTokenManager
from ibm_botocore.exceptions import CredentialRetrievalError, InvalidConfigError, UnsupportedSignatureVersionError

ibm_cos_emulator = pytest.importorskip("ibm_cos_emulator")


@pytest.fixture(scope="module")
def emu():
    with ibm_cos_emulator.Emulator(token_ttl=3600) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _clean_faults(emu):
    yield
    emu.faults.clear()


def _oauth_client(emu, **extra):
    kwargs = dict(
        ibm_api_key_id=emu.api_key,
        ibm_service_instance_id=emu.instance_id,
        ibm_auth_endpoint=emu.auth_endpoint,
        config=Config(signature_version="oauth"),
        endpoint_url=emu.endpoint_url,
    )
    kwargs.update(extra)
    return ibm_boto3.client("s3", **kwargs)


def _capture(client):
    """Record every request the client sends (after signing)."""
    seen = []

    def handler(request, **kwargs):
        # prepared requests hold bytes values, as ibm-cos-sdk's do
        seen.append((request.method, request.url, {k: v.decode("utf-8") if isinstance(v, bytes) else v for k, v in request.headers.items()}))

    client.meta.events.register("before-send.s3", handler)
    return seen


def _new_bucket_name():
    return "iam-%s" % uuid.uuid4().hex[:16]


def test_token_request_on_the_wire_and_bearer_use(emu):
    before = len(emu.iam_requests)
    cos = _oauth_client(emu)
    sent = _capture(cos)
    bucket = _new_bucket_name()
    cos.create_bucket(Bucket=bucket)
    cos.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert cos.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    token_requests = emu.iam_requests[before:]
    assert len(token_requests) == 1  # fetched lazily, once, then cached
    first = token_requests[0]
    assert first["grant_type"] == "urn:ibm:params:oauth:grant-type:apikey"
    assert first["response_type"] == "cloud_iam"
    assert first["apikey"] == ibm_cos_emulator.fingerprint(emu.api_key)
    assert first["content_type"] == "application/x-www-form-urlencoded"
    assert first["accept"] == "application/json"
    assert first["basic_auth_user"] == "bx"
    assert first["status"] == 200
    for _method, _url, headers in sent:
        auth = headers["Authorization"]
        assert auth.startswith("Bearer ") and len(auth) > len("Bearer ") + 10
        assert "X-Amz-Date" not in headers and "X-Amz-Content-SHA256" not in headers


def test_instance_id_header_only_where_cos_needs_it(emu):
    cos = _oauth_client(emu)
    sent = _capture(cos)
    bucket = _new_bucket_name()
    cos.create_bucket(Bucket=bucket)
    cos.list_buckets()
    cos.head_bucket(Bucket=bucket)
    cos.list_buckets_extended()
    by_call = {(m, u.split("?")[0].rstrip("/").rsplit("/", 1)[-1] or "/"): h for m, u, h in sent}
    with_header = [(m, u) for m, u, h in sent if "ibm-service-instance-id" in {k.lower() for k in h}]
    assert [m for m, _ in with_header] == ["PUT", "GET"]  # CreateBucket, ListBuckets
    for method, url, headers in sent:
        value = {k.lower(): v for k, v in headers.items()}.get("ibm-service-instance-id")
        if value is not None:
            assert value == emu.instance_id
    assert by_call  # requests were captured


def test_instance_id_is_per_client_not_per_session(emu):
    session = ibm_boto3.session.Session()
    first = session.client("s3", ibm_api_key_id=emu.api_key, ibm_service_instance_id=emu.instance_id, ibm_auth_endpoint=emu.auth_endpoint, endpoint_url=emu.endpoint_url, config=Config(signature_version="oauth"))
    session.client("s3", ibm_api_key_id=emu.api_key, ibm_service_instance_id="crn:second", ibm_auth_endpoint=emu.auth_endpoint, endpoint_url=emu.endpoint_url, config=Config(signature_version="oauth"))
    sent = _capture(first)
    first.list_buckets()
    assert {k.lower(): v for k, v in sent[0][2].items()}["ibm-service-instance-id"] == emu.instance_id


def test_api_key_without_signature_version_uses_oauth(emu):
    cos = ibm_boto3.client("s3", ibm_api_key_id=emu.api_key, ibm_service_instance_id=emu.instance_id, ibm_auth_endpoint=emu.auth_endpoint, endpoint_url=emu.endpoint_url)
    sent = _capture(cos)
    cos.list_buckets()
    assert sent[0][2]["Authorization"].startswith("Bearer ")


def test_contradictory_settings_fail_early(emu):
    with pytest.raises(InvalidConfigError) as info:
        ibm_boto3.client("s3", aws_access_key_id="AK", aws_secret_access_key="SECRETKEY", config=Config(signature_version="oauth"), endpoint_url=emu.endpoint_url)
    assert "SECRETKEY" not in str(info.value)
    with pytest.raises(InvalidConfigError):
        ibm_boto3.client("s3", ibm_api_key_id="some-key", config=Config(signature_version="s3v4"), endpoint_url=emu.endpoint_url)


def test_presign_with_api_key_says_hmac_needed(emu):
    cos = _oauth_client(emu)
    with pytest.raises(UnsupportedSignatureVersionError) as info:
        cos.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    assert "HMAC" in str(info.value)


def test_expired_token_is_refreshed_and_the_request_resent(emu):
    cos = _oauth_client(emu)
    bucket = _new_bucket_name()
    cos.create_bucket(Bucket=bucket)
    before = len(emu.iam_requests)
    assert emu.expire_tokens() >= 1
    response = cos.list_objects_v2(Bucket=bucket)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    refreshes = emu.iam_requests[before:]
    assert len(refreshes) == 1
    assert refreshes[0]["grant_type"] == "refresh_token"
    assert refreshes[0]["status"] == 200


def test_many_threads_share_one_token_request(emu):
    cos = _oauth_client(emu)
    before = len(emu.iam_requests)
    errors = []
    barrier = threading.Barrier(16)

    def worker():
        try:
            barrier.wait()
            cos.list_buckets()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(emu.iam_requests) - before == 1


class _Clock:
    def __init__(self):
        self.now = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


def test_proactive_refresh_windows(emu):
    clock = _Clock()
    manager = DefaultTokenManager(api_key_id=emu.api_key, auth_endpoint=emu.auth_endpoint, time_fetcher=clock)
    before = len(emu.iam_requests)
    first = manager.get_token()
    assert len(emu.iam_requests) - before == 1
    clock.advance(3600 * 0.5)  # outside both windows: cached
    assert manager.get_token() == first
    assert len(emu.iam_requests) - before == 1
    clock.advance(3600 * 0.3)  # 20% left: advisory window -> background refresh, current token served
    served = manager.get_token()
    assert served == first
    thread = manager._background
    assert thread is not None
    thread.join(10)
    assert len(emu.iam_requests) - before == 2
    second = manager.get_token()
    assert second != first
    clock.advance(3600 * 0.9)  # 10% left of the new token: mandatory window -> refreshed before returning
    third = manager.get_token()
    assert third not in (first, second)
    assert len(emu.iam_requests) - before == 3


def test_clear_error_when_iam_keeps_failing(emu):
    emu.faults.iam_error(500, times=10)
    cos = _oauth_client(emu)
    with pytest.raises(CredentialRetrievalError) as info:
        cos.list_buckets()
    text = str(info.value)
    assert emu.auth_endpoint in text
    assert "HttpCode(500)" in text
    assert emu.api_key not in text
    # bounded: three attempts, then the error
    assert sum(1 for r in emu.iam_requests[-3:] if r["status"] == 500) == 3


def test_unknown_api_key_is_reported_without_the_key(emu):
    cos = ibm_boto3.client("s3", ibm_api_key_id="not-a-real-key-123456", ibm_auth_endpoint=emu.auth_endpoint, endpoint_url=emu.endpoint_url, config=Config(signature_version="oauth"))
    with pytest.raises(CredentialRetrievalError) as info:
        cos.list_buckets()
    text = str(info.value)
    assert "HttpCode(400)" in text and "not-a-real-key-123456" not in text


def test_forged_token_gets_cos_access_denied(emu):
    class Forged(DefaultTokenManager):
        def get_token(self):
            return "forged-token"

    cos = ibm_boto3.client("s3", token_manager=Forged(api_key_id="x"), endpoint_url=emu.endpoint_url, config=Config(signature_version="oauth"))
    with pytest.raises(ClientError) as info:
        cos.list_buckets()
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_auth_function_is_used_instead_of_the_api_key(emu):
    calls = []
    real = DefaultTokenManager(api_key_id=emu.api_key, auth_endpoint=emu.auth_endpoint)

    def auth_function():
        calls.append(1)
        return real._default_auth_function()

    cos = ibm_boto3.client("s3", auth_function=auth_function, endpoint_url=emu.endpoint_url, ibm_service_instance_id=emu.instance_id, config=Config(signature_version="oauth"))
    cos.list_buckets()
    cos.list_buckets()
    assert calls == [1]


def test_guide_client_and_resource_creation(emu):
    COS_ENDPOINT = emu.endpoint_url
    COS_API_KEY_ID = emu.api_key
    COS_INSTANCE_CRN = emu.instance_id
    # the guide's code, with the auth endpoint pointed at the emulator
    cos_resource = ibm_boto3.resource("s3",
        ibm_api_key_id=COS_API_KEY_ID,
        ibm_service_instance_id=COS_INSTANCE_CRN,
        ibm_auth_endpoint=emu.auth_endpoint,
        config=Config(signature_version="oauth"),
        endpoint_url=COS_ENDPOINT
    )
    cos_client = ibm_boto3.client("s3",
        ibm_api_key_id=COS_API_KEY_ID,
        ibm_service_instance_id=COS_INSTANCE_CRN,
        ibm_auth_endpoint=emu.auth_endpoint,
        config=Config(signature_version="oauth"),
        endpoint_url=COS_ENDPOINT
    )
    bucket = _new_bucket_name()
    cos_client.create_bucket(Bucket=bucket)
    cos_resource.Object(bucket, "from-resource").put(Body=b"resource body")
    assert cos_client.get_object(Bucket=bucket, Key="from-resource")["Body"].read() == b"resource body"
    assert bucket in [b.name for b in cos_resource.buckets.all()]
