"""The wider S3 API against moto: each configuration is written, read back and removed.

COS-only operations are covered against the emulator (tests/iam, tests/resources,
tests/emulator) and on the wire by tests/wire.
"""
from __future__ import annotations

import json

import pytest

from core_helpers import unique_bucket_name


def strip(response):
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_bucket_acl_and_object_acl(client, bucket):
    owner = client.get_bucket_acl(Bucket=bucket)["Owner"]
    assert owner["ID"]
    client.put_bucket_acl(Bucket=bucket, ACL="public-read")
    grants = client.get_bucket_acl(Bucket=bucket)["Grants"]
    assert any(g["Permission"] == "READ" and g["Grantee"].get("URI", "").endswith("AllUsers") for g in grants)
    client.put_object(Bucket=bucket, Key="k", Body=b"1")
    client.put_object_acl(Bucket=bucket, Key="k", AccessControlPolicy={
        "Owner": owner,
        "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"}],
    })
    acl = client.get_object_acl(Bucket=bucket, Key="k")
    full = [g for g in acl["Grants"] if g["Permission"] == "FULL_CONTROL"]
    assert full and full[0]["Grantee"] == {"Type": "CanonicalUser", "ID": owner["ID"], **({"DisplayName": full[0]["Grantee"]["DisplayName"]} if "DisplayName" in full[0]["Grantee"] else {})}


def test_cors(client, bucket):
    rules = [{"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["https://example.com"], "AllowedHeaders": ["*"], "MaxAgeSeconds": 300}]
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    got = client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert got[0]["AllowedMethods"] == ["GET", "PUT"] and got[0]["MaxAgeSeconds"] == 300
    client.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(client.exceptions.ClientError) as info:
        client.get_bucket_cors(Bucket=bucket)
    assert info.value.response["Error"]["Code"] == "NoSuchCORSConfiguration"


def test_lifecycle(client, bucket):
    rule = {"ID": "expire-logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 30}}
    client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    rules = client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rules[0]["ID"] == "expire-logs" and rules[0]["Expiration"]["Days"] == 30
    client.delete_bucket_lifecycle(Bucket=bucket)
    with pytest.raises(client.exceptions.ClientError):
        client.get_bucket_lifecycle_configuration(Bucket=bucket)


def test_bucket_and_object_tagging(client, bucket):
    client.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "storage"}]})
    assert client.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "storage"}]
    client.delete_bucket_tagging(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="k", Body=b"1", Tagging="a=1&b=two")
    assert sorted((t["Key"], t["Value"]) for t in client.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]) == [("a", "1"), ("b", "two")]
    client.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
    assert client.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [{"Key": "c", "Value": "3"}]
    client.delete_object_tagging(Bucket=bucket, Key="k")
    assert client.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []


def test_versioning_and_object_versions(client, bucket):
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert client.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    first = client.put_object(Bucket=bucket, Key="v", Body=b"one")["VersionId"]
    client.put_object(Bucket=bucket, Key="v", Body=b"two")
    client.delete_object(Bucket=bucket, Key="v")
    listing = client.list_object_versions(Bucket=bucket)
    assert len(listing["Versions"]) == 2 and len(listing["DeleteMarkers"]) == 1
    assert client.get_object(Bucket=bucket, Key="v", VersionId=first)["Body"].read() == b"one"
    pages = client.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1}).build_full_result()
    assert len(pages["Versions"]) == 2
    for version in listing["Versions"] + listing["DeleteMarkers"]:
        client.delete_object(Bucket=bucket, Key="v", VersionId=version["VersionId"])
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})


def test_public_access_block(client, bucket):
    # the COS model (as ibm-cos-sdk's) has the two ACL settings only
    config = {"BlockPublicAcls": True, "IgnorePublicAcls": False}
    client.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=config)
    assert client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == config
    client.delete_public_access_block(Bucket=bucket)


def test_policy(client, bucket):
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                     "Resource": "arn:aws:s3:::%s/*" % bucket}]}
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert json.loads(client.get_bucket_policy(Bucket=bucket)["Policy"]) == policy
    client.delete_bucket_policy(Bucket=bucket)


