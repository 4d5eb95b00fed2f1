"""No header member can split a request: CR, LF and NUL in a value, or a name that is
not a token, are refused with ParamValidationError naming the member, and not one byte
reaches the server; a header added by a ``before-send`` handler meets the same last guard
in each transport."""
from __future__ import annotations

import datetime
from typing import Any, Dict

import pytest

from ibm_botocore.exceptions import ParamValidationError
from rawserver import HEAD_OK, make_client, response, serve_forever

BAD_VALUES = {
    "crlf": "v\r\nX-Injected: yes",
    "lf": "v\nX-Injected: yes",
    "cr": "v\rX-Injected: yes",
    "nul": "v\x00w",
    "folded": "v\r\n continued",
}

# (operation, extra params, member, how the bad value is placed)
PUT: Dict[str, Any] = {"Bucket": "bucket1", "Key": "k", "Body": b"x"}
CASES = [
    ("put_object", PUT, "Metadata", lambda bad: {"Metadata": {"a": bad}}),
    ("put_object", PUT, "ContentType", lambda bad: {"ContentType": bad}),
    ("put_object", PUT, "CacheControl", lambda bad: {"CacheControl": bad}),
    ("put_object", PUT, "ContentDisposition", lambda bad: {"ContentDisposition": bad}),
    ("put_object", PUT, "ContentLanguage", lambda bad: {"ContentLanguage": bad}),
    ("put_object", PUT, "RetentionLegalHoldId", lambda bad: {"RetentionLegalHoldId": bad}),
    ("put_object", PUT, "WebsiteRedirectLocation", lambda bad: {"WebsiteRedirectLocation": bad}),
    ("put_object", PUT, "Tagging", lambda bad: {"Tagging": bad}),
    ("put_object", PUT, "GrantRead", lambda bad: {"GrantRead": bad}),
    ("put_object", PUT, "SSEKMSKeyId", lambda bad: {"SSEKMSKeyId": bad}),
    ("put_object", PUT, "ExpectedBucketOwner", lambda bad: {"ExpectedBucketOwner": bad}),
    ("copy_object", {"Bucket": "bucket1", "Key": "k", "CopySource": "bucket1/src"}, "RetentionDirective",
     lambda bad: {"RetentionDirective": bad}),
    ("copy_object", {"Bucket": "bucket1", "Key": "k", "CopySource": "bucket1/src"}, "CopySourceIfMatch",
     lambda bad: {"CopySourceIfMatch": bad}),
    ("get_object", {"Bucket": "bucket1", "Key": "k"}, "Range", lambda bad: {"Range": bad}),
    ("get_object", {"Bucket": "bucket1", "Key": "k"}, "IfNoneMatch", lambda bad: {"IfNoneMatch": bad}),
    ("head_object", {"Bucket": "bucket1", "Key": "k"}, "SSECustomerAlgorithm", lambda bad: {"SSECustomerAlgorithm": bad}),
]


def _never_answer(peer, request):
    return False


@pytest.mark.parametrize("kind", sorted(BAD_VALUES))
@pytest.mark.parametrize("operation,base,member,place", CASES, ids=[c[2] + "-" + c[0] for c in CASES])
def test_bad_header_value_is_refused_before_the_socket(server, transport, kind, operation, base, member, place):
    raw = server(serve_forever(_never_answer))
    client = make_client(raw.url)
    params = dict(base)
    params.update(place(BAD_VALUES[kind]))
    with pytest.raises(ParamValidationError) as info:
        getattr(client, operation)(**params)
    message = str(info.value)
    assert "parameter %s" % member in message
    assert "CR, LF or NUL" in message
    assert "Injected" not in message and "continued" not in message  # the value is not echoed
    assert raw.connections == 0 and raw.bytes_received == 0


@pytest.mark.parametrize("key", ["a b", "a:b", "a\r\nX-Injected", "tab\there", "quote\"d", "(x)"])
def test_metadata_key_that_is_not_a_token_is_refused(server, transport, key):
    raw = server(serve_forever(_never_answer))
    client = make_client(raw.url)
    with pytest.raises(ParamValidationError) as info:
        client.put_object(Bucket="bucket1", Key="k", Body=b"x", Metadata={key: "v"})
    assert "parameter Metadata" in str(info.value)
    assert raw.connections == 0 and raw.bytes_received == 0


def test_good_headers_go_out_unchanged(server, transport):
    raw = server(serve_forever(lambda peer, request: peer.read_body(request) is not None and peer.send(response(200)) is None))
    client = make_client(raw.url)
    client.put_object(Bucket="bucket1", Key="k", Body=b"x", ContentType="text/plain; charset=utf-8",
                      CacheControl="max-age=60, must-revalidate", Metadata={"a-b_c.d~e!": "v\tw x=y"},
                      ContentDisposition='attachment; filename="a b.txt"',
                      Expires=datetime.datetime(2030, 1, 2, 3, 4, 5))
    request = raw.requests[0]
    assert request.headers["content-type"] == "text/plain; charset=utf-8"
    assert request.headers["cache-control"] == "max-age=60, must-revalidate"
    assert request.headers["x-amz-meta-a-b_c.d~e!"] == "v\tw x=y"
    assert request.headers["content-disposition"] == 'attachment; filename="a b.txt"'
    assert request.body == b"x"


@pytest.mark.parametrize("name,value", [
    ("X-Added", "v\r\nX-Injected: yes"),
    ("X-Added", "v\x00"),
    ("X-Added", b"v\nX-Injected: yes"),
    ("X Added", "v"),
    ("X-Added:", "v"),
    ("X-Added\r\nX-Injected", "v"),
])
def test_header_added_by_a_handler_meets_the_transport_guard(server, transport, name, value):
    """A before-send handler runs after validation; the transport still refuses."""
    raw = server(serve_forever(lambda peer, request: peer.send(HEAD_OK) is None))
    client = make_client(raw.url)

    def add_header(request, **kwargs):
        request.headers[name] = value

    client.meta.events.register("before-send.s3.HeadObject", add_header)
    with pytest.raises(ParamValidationError) as info:
        client.head_object(Bucket="bucket1", Key="k")
    assert "nothing was sent" in str(info.value)
    assert "Injected: yes" not in str(info.value)
    assert raw.connections == 0 and raw.bytes_received == 0


def test_same_request_bytes_on_both_transports_after_a_clean_handler(server, transport):
    raw = server(serve_forever(lambda peer, request: peer.send(HEAD_OK) is None))
    client = make_client(raw.url)
    client.meta.events.register("before-send.s3.HeadObject", lambda request, **kw: request.headers.__setitem__("X-Added", "fine value"))
    client.head_object(Bucket="bucket1", Key="k")
    assert raw.requests[0].headers["x-added"] == "fine value"
