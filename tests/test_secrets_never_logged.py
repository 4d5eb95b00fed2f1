"""Secrets never appear in log records, reprs or exception messages, even at DEBUG.

Every logger of the SDK is captured at DEBUG while real requests run against the emulator:
SSE-C puts/gets/copies (the key, its base64 form), a bucket with a Key Protect root key CRN,
HMAC signing (the secret key) and IAM signing (the API key, the bearer token).
"""
from __future__ import annotations

import base64
import logging
import os

import pytest

from cos_test_support import iam_client, new_bucket
from ibm_botocore.exceptions import ParamValidationError

SDK_LOGGERS = ("ibm_botocore", "ibm_boto3", "ibm_s3transfer")
SSE_KEY = os.urandom(32)
CRN = "crn:v1:bluemix:public:kms:us-south:a/0123456789abcdef:4f1f3b2e-key-protect:key:5e6d7c8b-root"


@pytest.fixture
def debug_log(caplog):
    for name in SDK_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _forbidden(*secrets):
    out = []
    for secret in secrets:
        raw = secret if isinstance(secret, bytes) else secret.encode()
        out.append(raw.decode("latin-1"))
        out.append(base64.b64encode(raw).decode())
    return out


def _assert_absent(text, secrets):
    for secret in secrets:
        assert secret not in text


def test_sse_c_and_kp_crn_are_redacted_at_debug(debug_log, emu, client, bucket):
    client.put_object(Bucket=bucket, Key="k", Body=b"payload", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY)
    got = client.get_object(Bucket=bucket, Key="k", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY)
    assert got["Body"].read() == b"payload"
    client.copy_object(
        Bucket=bucket, Key="k2", CopySource={"Bucket": bucket, "Key": "k"},
        CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=SSE_KEY,
        SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY,
    )
    kp_bucket = new_bucket(client, "kp-")
    client.delete_bucket(Bucket=kp_bucket)
    client.create_bucket(Bucket=kp_bucket, IBMSSEKPEncryptionAlgorithm="AES256", IBMSSEKPCustomerRootKeyCrn=CRN)

    text = debug_log.text
    # The logs are there (so the test can fail): canonical requests and request dicts.
    assert "SigV4 canonical request" in text and "Making request for" in text
    assert "x-amz-server-side-encryption-customer-key:<redacted>" in text
    assert "ibm-sse-kp-customer-root-key-crn:<redacted>" in text
    _assert_absent(text, _forbidden(SSE_KEY, CRN, emu.secret_access_key))


def test_resource_layer_debug_log_redacts_sensitive_members(debug_log, emu, bucket):
    import ibm_boto3

    resource = ibm_boto3.resource("s3", **emu.client_kwargs("hmac"))
    obj = resource.Object(bucket, "r")
    obj.put(Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY)
    assert obj.get(SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY)["Body"].read() == b"x"
    text = debug_log.text
    assert "Calling s3:put_object with" in text and "'SSECustomerKey': '<redacted>'" in text
    _assert_absent(text, _forbidden(SSE_KEY))


def test_api_key_and_bearer_token_are_redacted_at_debug(debug_log, emu):
    client = iam_client(emu)
    seen = []
    client.meta.events.register("before-send.s3.*", lambda request, **kw: seen.append(request.headers["Authorization"]))
    bucket = new_bucket(client, "iam-")
    client.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert seen and all(value.startswith(b"Bearer " if isinstance(value, bytes) else "Bearer ") for value in seen)
    token = seen[0][len("Bearer "):]
    token = token.decode() if isinstance(token, bytes) else token
    assert len(token) > 20
    text = debug_log.text + repr(client) + repr(client._request_signer)
    assert "Making request for" in text
    _assert_absent(text, [emu.api_key, token])
    client.close()


@pytest.mark.parametrize("member", ["SSECustomerKey", "CopySourceSSECustomerKey"])
def test_wrongly_typed_key_is_not_echoed_in_the_error(client, bucket, member):
    secret = 987654321987654321987654321
    params = {"Bucket": bucket, "Key": "k", "SSECustomerAlgorithm": "AES256", member: secret}
    if member.startswith("CopySource"):
        params.update(CopySource={"Bucket": bucket, "Key": "src"}, CopySourceSSECustomerAlgorithm="AES256")
        call = client.copy_object
    else:
        call = client.put_object
    with pytest.raises(ParamValidationError) as raised:
        call(**params)
    message = str(raised.value)
    assert member in message and "<class 'int'>" in message
    assert str(secret) not in message


def test_wrongly_typed_kp_crn_is_not_echoed_in_the_error(client):
    secret = 123456789123456789123456789
    with pytest.raises(ParamValidationError) as raised:
        client.create_bucket(Bucket="b-crn-type", IBMSSEKPCustomerRootKeyCrn=secret)
    message = str(raised.value)
    assert "IBMSSEKPCustomerRootKeyCrn" in message and "<class 'int'>" in message
    assert str(secret) not in message
