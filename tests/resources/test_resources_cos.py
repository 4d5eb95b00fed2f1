"""The resource layer against the IBM COS emulator: API-key auth and the COS-only resources."""
from __future__ import annotations

import datetime

import pytest

import ibm_boto3
from ibm_botocore.client import ClientError, Config

from resource_helpers import Recorder, unique

KP_ROOT_KEY = "crn:v1:bluemix:public:kms:us-south:a/0123456789abcdef:5e6f7a8b-0000-4000-8000-000000000001:key:k-1"
DAY = 86400


@pytest.fixture(scope="module")
def emulator():
    pytest.importorskip("moto")
    from ibm_cos_emulator import Emulator

    with Emulator() as emu:
        yield emu


@pytest.fixture
def cos(emulator):
    """Created exactly as the COS guide does (plus the emulator's token endpoint)."""
    return ibm_boto3.resource("s3",
                              ibm_api_key_id=emulator.api_key,
                              ibm_service_instance_id=emulator.instance_id,
                              ibm_auth_endpoint=emulator.auth_endpoint,
                              config=Config(signature_version="oauth"),
                              endpoint_url=emulator.endpoint_url)


def test_guide_resource_with_api_key(cos):
    recorder = Recorder(cos.meta.client)
    name = unique("guide")
    cos.Bucket(name).create(CreateBucketConfiguration={"LocationConstraint": "us-south-standard"})
    cos.Object(name, "hello.txt").put(Body=b"hello from the resource")
    assert name in [b.name for b in cos.buckets.all()]
    assert cos.Object(name, "hello.txt").get()["Body"].read() == b"hello from the resource"
    for obj in cos.Bucket(name).objects.filter(Prefix="hello"):
        assert (obj.key, obj.size) == ("hello.txt", 23)
    assert recorder.requests  # the requests went to the emulator with a bearer token
    assert cos.meta.client.meta.config.signature_version == "oauth"
    assert cos.meta.client.meta.config.user_agent_extra == "Resource"


def test_bad_api_key_is_refused(emulator):
    cos = ibm_boto3.resource("s3", ibm_api_key_id="not-a-key", ibm_service_instance_id=emulator.instance_id,
                             ibm_auth_endpoint=emulator.auth_endpoint, config=Config(signature_version="oauth"),
                             endpoint_url=emulator.endpoint_url)
    from ibm_botocore.exceptions import CredentialRetrievalError

    with pytest.raises(CredentialRetrievalError, match="BXNIM0415E"):
        list(cos.buckets.all())


def test_key_protect_bucket_through_the_resource(cos):
    name = unique("kp")
    bucket = cos.create_bucket(Bucket=name, IBMSSEKPEncryptionAlgorithm="AES256",
                               IBMSSEKPCustomerRootKeyCrn=KP_ROOT_KEY)
    assert bucket == cos.Bucket(name)
    head = cos.meta.client.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["ibm-sse-kp-crk-id"] == KP_ROOT_KEY
    other = cos.Bucket(unique("kp"))
    other.create(IBMSSEKPEncryptionAlgorithm="AES256", IBMSSEKPCustomerRootKeyCrn=KP_ROOT_KEY)
    other.wait_until_exists(WaiterConfig={"Delay": 0.05, "MaxAttempts": 5})
    assert cos.meta.client.head_bucket(Bucket=other.name)["ResponseMetadata"]["HTTPHeaders"]["ibm-sse-kp-enabled"] == "true"


def test_bucket_protection_resource(cos):
    bucket = cos.create_bucket(Bucket=unique("prot"))
    protection = bucket.Protection()
    assert protection == cos.BucketProtection(bucket.name)
    assert protection.status is None  # not configured yet: loads an empty configuration
    protection.put(ProtectionConfiguration={
        "Status": "Retention",
        "MinimumRetention": {"Days": 1},
        "DefaultRetention": {"Days": 2},
        "MaximumRetention": {"Days": 30},
    })
    protection.reload()
    assert protection.status == "Retention"
    assert protection.minimum_retention == {"Days": 1}
    assert protection.default_retention == {"Days": 2}
    assert protection.maximum_retention == {"Days": 30}
    assert protection.Bucket() == bucket
    # Objects written now get the default retention.
    obj = bucket.put_object(Key="kept", Body=b"x")
    assert obj.retention_period == 2 * DAY
    assert isinstance(obj.retention_expiration_date, datetime.datetime)
    with pytest.raises(ClientError):
        obj.delete()


def test_object_protection_resource(cos):
    bucket = cos.create_bucket(Bucket=unique("hold"))
    bucket.Protection().put(ProtectionConfiguration={
        "Status": "Retention", "MinimumRetention": {"Days": 0}, "DefaultRetention": {"Days": 1},
        "MaximumRetention": {"Days": 10}})
    bucket.put_object(Key="doc", Body=b"evidence")
    protection = cos.ObjectProtection(bucket.name, "doc")
    assert protection == cos.Object(bucket.name, "doc").Protection()
    assert protection.legal_holds == []
    assert protection.retention_period == DAY
    protection.add_legal_hold(RetentionLegalHoldId="case-1")
    protection.add_legal_hold(RetentionLegalHoldId="case-2")
    protection.reload()
    assert sorted(h["ID"] for h in protection.legal_holds) == ["case-1", "case-2"]
    assert isinstance(protection.create_time, datetime.datetime)
    assert cos.Object(bucket.name, "doc").retention_legal_hold_count == 2
    listed = protection.list_legal_holds()
    assert len(listed["LegalHolds"]) == 2
    protection.delete_legal_hold(RetentionLegalHoldId="case-1")
    protection.extend_object_retention(AdditionalRetentionPeriod=DAY)
    protection.reload()
    assert [h["ID"] for h in protection.legal_holds] == ["case-2"]
    assert protection.retention_period == 2 * DAY
    assert protection.Object() == cos.Object(bucket.name, "doc")
