"""Request building and response parsing fixes of issue 13: CopySource encoded as ibm-cos-sdk
encodes it (CR/LF never on the wire), path-style addressing for IP endpoints, header booleans,
and parsers that refuse nested or entity-laden documents with a clear error. A scripted
server on 127.0.0.1 records what reaches the socket."""
from __future__ import annotations

import time

import pytest

from core_helpers import make_client
from scripted_server import ScriptedServer, respond

from ibm_botocore.client import Config
from ibm_botocore.exceptions import ClientError, ParamValidationError
from ibm_botocore.parsers import ResponseParserError

COPY_RESULT = (b'<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><ETag>"e"</ETag>'
               b"<LastModified>2024-01-01T00:00:00.000Z</LastModified></CopyObjectResult>")


@pytest.fixture
def server():
    with ScriptedServer([respond(200, COPY_RESULT)]) as srv:
        yield srv


def _url(server):
    return server.endpoint


# the values the original (ibm-cos-sdk 2.16.2) puts in x-amz-copy-source, observed side by side
@pytest.mark.parametrize("source, header", [
    ({"Bucket": "b k", "Key": "a b/c+d?e#f%g~h"}, "b%20k/a%20b/c%2Bd%3Fe%23f%25g~h"),
    ({"Bucket": "bkt", "Key": "k", "VersionId": "v 1+/="}, "bkt/k?versionId=v 1+/="),
    ({"Bucket": "bkt", "Key": "\u00fc/\u00e9"}, "bkt/%C3%BC/%C3%A9"),
    ("bkt/a b+c", "bkt/a%20b%2Bc"),
    ("bkt/k?versionId=abc", "bkt/k?versionId=abc"),
    ("bkt/k ?versionId=a+b/=%", "bkt/k%20?versionId=a+b/=%"),
    ("bkt/a?versionId=x?versionId=y", "bkt/a?versionId=x?versionId=y"),
    ("bkt/k?versionId=", "bkt/k%3FversionId%3D"),
    ("bkt/a b+c?versionId=v 1+/=", "bkt/a%20b%2Bc%3FversionId%3Dv%201%2B/%3D"),
    ("bkt/k?versionId=x\r\nX-Injected: y", "bkt/k%3FversionId%3Dx%0D%0AX-Injected%3A%20y"),
    ("/bkt/k", "/bkt/k"),
])
def test_copy_source_is_encoded_as_the_original(server, source, header):
    client = make_client(_url(server))
    client.copy_object(Bucket="dst", Key="d", CopySource=source)
    assert server.requests[-1]["headers"]["x-amz-copy-source"] == header
    assert "x-injected" not in server.requests[-1]["headers"]


@pytest.mark.parametrize("source", [
    {"Bucket": "bkt", "Key": "k", "VersionId": "x\r\nX-Injected: y"},
    {"Bucket": "bkt", "Key": "k", "VersionId": "x\x00"},
    "bkt/k?versionId=a\x00",
    {"Bucket": 5, "Key": "k"},
])
def test_copy_source_that_would_break_the_header_is_refused(server, source):
    client = make_client(_url(server))
    with pytest.raises(ParamValidationError):
        client.copy_object(Bucket="dst", Key="d", CopySource=source)
    assert server.requests == []


def test_virtual_addressing_against_an_ip_endpoint_uses_path_style():
    with ScriptedServer([respond(200, b"", {"ETag": '"e"'})]) as srv:
        client = make_client(srv.endpoint, config=Config(s3={"addressing_style": "virtual"}))
        client.head_object(Bucket="bkt", Key="k")
        client.head_object(Bucket="a.b", Key="k")
        assert [r["path"] for r in srv.requests] == ["/bkt/k", "/a.b/k"]
        assert srv.requests[0]["headers"]["host"] == srv.endpoint[len("http://"):]


def test_virtual_addressing_by_name():
    seen = []
    for endpoint, bucket, expected in [
        ("http://[::1]:9", "bkt", "http://[::1]:9/bkt/k"),
        ("http://localhost:9", "bkt", "http://bkt.localhost:9/k"),
        ("http://localhost:9", "a.b", "http://a.b.localhost:9/k"),
        ("https://s3.example.com", "a.b", "https://s3.example.com/a.b/k"),
        ("https://s3.example.com", "Bad_Name", "https://s3.example.com/Bad_Name/k"),
        ("http://10.0.0.1", "bkt", "http://10.0.0.1/bkt/k"),
    ]:
        client = make_client(endpoint, config=Config(s3={"addressing_style": "virtual"}))

        def stop(request, **kwargs):
            seen.append(request.url)
            raise KeyboardInterrupt

        client.meta.events.register("before-send.s3", stop)
        with pytest.raises(KeyboardInterrupt):
            client.head_object(Bucket=bucket, Key="k")
        assert seen[-1] == expected


@pytest.mark.parametrize("value, expected", [("true", True), ("True", True), ("TRUE", True), ("false", False),
                                             ("False", False), ("FALSE", False)])
def test_header_booleans_are_case_insensitive(value, expected):
    with ScriptedServer([respond(204, b"", {"x-amz-delete-marker": value, "x-amz-version-id": "v"})]) as srv:
        client = make_client(srv.endpoint)
        assert client.delete_object(Bucket="bkt", Key="k")["DeleteMarker"] is expected
        assert client.head_object(Bucket="bkt", Key="k")["DeleteMarker"] is expected


def test_deeply_nested_error_xml_gives_the_status_error():
    body = b"<Error><Code>X</Code><Detail>" + b"<a>" * 50_000 + b"x" + b"</a>" * 50_000 + b"</Detail></Error>"
    with ScriptedServer([respond(400, body)]) as srv:
        client = make_client(srv.endpoint, config=Config(retries={"max_attempts": 1}))
        started = time.monotonic()
        with pytest.raises(ClientError) as info:
            client.list_buckets()
        assert info.value.response["Error"]["Code"] == "400"
        assert time.monotonic() - started < 5


def test_entity_expansion_is_refused():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
              + b"".join(b'<!ENTITY %s "%s">' % (b"a" * (i + 2), (b"&" + b"a" * (i + 1) + b";") * 10) for i in range(8))
              + b']><ListAllMyBucketsResult><Owner><ID>&aaaaaaaaa;</ID></Owner></ListAllMyBucketsResult>')
    with ScriptedServer([respond(200, laughs)]) as srv:
        client = make_client(srv.endpoint, config=Config(retries={"max_attempts": 1}))
        with pytest.raises(ResponseParserError, match="DTD"):
            client.list_buckets()


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,  # nested past the recursion limit
    b'{"access_token": 5, "expires_in": 3600}',
    b'{"access_token": "t", "expires_in": "soon"}',
    b'["access_token"]',
    b'"just a string"',
    b'{"access_token": "t"}',
])
def test_malformed_iam_answers_give_a_credential_error(body):
    from ibm_botocore.exceptions import CredentialRetrievalError
    from ibm_botocore.iam import DefaultTokenManager

    with ScriptedServer([respond(200, body, {"Content-Type": "application/json"})]) as srv:
        manager = DefaultTokenManager(api_key_id="key", auth_endpoint=srv.endpoint + "/identity/token")
        manager._retry_sleep = lambda seconds: None  # no back-off waits in the test
        with pytest.raises(CredentialRetrievalError):
            manager.get_token()
