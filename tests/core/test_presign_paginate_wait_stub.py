"""Presigned URLs and POSTs, paginators, waiters and the Stubber, against moto on 127.0.0.1."""
from __future__ import annotations

import datetime
import urllib.error
import urllib.request
import uuid

import pytest

from core_helpers import ACCESS_KEY, make_client, unique_bucket_name
from ibm_botocore.client import Config
from ibm_botocore.exceptions import (
    OperationNotPageableError,
    ParamValidationError,
    StubAssertionError,
    StubResponseError,
    UnStubbedResponseError,
    WaiterError,
)
from ibm_botocore.stub import ANY, Stubber


@pytest.fixture
def filled(client, bucket):
    for index in range(23):
        client.put_object(Bucket=bucket, Key="p/%02d" % index, Body=b"x" * index)
    return bucket


def _multipart_form(fields, filename, content):
    boundary = "----ibmcosboundary%s" % uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (boundary, name, value)).encode())
    parts.append(("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                  "Content-Type: application/octet-stream\r\n\r\n" % (boundary, filename)).encode() + content + b"\r\n")
    parts.append(("--%s--\r\n" % boundary).encode())
    return b"".join(parts), "multipart/form-data; boundary=%s" % boundary


@pytest.mark.parametrize("region", [None, "us-south"])  # SigV2 query form and SigV4 query form
def test_presigned_get_and_put_with_urllib(moto_endpoint, bucket, region):
    client = make_client(moto_endpoint, region_name=region)
    client.put_object(Bucket=bucket, Key="doc.txt", Body=b"presigned body")
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "doc.txt"}, ExpiresIn=120)
    assert ("X-Amz-Signature=" in url) == (region == "us-south")
    assert urllib.request.urlopen(url).read() == b"presigned body"
    put_url = client.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up.txt"}, ExpiresIn=120)
    request = urllib.request.Request(put_url, data=b"uploaded via url", method="PUT", headers={"Content-Type": "text/plain"})
    assert urllib.request.urlopen(request).status == 200
    assert client.get_object(Bucket=bucket, Key="up.txt")["Body"].read() == b"uploaded via url"


def test_presigned_url_expiry_and_method_in_query(moto_endpoint, bucket):
    client = make_client(moto_endpoint, config=Config(signature_version="s3v4"))
    url = client.generate_presigned_url("head_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=42, HttpMethod="HEAD")
    assert "X-Amz-Expires=42" in url and "X-Amz-SignedHeaders=host" in url
    assert "X-Amz-Credential=%s%%2F" % ACCESS_KEY in url


def test_presigned_post_form_upload(client, bucket):
    post = client.generate_presigned_post(bucket, "forms/${filename}", Fields={"Content-Type": "text/plain"},
                                          Conditions=[{"Content-Type": "text/plain"}], ExpiresIn=120)
    assert post["url"].endswith("/" + bucket)
    assert "policy" in post["fields"]
    body, content_type = _multipart_form(post["fields"], "note.txt", b"posted through a form")
    request = urllib.request.Request(post["url"], data=body, method="POST", headers={"Content-Type": content_type})
    assert urllib.request.urlopen(request).status in (200, 201, 204)
    assert client.get_object(Bucket=bucket, Key="forms/note.txt")["Body"].read() == b"posted through a form"


def test_paginator_pages_and_tokens(client, filled):
    paginator = client.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket=filled, PaginationConfig={"PageSize": 10}))
    assert [len(page["Contents"]) for page in pages] == [10, 10, 3]
    first = paginator.paginate(Bucket=filled, PaginationConfig={"PageSize": 10, "MaxItems": 15}).build_full_result()
    assert len(first["Contents"]) == 15 and "NextToken" in first
    rest = paginator.paginate(Bucket=filled, PaginationConfig={"PageSize": 10, "StartingToken": first["NextToken"]}).build_full_result()
    keys = [item["Key"] for item in first["Contents"] + rest["Contents"]]
    assert keys == ["p/%02d" % i for i in range(23)]
    big = list(paginator.paginate(Bucket=filled).search("Contents[?Size > `20`].Key"))
    assert big == ["p/21", "p/22"]


def test_list_objects_v1_paginator_uses_last_key(client, filled):
    result = client.get_paginator("list_objects").paginate(Bucket=filled, PaginationConfig={"PageSize": 7}).build_full_result()
    assert len(result["Contents"]) == 23