def test_encryption(client, bucket):
    rules = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})
    got = client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert got[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    client.delete_bucket_encryption(Bucket=bucket)


def test_ownership_controls_and_accelerate(client, bucket):
    client.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
    assert client.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    client.delete_bucket_ownership_controls(Bucket=bucket)
    client.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Enabled"})
    assert client.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Enabled"


def test_logging_and_notification(client, bucket):
    target = unique_bucket_name()
    client.create_bucket(Bucket=target)
    try:
        client.put_bucket_acl(Bucket=target, GrantWrite='uri="http://acs.amazonaws.com/groups/s3/LogDelivery"',
                              GrantReadACP='uri="http://acs.amazonaws.com/groups/s3/LogDelivery"')
        client.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "log/"}})
        assert client.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetPrefix"] == "log/"
    finally:
        for item in client.list_objects_v2(Bucket=target).get("Contents", []):
            client.delete_object(Bucket=target, Key=item["Key"])
        client.delete_bucket(Bucket=target)
    client.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert strip(client.get_bucket_notification_configuration(Bucket=bucket)) == {}


def test_object_lock_and_retention(emulator_client):
    client = emulator_client
    name = unique_bucket_name()
    client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    client.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    config = client.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
    default = config["Rule"]["DefaultRetention"]
    assert (default["Mode"], default["Days"]) == ("GOVERNANCE", 1)
    version = client.put_object(Bucket=name, Key="locked", Body=b"1")["VersionId"]
    # PutObjectLegalHold sends x-amz-checksum-crc32 only (as ibm-cos-sdk does); the emulator gives
    # moto 5.0 the Content-MD5 it insists on in an object-lock bucket.
    client.put_object_legal_hold(Bucket=name, Key="locked", VersionId=version, LegalHold={"Status": "ON"})
    assert client.get_object_legal_hold(Bucket=name, Key="locked", VersionId=version)["LegalHold"] == {"Status": "ON"}
    client.put_object_legal_hold(Bucket=name, Key="locked", VersionId=version, LegalHold={"Status": "OFF"})
    head = client.head_object(Bucket=name, Key="locked")
    assert head["ObjectLockMode"] == "GOVERNANCE" and head["ObjectLockRetainUntilDate"].year >= 2026
    client.delete_object(Bucket=name, Key="locked", VersionId=version, BypassGovernanceRetention=True)
    client.delete_bucket(Bucket=name)


def test_upload_part_copy_and_location(client, bucket):
    client.put_object(Bucket=bucket, Key="source", Body=b"s" * (5 * 1024 * 1024 + 10))
    upload = client.create_multipart_upload(Bucket=bucket, Key="copied")
    part = client.upload_part_copy(Bucket=bucket, Key="copied", UploadId=upload["UploadId"], PartNumber=1,
                                   CopySource={"Bucket": bucket, "Key": "source"}, CopySourceRange="bytes=0-99")
    etag = part["CopyPartResult"]["ETag"]
    client.complete_multipart_upload(Bucket=bucket, Key="copied", UploadId=upload["UploadId"],
                                     MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
    assert client.get_object(Bucket=bucket, Key="copied")["Body"].read() == b"s" * 100
    assert "LocationConstraint" in client.get_bucket_location(Bucket=bucket)


def test_get_object_attributes(client, bucket):
    client.put_object(Bucket=bucket, Key="attrs", Body=b"12345")
    attributes = client.get_object_attributes(Bucket=bucket, Key="attrs", ObjectAttributes=["ETag", "ObjectSize"])
    assert attributes["ObjectSize"] == 5 and attributes["ETag"]


def test_restore_object_of_archived_object(client, bucket):
    client.put_object(Bucket=bucket, Key="cold", Body=b"x", StorageClass="GLACIER")
    response = client.restore_object(Bucket=bucket, Key="cold", RestoreRequest={"Days": 1})
    assert response["ResponseMetadata"]["HTTPStatusCode"] in (200, 202)
