"""Error responses from the moto server: modeled exception classes, error dicts, metadata."""
from __future__ import annotations

import pickle

import pytest

from core_helpers import unique_bucket_name
from ibm_botocore.exceptions import ClientError

METADATA_KEYS = {"RequestId", "HTTPStatusCode", "HTTPHeaders", "RetryAttempts"}


def test_no_such_key_is_a_modeled_client_error(client, bucket):
    with pytest.raises(client.exceptions.NoSuchKey) as info:
        client.get_object(Bucket=bucket, Key="missing/key é")
    error = info.value
    assert isinstance(error, ClientError)
    assert isinstance(error, client.exceptions.ClientError)
    assert error.operation_name == "GetObject"
    assert error.response["Error"]["Code"] == "NoSuchKey"
    assert error.response["Error"]["Message"] == "The specified key does not exist."
    assert error.response["Error"]["Key"] == "missing/key é"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert str(error) == "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist."


def test_no_such_bucket_on_several_operations(client):
    missing = unique_bucket_name("gone")
    for call in (
        lambda: client.list_objects_v2(Bucket=missing),
        lambda: client.list_objects(Bucket=missing),
        lambda: client.get_object(Bucket=missing, Key="k"),
        lambda: client.delete_bucket(Bucket=missing),
    ):
        with pytest.raises(client.exceptions.NoSuchBucket) as info:
            call()
        assert info.value.response["Error"]["Code"] == "NoSuchBucket"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_head_404_has_code_and_reason_phrase(client, bucket):
    with pytest.raises(ClientError) as info:
        client.head_object(Bucket=bucket, Key="nothing")
    assert info.value.response["Error"] == {"Code": "404", "Message": "Not Found"}
    assert str(info.value) == "An error occurred (404) when calling the HeadObject operation: Not Found"
    # a HEAD carries no body: the modeled NoSuchKey class cannot be picked
    assert not isinstance(info.value, client.exceptions.NoSuchKey)
    with pytest.raises(ClientError) as bucket_info:
        client.head_bucket(Bucket=unique_bucket_name("nohead"))
    assert bucket_info.value.response["Error"] == {"Code": "404", "Message": "Not Found"}


def test_response_metadata_on_success_and_error(emulator_client):
    client = emulator_client
    bucket = unique_bucket_name()
    client.create_bucket(Bucket=bucket)
    ok = client.put_object(Bucket=bucket, Key="k", Body=b"v")
    meta = ok["ResponseMetadata"]
    assert METADATA_KEYS <= set(meta)
    assert meta["HTTPStatusCode"] == 200
    assert meta["RetryAttempts"] == 0
    assert meta["RequestId"]
    assert all(name == name.lower() for name in meta["HTTPHeaders"])
    assert meta["HTTPHeaders"]["etag"] == ok["ETag"]
    with pytest.raises(ClientError) as info:
        client.get_object(Bucket=bucket, Key="absent")
    error_meta = info.value.response["ResponseMetadata"]
    assert METADATA_KEYS <= set(error_meta)
    assert error_meta["RetryAttempts"] == 0
    assert error_meta["HTTPHeaders"]["content-type"].startswith("application/xml")
    client.delete_object(Bucket=bucket, Key="k")
    client.delete_bucket(Bucket=bucket)


def test_exceptions_namespace(client):
    for name in ("NoSuchKey", "NoSuchBucket", "NoSuchUpload", "BucketAlreadyExists", "BucketAlreadyOwnedByYou",
                 "ObjectAlreadyInActiveTierError", "ObjectNotInActiveTierError"):
        cls = getattr(client.exceptions, name)
        assert issubclass(cls, ClientError), name
        assert cls.__name__ == name
    assert client.exceptions.from_code("NoSuchKey") is client.exceptions.NoSuchKey
    assert client.exceptions.from_code("SomethingElse") is ClientError


def test_plain_client_error_survives_pickling():
    error = ClientError({"Error": {"Code": "X", "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "Op")
    clone = pickle.loads(pickle.dumps(error))
    assert str(clone) == "An error occurred (X) when calling the Op operation: m"
    assert clone.response == error.response and clone.operation_name == "Op"


def test_modeled_client_error_survives_pickling(client, bucket):
    with pytest.raises(ClientError) as info:
        client.get_object(Bucket=bucket, Key="absent")
    clone = pickle.loads(pickle.dumps(info.value))
    assert str(clone) == str(info.value)
    assert clone.response["Error"]["Code"] == "NoSuchKey"
