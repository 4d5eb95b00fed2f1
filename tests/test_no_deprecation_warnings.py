"""The SDK's import path and a client round trip emit nothing under ``-W error::DeprecationWarning``.

A user whose own test suite runs with warnings as errors must not fail on our code (e.g.
``datetime.utcnow()`` is deprecated from Python 3.12 on). The client runs in a fresh interpreter
that imports only the SDK and its runtime dependencies; the emulator serves it from this process.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ROUND_TRIP = r'''
import io, os, urllib.request
import ibm_boto3, ibm_botocore, ibm_s3transfer
from ibm_boto3.s3.transfer import TransferConfig
from ibm_botocore.client import Config

env = os.environ
iam = ibm_boto3.client("s3", ibm_api_key_id=env["EMU_API_KEY"], ibm_service_instance_id=env["EMU_INSTANCE"],
                       ibm_auth_endpoint=env["EMU_AUTH"], config=Config(signature_version="oauth"),
                       endpoint_url=env["EMU_URL"])
hmac = ibm_boto3.client("s3", aws_access_key_id=env["EMU_ACCESS"], aws_secret_access_key=env["EMU_SECRET"],
                        endpoint_url=env["EMU_URL"], region_name="us-south")
bucket = env["EMU_BUCKET"]
iam.create_bucket(Bucket=bucket)
iam.put_object(Bucket=bucket, Key="small", Body=b"small body")
assert iam.get_object(Bucket=bucket, Key="small")["Body"].read() == b"small body"
assert hmac.head_object(Bucket=bucket, Key="small", ChecksumMode="ENABLED")["ContentLength"] == 10
data = os.urandom(6 * 1024 * 1024 + 5)
config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
hmac.upload_fileobj(io.BytesIO(data), bucket, "big", Config=config)
out = io.BytesIO()
hmac.download_fileobj(bucket, "big", out, Config=config)
assert out.getvalue() == data
url = hmac.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "small"}, ExpiresIn=60)
assert urllib.request.urlopen(url).read() == b"small body"
assert "policy" in hmac.generate_presigned_post(bucket, "form-key", ExpiresIn=60)["fields"]
keys = [o.key for o in ibm_boto3.resource("s3", aws_access_key_id=env["EMU_ACCESS"],
                                          aws_secret_access_key=env["EMU_SECRET"],
                                          endpoint_url=env["EMU_URL"]).Bucket(bucket).objects.all()]
assert keys == ["big", "small"], keys
for page in iam.get_paginator("list_objects_v2").paginate(Bucket=bucket):
    iam.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": o["Key"]} for o in page["Contents"]]})
iam.delete_bucket(Bucket=bucket)
print("ok")
'''


@pytest.mark.parametrize("transport", ["direct", "urllib3"])
def test_import_and_round_trip_emit_no_deprecation_warning(cos_emulator, tmp_path, transport):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IBM_", "COS_", "BOTO_"))}
    env.update({
        "AWS_CONFIG_FILE": str(tmp_path / "absent"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "absent"),
        "NO_PROXY": "127.0.0.1,localhost", "IBM_COS_SDK_HTTP": transport,
        "EMU_URL": cos_emulator.endpoint_url, "EMU_AUTH": cos_emulator.auth_endpoint,
        "EMU_API_KEY": cos_emulator.api_key, "EMU_INSTANCE": cos_emulator.instance_id,
        "EMU_ACCESS": cos_emulator.access_key_id, "EMU_SECRET": cos_emulator.secret_access_key,
        "EMU_BUCKET": "deprecations-" + transport,
    })
    env.pop("PYTHONWARNINGS", None)
    proc = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-W", "error::PendingDeprecationWarning",
         "-c", ROUND_TRIP],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "ok\n", "")
