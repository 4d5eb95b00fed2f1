"""Bad input is refused with ParamValidationError before anything is sent."""
from __future__ import annotations

import datetime

import pytest

from ibm_botocore.exceptions import ParamValidationError


def _refused(client, recorder, method, **params):
    with pytest.raises(ParamValidationError) as info:
        getattr(client, method)(**params)
    assert len(recorder) == 0, "a request was sent for bad input: %r" % recorder.requests
    message = str(info.value)
    assert message.startswith("Parameter validation failed:\n")
    return message


def test_missing_bucket(client, recorder):
    message = _refused(client, recorder, "get_object", Key="k")
    assert message == 'Parameter validation failed:\nMissing required parameter in input: "Bucket"'


def test_missing_several_required(client, recorder):
    message = _refused(client, recorder, "put_object_acl")
    assert 'Missing required parameter in input: "Bucket"' in message
    assert 'Missing required parameter in input: "Key"' in message


def test_wrong_types(client, recorder):
    message = _refused(client, recorder, "put_object", Bucket="b-ok", Key=123, ContentLength="ten", Metadata=["x"], Body=1.5)
    lines = message.split("\n")[1:]
    assert lines == [
        "Invalid type for parameter Key, value: 123, type: <class 'int'>, valid types: <class 'str'>",
        "Invalid type for parameter ContentLength, value: ten, type: <class 'str'>, valid types: <class 'int'>",
        "Invalid type for parameter Metadata, value: ['x'], type: <class 'list'>, valid types: <class 'dict'>",
        "Invalid type for parameter Body, value: 1.5, type: <class 'float'>, valid types: <class 'bytes'>, <class 'bytearray'>, file-like object",
    ]


def test_wrong_type_for_timestamp_and_boolean(client, recorder):
    message = _refused(client, recorder, "list_objects_v2", Bucket="b-ok", FetchOwner="yes")
    assert "Invalid type for parameter FetchOwner, value: yes, type: <class 'str'>, valid types: <class 'bool'>" in message
    message = _refused(client, recorder, "get_object", Bucket="b-ok", Key="k", IfModifiedSince=["2020"])
    assert "Invalid type for parameter IfModifiedSince" in message


def test_unknown_parameter(client, recorder):
    message = _refused(client, recorder, "head_object", Bucket="b-ok", Key="k", Bogus=1)
    assert message.startswith('Parameter validation failed:\nUnknown parameter in input: "Bogus", must be one of: Bucket, ')
    assert "Key" in message.split("must be one of:")[1]


def test_nested_problems_are_all_reported(client, recorder):
    message = _refused(client, recorder, "delete_objects", Bucket="b-ok",
                       Delete={"Objects": [{"VersionId": "v"}, {"Key": 5}], "Quiet": "no"})
    assert message.split("\n")[1:] == [
        'Missing required parameter in Delete.Objects[0]: "Key"',
        "Invalid type for parameter Delete.Objects[1].Key, value: 5, type: <class 'int'>, valid types: <class 'str'>",
        "Invalid type for parameter Delete.Quiet, value: no, type: <class 'str'>, valid types: <class 'bool'>",
    ]


def test_several_kinds_of_problem_together(client, recorder):
    message = _refused(client, recorder, "list_objects_v2", MaxKeys="x", Nope=True)
    assert 'Missing required parameter in input: "Bucket"' in message
    assert 'Unknown parameter in input: "Nope"' in message
    assert "Invalid type for parameter MaxKeys" in message
    assert len(message.split("\n")) == 4


@pytest.mark.parametrize("name", ["bad/bucket", "bücket", "", "white space", "a" * 256])
def test_invalid_bucket_names(client, recorder, name):
    message = _refused(client, recorder, "head_bucket", Bucket=name)
    assert 'Invalid bucket name "%s": Bucket name must match the regex "^[a-zA-Z0-9.\\-_]{1,255}$"' % name in message


def test_non_ascii_metadata(client, recorder):
    message = _refused(client, recorder, "put_object", Bucket="b-ok", Key="k", Body=b"x", Metadata={"k": "vålue"})
    assert message == ('Parameter validation failed:\nNon ascii characters found in S3 metadata for key "k", value: "vålue".  \n'
                       "S3 metadata can only contain ASCII characters. ")
    _refused(client, recorder, "create_multipart_upload", Bucket="b-ok", Key="k", Metadata={"kë": "v"})
    _refused(client, recorder, "copy_object", Bucket="b-ok", Key="k", CopySource="b-ok/src", Metadata={"k": "ü"})


def test_copy_source_dict_without_key(client, recorder):
    message = _refused(client, recorder, "copy_object", Bucket="b-ok", Key="k", CopySource={"Bucket": "src"})
    assert message == "Parameter validation failed:\nMissing required parameter: 'Key'"


def test_positional_arguments_are_refused(client, recorder):
    with pytest.raises(TypeError):
        client.list_objects_v2("b-ok")
    assert len(recorder) == 0


def test_good_input_does_go_out(client, bucket, recorder):
    # the counter itself works: valid calls are seen
    client.put_object(Bucket=bucket, Key="k", Body=b"x", Expires=datetime.datetime(2030, 1, 1))
    assert len(recorder) == 1
    assert recorder.requests[0]["method"] == "PUT"