def test_multipart_paginators(client, bucket):
    upload = client.create_multipart_upload(Bucket=bucket, Key="mpu")
    for number in (1, 2, 3):
        client.upload_part(Bucket=bucket, Key="mpu", UploadId=upload["UploadId"], PartNumber=number, Body=b"y" * (5 * 1024 * 1024))
    parts = client.get_paginator("list_parts").paginate(Bucket=bucket, Key="mpu", UploadId=upload["UploadId"],
                                                        PaginationConfig={"PageSize": 2}).build_full_result()
    assert [part["PartNumber"] for part in parts["Parts"]] == [1, 2, 3]
    uploads = client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket).build_full_result()
    assert [u["Key"] for u in uploads["Uploads"]] == ["mpu"]
    client.abort_multipart_upload(Bucket=bucket, Key="mpu", UploadId=upload["UploadId"])


def test_can_paginate_and_errors(client):
    assert client.can_paginate("list_objects_v2") and client.can_paginate("list_object_versions")
    assert not client.can_paginate("list_buckets") and not client.can_paginate("get_object")
    with pytest.raises(OperationNotPageableError):
        client.get_paginator("get_object")


def test_waiters(client, bucket):
    assert client.waiter_names == ["bucket_exists", "bucket_not_exists", "object_exists", "object_not_exists"]
    client.put_object(Bucket=bucket, Key="here", Body=b"1")
    client.get_waiter("object_exists").wait(Bucket=bucket, Key="here", WaiterConfig={"Delay": 0.01, "MaxAttempts": 2})
    client.get_waiter("bucket_exists").wait(Bucket=bucket, WaiterConfig={"Delay": 0.01, "MaxAttempts": 2})
    client.get_waiter("object_not_exists").wait(Bucket=bucket, Key="absent", WaiterConfig={"Delay": 0.01, "MaxAttempts": 2})
    client.get_waiter("bucket_not_exists").wait(Bucket=unique_bucket_name(), WaiterConfig={"Delay": 0.01, "MaxAttempts": 2})
    with pytest.raises(WaiterError) as info:
        client.get_waiter("object_exists").wait(Bucket=bucket, Key="absent", WaiterConfig={"Delay": 0.01, "MaxAttempts": 3})
    assert "Max attempts exceeded" in str(info.value)
    assert info.value.last_response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ValueError):
        client.get_waiter("no_such_waiter")


def test_stubber_responses_errors_and_expected_params(client):
    stubber = Stubber(client)
    stubber.add_response("head_object", {"ContentLength": 3, "ETag": '"e"'}, {"Bucket": "bucket1", "Key": ANY})
    stubber.add_client_error("get_object", "NoSuchKey", "gone", 404, expected_params={"Bucket": "bucket1", "Key": "k"})
    stubber.add_response("list_objects_v2", {"Contents": [{"Key": "a", "Size": 1, "LastModified": datetime.datetime(2030, 1, 1)}],
                                             "IsTruncated": False, "KeyCount": 1})
    with stubber:
        assert client.head_object(Bucket="bucket1", Key="anything")["ContentLength"] == 3
        with pytest.raises(client.exceptions.NoSuchKey) as info:
            client.get_object(Bucket="bucket1", Key="k")
        assert info.value.response["Error"] == {"Code": "NoSuchKey", "Message": "gone"}
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert client.list_objects_v2(Bucket="bucket1")["Contents"][0]["Key"] == "a"
        stubber.assert_no_pending_responses()
        with pytest.raises(UnStubbedResponseError):
            client.head_object(Bucket="bucket1", Key="x")


def test_stubber_rejects_wrong_params_operation_and_response_shape(client):
    with Stubber(client) as stubber:
        stubber.add_response("head_object", {}, {"Bucket": "bucket1", "Key": "expected"})
        with pytest.raises(StubAssertionError):
            client.head_object(Bucket="bucket1", Key="other")
    with Stubber(client) as stubber:
        stubber.add_response("head_object", {})
        with pytest.raises(StubResponseError):
            client.get_object(Bucket="bucket1", Key="k")
    with pytest.raises(ParamValidationError):
        Stubber(client).add_response("head_object", {"NotAMember": 1})
    stubber = Stubber(client)
    stubber.add_response("head_object", {})
    with pytest.raises(AssertionError):
        stubber.assert_no_pending_responses()


def test_stubber_sends_nothing(client):
    sent = []
    client.meta.events.register("before-send.s3", lambda request, **kw: sent.append(request))
    with Stubber(client) as stubber:
        stubber.add_response("list_buckets", {"Buckets": []})
        assert client.list_buckets()["Buckets"] == []
    assert sent == []


def test_presign_errors(client):
    from ibm_botocore.exceptions import UnknownClientMethodError

    with pytest.raises(UnknownClientMethodError):
        client.generate_presigned_url("no_such_method")
