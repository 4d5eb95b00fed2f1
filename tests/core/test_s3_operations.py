"""Integration tests of the basic S3 operations against the moto server (HMAC / SigV4)."""
from __future__ import annotations

import datetime
import hashlib
import io

import pytest

from core_helpers import unique_bucket_name
from ibm_botocore.exceptions import ClientError

AWKWARD_KEYS = [
    "plain.txt",
    "with space/and+plus.txt",
    "percent%20literal%.bin",
    "question?mark=equals&amp",
    "tilde~under_score-dash",
    "unicodé/日本語/ключ.txt",
    "dir/sub dir/é ~+%?=&.txt",
]


# --- buckets ----------------------------------------------------------------------------------
def test_create_head_list_delete_bucket(emulator_client):
    client = emulator_client
    name = unique_bucket_name("life")
    created = client.create_bucket(Bucket=name)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert created["Location"] == "/" + name
    head = client.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    listed = client.list_buckets()
    names = [b["Name"] for b in listed["Buckets"]]
    assert name in names
    mine = next(b for b in listed["Buckets"] if b["Name"] == name)
    assert isinstance(mine["CreationDate"], datetime.datetime) and mine["CreationDate"].tzinfo is not None
    assert "Owner" in listed
    deleted = client.delete_bucket(Bucket=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as info:
        client.head_bucket(Bucket=name)
    assert info.value.response["Error"]["Code"] == "404"


def test_create_bucket_with_location_constraint(client):
    name = unique_bucket_name("loc")
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    try:
        assert client.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    finally:
        client.delete_bucket(Bucket=name)


def test_create_existing_bucket_is_modeled_error(client):
    other = unique_bucket_name("dup")
    client.create_bucket(Bucket=other, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    try:
        with pytest.raises(client.exceptions.BucketAlreadyOwnedByYou) as info:
            client.create_bucket(Bucket=other, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        assert info.value.response["Error"]["Code"] == "BucketAlreadyOwnedByYou"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
        assert isinstance(info.value, ClientError)
    finally:
        client.delete_bucket(Bucket=other)


# --- objects ----------------------------------------------------------------------------------
def test_put_get_bytes_round_trip_with_metadata_and_content_type(client, bucket):
    data = bytes(range(256)) * 40
    put = client.put_object(Bucket=bucket, Key="blob.bin", Body=data, ContentType="application/x-test",
                            Metadata={"color": "blue", "n": "1"}, CacheControl="no-cache")
    assert put["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    got = client.get_object(Bucket=bucket, Key="blob.bin")
    assert got["Body"].read() == data
    assert got["ContentLength"] == len(data)
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"color": "blue", "n": "1"}
    assert got["CacheControl"] == "no-cache"
    assert got["ETag"] == put["ETag"]
    assert isinstance(got["LastModified"], datetime.datetime)


def test_put_body_as_str_file_and_empty(client, bucket, tmp_path):
    client.put_object(Bucket=bucket, Key="text", Body="héllo ☃")
    assert client.get_object(Bucket=bucket, Key="text")["Body"].read() == "héllo ☃".encode("utf-8")
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 100_000)
    with open(path, "rb") as handle:
        client.put_object(Bucket=bucket, Key="file", Body=handle)
    assert client.head_object(Bucket=bucket, Key="file")["ContentLength"] == 100_000
    client.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = client.get_object(Bucket=bucket, Key="empty")
    assert got["ContentLength"] == 0 and got["Body"].read() == b""
    client.put_object(Bucket=bucket, Key="stream", Body=io.BytesIO(b"from a stream"))
    assert client.get_object(Bucket=bucket, Key="stream")["Body"].read() == b"from a stream"


@pytest.mark.parametrize("range_header, expected, content_range", [
    ("bytes=0-3", b"0123", "bytes 0-3/10"),
    ("bytes=5-", b"56789", "bytes 5-9/10"),
    ("bytes=-2", b"89", "bytes 8-9/10"),
])
def test_get_object_ranges(client, bucket, range_header, expected, content_range):
    client.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    got = client.get_object(Bucket=bucket, Key="digits", Range=range_header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == expected
    assert got["ContentRange"] == content_range
    assert got["ContentLength"] == len(expected)


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_awkward_keys_round_trip(client, bucket, key):
    client.put_object(Bucket=bucket, Key=key, Body=key.encode("utf-8"))
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode("utf-8")
    assert client.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(key.encode("utf-8"))
    listed = client.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == [key]
    client.delete_object(Bucket=bucket, Key=key)
    assert client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_head_object_and_delete_object(client, bucket):
    client.put_object(Bucket=bucket, Key="h", Body=b"abc", Metadata={"k": "v"}, ContentType="text/plain")
    head = client.head_object(Bucket=bucket, Key="h")
    assert head["ContentLength"] == 3
    assert head["ContentType"] == "text/plain"
    assert head["Metadata"] == {"k": "v"}
    assert "Body" not in head
    deleted = client.delete_object(Bucket=bucket, Key="h")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as info:
        client.head_object(Bucket=bucket, Key="h")
    assert info.value.response["Error"] == {"Code": "404", "Message": "Not Found"}


def test_delete_objects_verbose_and_quiet(client, bucket, recorder):
    for index in range(4):
        client.put_object(Bucket=bucket, Key="d/%d" % index, Body=b"x")
    verbose = client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d/0"}, {"Key": "d/1"}]})
    assert sorted(d["Key"] for d in verbose["Deleted"]) == ["d/0", "d/1"]
    assert "Errors" not in verbose
    client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d/2"}, {"Key": "d/3"}], "Quiet": True})
    # moto answers Quiet requests verbosely; what matters here is what we asked for
    sent = recorder.requests[-1]
    assert sent["method"] == "POST" and sent["url"].endswith("?delete")
    assert b"<Quiet>true</Quiet>" in sent["body"]
    assert "x-amz-checksum-crc32" in {k.lower() for k in sent["headers"]}
    assert client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_copy_object_with_dict_and_string_sources(client, bucket):
    client.put_object(Bucket=bucket, Key="src dir/a+b é.txt", Body=b"copy me", Metadata={"orig": "1"})
    by_dict = client.copy_object(Bucket=bucket, Key="copy1", CopySource={"Bucket": bucket, "Key": "src dir/a+b é.txt"})
    assert by_dict["CopyObjectResult"]["ETag"]
    by_string = client.copy_object(Bucket=bucket, Key="copy2", CopySource="%s/src dir/a+b é.txt" % bucket)
    assert by_string["CopyObjectResult"]["ETag"] == by_dict["CopyObjectResult"]["ETag"]
    for key in ("copy1", "copy2"):
        got = client.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == b"copy me"
        assert got["Metadata"] == {"orig": "1"}


def test_copy_object_metadata_directive_replace(client, bucket):
    client.put_object(Bucket=bucket, Key="m", Body=b"data", Metadata={"old": "1"})
    client.copy_object(Bucket=bucket, Key="m", CopySource={"Bucket": bucket, "Key": "m"}, Metadata={"new": "2"},
                       MetadataDirective="REPLACE")
    head = client.head_object(Bucket=bucket, Key="m")
    assert head["Metadata"] == {"new": "2"}
    assert client.get_object(Bucket=bucket, Key="m")["Body"].read() == b"data"


def test_copy_object_with_version_id(client, bucket):
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = client.put_object(Bucket=bucket, Key="v", Body=b"one")["VersionId"]
    client.put_object(Bucket=bucket, Key="v", Body=b"two")
    client.copy_object(Bucket=bucket, Key="old", CopySource={"Bucket": bucket, "Key": "v", "VersionId": first})
    assert client.get_object(Bucket=bucket, Key="old")["Body"].read() == b"one"
    client.copy_object(Bucket=bucket, Key="old2", CopySource="%s/v?versionId=%s" % (bucket, first))
    assert client.get_object(Bucket=bucket, Key="old2")["Body"].read() == b"one"


# --- listings ---------------------------------------------------------------------------------
def test_list_objects_v1(client, bucket):
    for key in ("a", "b/1", "b/2", "c d"):
        client.put_object(Bucket=bucket, Key=key, Body=b"12345")
    everything = client.list_objects(Bucket=bucket)
    assert [o["Key"] for o in everything["Contents"]] == ["a", "b/1", "b/2", "c d"]
    assert everything["Contents"][0]["Size"] == 5
    assert everything["IsTruncated"] is False
    grouped = client.list_objects(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["b/"]
    assert [o["Key"] for o in grouped["Contents"]] == ["a", "c d"]
    page = client.list_objects(Bucket=bucket, MaxKeys=2)
    assert page["IsTruncated"] is True and len(page["Contents"]) == 2
    rest = client.list_objects(Bucket=bucket, Marker=page["Contents"][-1]["Key"])
    assert [o["Key"] for o in rest["Contents"]] == ["b/2", "c d"]


def test_list_objects_v2_pagination_with_continuation_token(client, bucket):
    keys = ["k%02d" % i for i in range(7)]
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=b"")
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"Bucket": bucket, "MaxKeys": 3}
        if token:
            kwargs["ContinuationToken"] = token
        page = client.list_objects_v2(**kwargs)
        pages += 1
        seen += [o["Key"] for o in page.get("Contents", [])]
        assert page["KeyCount"] == len(page.get("Contents", []))
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == keys
    assert pages == 3


def test_list_objects_v2_delimiter_prefix_and_url_decoding(client, bucket):
    keys = ["photos/2024/a b.jpg", "photos/2024/c+d.jpg", "photos/2025/é.jpg", "photos/top ~%.jpg", "other/x"]
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=b"")
    page = client.list_objects_v2(Bucket=bucket, Prefix="photos/", Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["photos/2024/", "photos/2025/"]
    assert [o["Key"] for o in page["Contents"]] == ["photos/top ~%.jpg"]
    assert page["Prefix"] == "photos/" and page["Delimiter"] == "/"
    # the SDK asked for encoding-type=url and decoded the keys again
    assert page.get("EncodingType") in (None, "url")
    inner = client.list_objects_v2(Bucket=bucket, Prefix="photos/2024/")
    assert [o["Key"] for o in inner["Contents"]] == ["photos/2024/a b.jpg", "photos/2024/c+d.jpg"]
    after = client.list_objects_v2(Bucket=bucket, StartAfter="photos/2024/c+d.jpg", Prefix="photos/")
    assert [o["Key"] for o in after["Contents"]] == ["photos/2025/é.jpg", "photos/top ~%.jpg"]


# --- multipart --------------------------------------------------------------------------------
def test_multipart_upload_complete_and_list(client, bucket):
    part1 = b"a" * (5 * 1024 * 1024)
    part2 = b"tail"
    created = client.create_multipart_upload(Bucket=bucket, Key="big file", ContentType="application/octet-stream",
                                             Metadata={"mp": "yes"})
    upload_id = created["UploadId"]
    assert created["Key"] == "big file" and created["Bucket"] == bucket
    uploads = client.list_multipart_uploads(Bucket=bucket)
    assert [(u["Key"], u["UploadId"]) for u in uploads["Uploads"]] == [("big file", upload_id)]
    e1 = client.upload_part(Bucket=bucket, Key="big file", UploadId=upload_id, PartNumber=1, Body=part1)["ETag"]
    e2 = client.upload_part(Bucket=bucket, Key="big file", UploadId=upload_id, PartNumber=2, Body=io.BytesIO(part2))["ETag"]
    parts = client.list_parts(Bucket=bucket, Key="big file", UploadId=upload_id)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts["Parts"]] == [(1, e1, len(part1)), (2, e2, len(part2))]
    done = client.complete_multipart_upload(Bucket=bucket, Key="big file", UploadId=upload_id,
                                            MultipartUpload={"Parts": [{"ETag": e1, "PartNumber": 1}, {"ETag": e2, "PartNumber": 2}]})
    assert done["Key"] == "big file"
    assert done["ETag"].endswith('-2"')
    got = client.get_object(Bucket=bucket, Key="big file")
    assert got["ContentLength"] == len(part1) + len(part2)
    assert got["Metadata"] == {"mp": "yes"}
    body = got["Body"].read()
    assert body[:3] == b"aaa" and body.endswith(b"tail")
    assert "Uploads" not in client.list_multipart_uploads(Bucket=bucket)


def test_abort_multipart_upload(client, bucket):
    upload_id = client.create_multipart_upload(Bucket=bucket, Key="aborted")["UploadId"]
    client.upload_part(Bucket=bucket, Key="aborted", UploadId=upload_id, PartNumber=1, Body=b"x")
    aborted = client.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=upload_id)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "Uploads" not in client.list_multipart_uploads(Bucket=bucket)
    with pytest.raises(client.exceptions.NoSuchUpload):
        client.list_parts(Bucket=bucket, Key="aborted", UploadId=upload_id)


# --- website --------------------------------------------------------------------------------------
def test_bucket_website_configuration(client, bucket):
    config = {"ErrorDocument": {"Key": "error.html"}, "IndexDocument": {"Suffix": "index.html"}}
    put = client.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = client.get_bucket_website(Bucket=bucket)
    assert got["IndexDocument"] == {"Suffix": "index.html"}
    assert got["ErrorDocument"] == {"Key": "error.html"}
    client.delete_bucket_website(Bucket=bucket)
    with pytest.raises(ClientError) as info:
        client.get_bucket_website(Bucket=bucket)
    assert info.value.response["Error"]["Code"] == "NoSuchWebsiteConfiguration"

