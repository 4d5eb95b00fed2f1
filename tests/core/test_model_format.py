"""The generic rest-xml core against model-format features S3's model does not use.

The cases are written from the public Smithy / AWS protocol descriptions:

* the ``endpoint`` trait's ``hostPrefix`` with ``hostLabel`` members (a DNS label each);
* modeled error shapes: an error whose code is one of the operation's ``errors`` carries
  that shape's body members (from ``<Error>``) and header members at the top level;
* event-stream payloads (the AWS event-stream binary framing: prelude, headers, payload,
  CRC-32s), sent by a local server as real framed bytes;
* tagged unions reporting an unknown member as ``SDK_UNKNOWN_MEMBER``;
* a ``str`` given for a blob payload goes out as its UTF-8 bytes;
* an empty list bound to a header sends no header.

A throw-away service ``modelfmt`` (rest-xml, SigV4) is written to a data path, so the
requests go through the whole client pipeline to ``tests/core/scripted_server.py``.
"""
from __future__ import annotations

import datetime
import json
import struct
import zlib
from typing import Any, Dict, List, Tuple

import pytest

import ibm_boto3
from ibm_botocore.config import Config
from ibm_botocore.eventstream import (
    ChecksumMismatch,
    EventStream,
    EventStreamBuffer,
    InvalidHeadersLength,
    InvalidPayloadLength,
    ParserError,
    decode_headers,
)
from ibm_botocore.exceptions import ClientError, EventStreamError, ParamValidationError
from ibm_botocore.model import ServiceModel
from ibm_botocore.parsers import create_parser
from ibm_botocore.serialize import create_serializer

from core_helpers import ACCESS_KEY, SECRET_KEY
from scripted_server import ScriptedServer, respond

S = {"shape": "String"}

MODEL: Dict[str, Any] = {
    "version": "2.0",
    "metadata": {
        "apiVersion": "2024-01-01",
        "endpointPrefix": "modelfmt",
        "protocol": "rest-xml",
        "serviceId": "Model Fmt",
        "signatureVersion": "v4",
        "signingName": "modelfmt",
    },
    "operations": {
        "GetAccountThing": {
            "name": "GetAccountThing",
            "http": {"method": "GET", "requestUri": "/things/{Name}"},
            "endpoint": {"hostPrefix": "{AccountId}.{Zone}-data."},
            "input": {"shape": "GetAccountThingRequest"},
            "output": {"shape": "ThingOutput"},
        },
        "FetchThing": {
            "name": "FetchThing",
            "http": {"method": "GET", "requestUri": "/fetch/{Name}"},
            "input": {"shape": "NameRequest"},
            "output": {"shape": "ThingOutput"},
            "errors": [{"shape": "ThingArchived"}, {"shape": "NoSuchThing"}],
        },
        "TouchThing": {
            "name": "TouchThing",
            "http": {"method": "POST", "requestUri": "/touch/{Name}"},
            "input": {"shape": "NameRequest"},
            "output": {"shape": "TouchOutput"},
            "errors": [{"shape": "NoSuchThing"}],
        },
        "ForgetThing": {
            "name": "ForgetThing",
            "http": {"method": "DELETE", "requestUri": "/forget/{Name}"},
            "input": {"shape": "NameRequest"},
            "errors": [{"shape": "ThingArchived"}],
        },
        "StreamThings": {
            "name": "StreamThings",
            "http": {"method": "POST", "requestUri": "/stream"},
            "input": {"shape": "NameRequest"},
            "output": {"shape": "StreamThingsOutput"},
        },
        "DescribeChoice": {
            "name": "DescribeChoice",
            "http": {"method": "GET", "requestUri": "/choice"},
            "output": {"shape": "DescribeChoiceOutput"},
        },
        "PutData": {
            "name": "PutData",
            "http": {"method": "PUT", "requestUri": "/data"},
            "input": {"shape": "PutDataRequest"},
        },
        "PutDoc": {
            "name": "PutDoc",
            "http": {"method": "POST", "requestUri": "/doc"},
            "input": {"shape": "PutDocRequest", "locationName": "Doc"},
        },
        "PutText": {
            "name": "PutText",
            "http": {"method": "PUT", "requestUri": "/text"},
            "input": {"shape": "PutTextRequest"},
        },
    },
    "shapes": {
        "String": {"type": "string"},
        "Integer": {"type": "integer"},
        "Blob": {"type": "blob"},
        "StreamingBlob": {"type": "blob", "streaming": True},
        "Timestamp": {"type": "timestamp"},
        "StringList": {"type": "list", "member": S},
        "GetAccountThingRequest": {
            "type": "structure",
            "required": ["AccountId", "Zone", "Name"],
            "members": {
                "AccountId": {"shape": "String", "hostLabel": True, "location": "header", "locationName": "x-account-id"},
                "Zone": {"shape": "String", "hostLabel": True, "location": "querystring", "locationName": "zone"},
                "Name": {"shape": "String", "location": "uri", "locationName": "Name"},
            },
        },
        "NameRequest": {
            "type": "structure",
            "required": ["Name"],
            "members": {"Name": {"shape": "String", "location": "uri", "locationName": "Name"}},
        },
        "ThingOutput": {"type": "structure", "members": {"Name": S}},
        "TouchOutput": {"type": "structure", "members": {}},
        "ThingArchived": {
            "type": "structure",
            "members": {
                "StorageClass": S,
                "AccessTier": S,
                "RestoreDays": {"shape": "Integer"},
                "Hint": {"shape": "String", "location": "header", "locationName": "x-restore-hint"},
            },
            "error": {"httpStatusCode": 403},
            "exception": True,
        },
        "NoSuchThing": {"type": "structure", "members": {}, "error": {"httpStatusCode": 404}, "exception": True},
        "Unlisted": {"type": "structure", "members": {"StorageClass": S}, "exception": True},
        "StreamThingsOutput": {"type": "structure", "members": {"Events": {"shape": "ThingEvents"}}, "payload": "Events"},
        "ThingEvents": {
            "type": "structure",
            "eventstream": True,
            "members": {
                "Records": {"shape": "RecordsEvent"},
                "Stats": {"shape": "StatsEvent"},
                "Note": {"shape": "NoteEvent"},
                "End": {"shape": "EndEvent"},
                "Overloaded": {"shape": "OverloadedException"},
            },
        },
        "RecordsEvent": {"type": "structure", "members": {"Payload": {"shape": "Blob", "eventpayload": True}}, "event": True},
        "StatsEvent": {"type": "structure", "members": {"Details": {"shape": "Stats", "eventpayload": True}}, "event": True},
        "Stats": {"type": "structure", "members": {"Scanned": {"shape": "Integer"}, "Returned": {"shape": "Integer"}}},
        "NoteEvent": {
            "type": "structure",
            "event": True,
            "members": {
                "Level": {"shape": "String", "eventheader": True},
                "Sequence": {"shape": "Integer", "eventheader": True},
                "At": {"shape": "Timestamp", "eventheader": True},
                "Text": S,
            },
        },
        "EndEvent": {"type": "structure", "members": {}, "event": True},
        "OverloadedException": {"type": "structure", "members": {"Message": S}, "exception": True},
        "DescribeChoiceOutput": {"type": "structure", "members": {"Choice": {"shape": "Choice"}}},
        "Choice": {"type": "structure", "union": True, "members": {"Text": S, "Number": {"shape": "Integer"}}},
        "PutDataRequest": {
            "type": "structure",
            "members": {
                "Data": {"shape": "Blob"},
                "Tags": {"shape": "StringList", "location": "header", "locationName": "x-tags"},
            },
            "payload": "Data",
        },
        "PutDocRequest": {"type": "structure", "members": {"Digest": {"shape": "Blob"}, "Title": S}},
        "PutTextRequest": {
            "type": "structure",
            "members": {"Body": {"shape": "StreamingBlob"}},
            "payload": "Body",
        },
    },
}


@pytest.fixture(scope="module")
def data_path(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("model-format")
    target = root / "modelfmt" / "2024-01-01"
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(MODEL))
    return str(root)


def make_client(data_path: str, monkeypatch, endpoint_url: str, **config: Any) -> Any:
    monkeypatch.setenv("AWS_DATA_PATH", data_path)
    session = ibm_boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="us-east-1")
    return session.client("modelfmt", endpoint_url=endpoint_url, config=Config(retries={"max_attempts": 1}, **config))


@pytest.fixture(scope="module")
def model() -> ServiceModel:
    return ServiceModel(MODEL, service_name="modelfmt")


def serialize(model: ServiceModel, operation: str, params: Dict[str, Any]) -> Dict[str, Any]:
    return create_serializer("rest-xml").serialize_to_request(params, model.operation_model(operation))


# --- event-stream frames, encoded here from the published framing ----------------------------
def header(name: str, value: Any) -> bytes:
    """One header: name length, name, value type, value (types 0/1 bool, 4 int32, 6 bytes, 7 string, 8 timestamp)."""
    encoded = name.encode("utf-8")
    out = struct.pack("!B", len(encoded)) + encoded
    if value is True or value is False:
        return out + struct.pack("!B", 0 if value else 1)
    if isinstance(value, datetime.datetime):
        return out + struct.pack("!Bq", 8, int(value.timestamp() * 1000))
    if isinstance(value, int):
        return out + struct.pack("!Bi", 4, value)
    if isinstance(value, bytes):
        return out + struct.pack("!BH", 6, len(value)) + value
    text = value.encode("utf-8")
    return out + struct.pack("!BH", 7, len(text)) + text


def frame(headers: List[Tuple[str, Any]], payload: bytes = b"") -> bytes:
    block = b"".join(header(name, value) for name, value in headers)
    total = 12 + len(block) + len(payload) + 4
    prelude = struct.pack("!II", total, len(block))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    message = prelude + block + payload
    return message + struct.pack("!I", zlib.crc32(message))


def event(name: str, payload: bytes = b"", *extra: Tuple[str, Any]) -> bytes:
    headers = [(":message-type", "event"), (":event-type", name), (":content-type", "application/octet-stream")]
    return frame(headers + list(extra), payload)


# --- 1. hostPrefix / hostLabel ------------------------------------------------------------------
def test_host_prefix_expanded_from_host_labels(model):
    request = serialize(model, "GetAccountThing", {"AccountId": "123456789012", "Zone": "eu-1", "Name": "n"})
    assert request["host_prefix"] == "123456789012.eu-1-data."
    assert request["url_path"] == "/things/n"
    assert request["headers"] == {"x-account-id": "123456789012"}  # host labels keep their own binding too
    assert request["query_string"] == {"zone": "eu-1"}
    plain = serialize(model, "FetchThing", {"Name": "n"})
    assert "host_prefix" not in plain


@pytest.mark.parametrize("bad", ["-leading", "has.dot", "white space", "a" * 64, "under_score", ""])
def test_host_label_that_is_not_a_dns_label_is_refused(model, bad):
    with pytest.raises(ParamValidationError) as info:
        serialize(model, "GetAccountThing", {"AccountId": bad, "Zone": "z", "Name": "n"})
    assert "AccountId" in str(info.value)


def test_host_label_longest_valid_label_is_accepted(model):
    request = serialize(model, "GetAccountThing", {"AccountId": "a" * 63, "Zone": "Z-9", "Name": "n"})
    assert request["host_prefix"] == "a" * 63 + ".Z-9-data."


def test_host_prefix_on_the_wire_and_inject_host_prefix_false(data_path, monkeypatch):
    # The local server acts as an HTTP proxy, so the request line shows the full URL.
    with ScriptedServer([respond(200, b"<ThingOutput><Name>n</Name></ThingOutput>")]) as server:
        proxies = {"http": server.endpoint}
        client = make_client(data_path, monkeypatch, "http://modelfmt.example:8080", proxies=proxies)
        assert client.get_account_thing(AccountId="acct-1", Zone="z", Name="n")["Name"] == "n"
        plain = make_client(data_path, monkeypatch, "http://modelfmt.example:8080", proxies=proxies, inject_host_prefix=False)
        plain.get_account_thing(AccountId="acct-1", Zone="z", Name="n")
        with pytest.raises(ParamValidationError):
            client.get_account_thing(AccountId="bad.label", Zone="z", Name="n")
    first, second = server.requests
    assert first["path"] == "http://acct-1.z-data.modelfmt.example:8080/things/n?zone=z"
    assert first["headers"]["host"] == "acct-1.z-data.modelfmt.example:8080"
    assert second["path"] == "http://modelfmt.example:8080/things/n?zone=z"
    assert second["headers"]["host"] == "modelfmt.example:8080"
    assert len(server.requests) == 2  # the refused label never left the client


# --- 2. modeled error shapes --------------------------------------------------------------------
ARCHIVED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ThingArchived</Code><Message>archived</Message>'
    b"<StorageClass>GLACIER</StorageClass><AccessTier>DEEP</AccessTier><RestoreDays>7</RestoreDays>"
    b"<RequestId>R1</RequestId></Error>"
)


def test_modeled_error_members_at_the_top_level(data_path, monkeypatch):
    with ScriptedServer([respond(403, ARCHIVED, {"x-restore-hint": "ask-later"})]) as server:
        client = make_client(data_path, monkeypatch, server.endpoint)
        with pytest.raises(ClientError) as info:
            client.fetch_thing(Name="n")
    response = info.value.response
    assert response["StorageClass"] == "GLACIER"
    assert response["AccessTier"] == "DEEP"
    assert response["RestoreDays"] == 7
    assert response["Hint"] == "ask-later"
    assert response["Error"] == {"Code": "ThingArchived", "Message": "archived", "StorageClass": "GLACIER",
                                 "AccessTier": "DEEP", "RestoreDays": "7"}
    assert response["ResponseMetadata"]["RequestId"] == "SCRIPTED"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert type(info.value).__name__ == "ThingArchived"


def test_modeled_error_of_an_operation_without_output(data_path, monkeypatch):
    with ScriptedServer([respond(409, ARCHIVED)]) as server:
        client = make_client(data_path, monkeypatch, server.endpoint)
        with pytest.raises(ClientError) as info:
            client.forget_thing(Name="n")
    assert info.value.response["StorageClass"] == "GLACIER"
    assert info.value.response["RestoreDays"] == 7
    assert type(info.value).__name__ == "ThingArchived"


def test_error_not_modeled_for_the_operation_adds_nothing(model):
    body = b"<Error><Code>ThingArchived</Code><Message>m</Message><StorageClass>GLACIER</StorageClass></Error>"
    parsed = create_parser("rest-xml").parse(
        {"status_code": 403, "headers": {"x-restore-hint": "h"}, "body": body, "context": {"operation_name": "TouchThing"}},
        model.operation_model("TouchThing").output_shape,
    )
    assert set(parsed) == {"Error", "ResponseMetadata"}
    assert parsed["Error"] == {"Code": "ThingArchived", "Message": "m", "StorageClass": "GLACIER"}


def test_modeled_error_in_an_error_response_wrapper(model):
    body = (b"<ErrorResponse><Error><Code>ThingArchived</Code><Message>m</Message><AccessTier>COLD</AccessTier></Error>"
            b"<RequestId>W1</RequestId></ErrorResponse>")
    parsed = create_parser("rest-xml").parse(
        {"status_code": 403, "headers": {}, "body": body, "context": {"operation_name": "FetchThing"}},
        model.operation_model("FetchThing").output_shape,
    )
    assert parsed["AccessTier"] == "COLD"
    assert "StorageClass" not in parsed
    assert parsed["ResponseMetadata"]["RequestId"] == "W1"


def test_error_without_a_body_is_not_a_modeled_error(model):
    parsed = create_parser("rest-xml").parse(
        {"status_code": 404, "headers": {"x-restore-hint": "h"}, "body": b"", "context": {"operation_name": "FetchThing"}},
        model.operation_model("FetchThing").output_shape,
    )
    assert parsed["Error"] == {"Code": "404", "Message": "Not Found"}
    assert "Hint" not in parsed  # "404" is not a modeled code


# --- 3. event streams ------------------------------------------------------------------------------
def stream_body() -> bytes:
    stats = b"<Stats><Scanned>100</Scanned><Returned>2</Returned></Stats>"
    note = b"<NoteEvent><Text>half way</Text></NoteEvent>"
    at = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    return b"".join((
        event("Records", b"a,1\n"),
        event("Records", b"b,2\n"),
        event("Note", note, ("Level", "info"), ("Sequence", 3), ("At", at)),
        frame([(":message-type", "event"), (":event-type", "Mystery")], b"?"),
        event("Stats", stats),
        event("End"),
    ))


def test_event_stream_response_through_the_client(data_path, monkeypatch):
    headers = {"Content-Type": "application/vnd.amazon.eventstream"}
    with ScriptedServer([respond(200, stream_body(), headers)]) as server:
        client = make_client(data_path, monkeypatch, server.endpoint)
        response = client.stream_things(Name="n")
        stream = response["Events"]
        assert isinstance(stream, EventStream)
        events = list(stream)
        stream.close()
        stream.close()  # a second close does nothing
    assert events == [
        {"Records": {"Payload": b"a,1\n"}},
        {"Records": {"Payload": b"b,2\n"}},
        {"Note": {"Level": "info", "Sequence": 3, "At": datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
                  "Text": "half way"}},
        {"SDK_UNKNOWN_MEMBER": {"name": "Mystery"}},
        {"Stats": {"Details": {"Scanned": 100, "Returned": 2}}},
        {"End": {}},
    ]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def _stream_of(model: ServiceModel, body: bytes) -> EventStream:
    import io

    parsed = create_parser("rest-xml").parse(
        {"status_code": 200, "headers": {}, "body": io.BytesIO(body), "context": {"operation_name": "StreamThings"}},
        model.operation_model("StreamThings").output_shape,
    )
    return parsed["Events"]


def test_event_stream_exception_message_raises(model):
    bad = frame([(":message-type", "exception"), (":exception-type", "Overloaded")],
                b"<OverloadedException><Message>slow down</Message></OverloadedException>")
    stream = _stream_of(model, event("Records", b"x") + bad + event("End"))
    seen = []
    with pytest.raises(EventStreamError) as info:
        for item in stream:
            seen.append(item)
    assert seen == [{"Records": {"Payload": b"x"}}]
    assert info.value.response["Error"] == {"Code": "Overloaded", "Message": "slow down"}
    assert info.value.operation_name == "StreamThings"
    assert isinstance(info.value, ClientError)
    assert str(info.value) == "An error occurred (Overloaded) when calling the StreamThings operation: slow down"


def test_event_stream_error_message_raises(model):
    bad = frame([(":message-type", "error"), (":error-code", "InternalError"), (":error-message", "try again")])
    with pytest.raises(EventStreamError) as info:
        list(_stream_of(model, bad))
    assert info.value.response == {"Error": {"Code": "InternalError", "Message": "try again"}}


def test_event_stream_bad_message_crc(model):
    good = event("Records", b"payload")
    broken = good[:-5] + bytes([good[-5] ^ 0xFF]) + good[-4:]  # flip one payload byte
    stream = _stream_of(model, good + broken)
    items = iter(stream)
    assert next(items) == {"Records": {"Payload": b"payload"}}
    with pytest.raises(ChecksumMismatch) as info:
        next(items)
    assert str(info.value) == "Checksum mismatch: expected 0x%08x, calculated 0x%08x" % (zlib.crc32(good[:-4]), zlib.crc32(broken[:-4]))


def test_event_stream_bad_prelude_crc(model):
    good = event("End")
    broken = good[:8] + bytes([good[8] ^ 0x01]) + good[9:]
    with pytest.raises(ChecksumMismatch):
        list(_stream_of(model, broken))


def test_event_stream_truncated_message(model):
    with pytest.raises(ParserError) as info:
        list(_stream_of(model, event("Records", b"abcdef")[:-3]))
    assert "ended inside a message" in str(info.value)


def test_event_stream_buffer_yields_messages_split_at_every_byte():
    data = event("Records", b"one") + event("End")
    for cut in range(len(data) + 1):
        buffer = EventStreamBuffer()
        buffer.add_data(data[:cut])
        got = list(buffer)
        buffer.add_data(data[cut:])
        got += list(buffer)
        assert [m.headers[":event-type"] for m in got] == ["Records", "End"]
        assert got[0].payload == b"one" and got[1].payload == b""
        assert buffer.pending == 0


def test_event_stream_lengths_that_do_not_add_up():
    small = struct.pack("!II", 8, 0)
    buffer = EventStreamBuffer()
    buffer.add_data(small + struct.pack("!I", zlib.crc32(small)) + b"\0" * 8)
    with pytest.raises(InvalidPayloadLength):
        list(buffer)
    wrong_headers = struct.pack("!II", 16, 5)
    buffer = EventStreamBuffer()
    buffer.add_data(wrong_headers + struct.pack("!I", zlib.crc32(wrong_headers)) + b"\0" * 4)
    with pytest.raises(InvalidHeadersLength):
        list(buffer)


def test_event_stream_header_value_types():
    block = b"".join((
        header("t", True), header("f", False), header("i", -7), header("b", b"\x00\x01"), header("s", "caf\u00e9"),
        b"\x01y\x02\xff", b"\x01h\x03\x01\x00", b"\x01l\x05" + struct.pack("!q", 2 ** 40),
        b"\x01u\x09" + bytes(range(16)),
        header("ts", datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)),
    ))
    decoded = decode_headers(block)
    assert decoded["t"] is True and decoded["f"] is False
    assert decoded["i"] == -7 and decoded["y"] == -1 and decoded["h"] == 256 and decoded["l"] == 2 ** 40
    assert decoded["b"] == b"\x00\x01" and decoded["s"] == "caf\u00e9"
    assert str(decoded["u"]) == "00010203-0405-0607-0809-0a0b0c0d0e0f"
    assert decoded["ts"] == 1704067200000
    with pytest.raises(InvalidHeadersLength):
        decode_headers(header("s", "text")[:-2])


def test_event_stream_operation_model_flags(model):
    op = model.operation_model("StreamThings")
    assert op.has_event_stream_output and op.has_streaming_output
    assert op.get_event_stream_output().name == "ThingEvents"
    assert not model.operation_model("FetchThing").has_event_stream_output


# --- 4. unions ---------------------------------------------------------------------------------------
def test_union_unknown_member_is_reported(model):
    parser = create_parser("rest-xml")
    shape = model.operation_model("DescribeChoice").output_shape
    known = parser.parse({"status_code": 200, "headers": {}, "body": b"<R><Choice><Number>4</Number></Choice></R>"}, shape)
    assert known["Choice"] == {"Number": 4}
    unknown = parser.parse({"status_code": 200, "headers": {}, "body": b"<R><Choice><Colour>red</Colour></Choice></R>"}, shape)
    assert unknown["Choice"] == {"SDK_UNKNOWN_MEMBER": {"name": "Colour"}}
    # an ordinary structure still ignores unmodeled elements
    plain = parser.parse({"status_code": 200, "headers": {}, "body": b"<R><Other>x</Other></R>"}, shape)
    assert set(plain) == {"ResponseMetadata"}


# --- 5 and 6: blob payloads given as str, empty header lists ----------------------------------------
def test_str_blob_payload_is_utf8_bytes(model):
    request = serialize(model, "PutData", {"Data": "h\u00e9llo"})
    assert request["body"] == b"h\xc3\xa9llo"
    streaming = serialize(model, "PutText", {"Body": "\u00fcber"})
    assert streaming["body"] == b"\xc3\xbcber"
    raw = serialize(model, "PutData", {"Data": b"\x00\xff"})
    assert raw["body"] == b"\x00\xff"
    # a blob member of an XML body is base64 of the UTF-8 bytes, whether given as str or bytes
    doc = serialize(model, "PutDoc", {"Title": "t", "Digest": "\u00e9"})
    assert doc["body"] == b"<Doc><Title>t</Title><Digest>w6k=</Digest></Doc>"
    assert serialize(model, "PutDoc", {"Digest": b"\xc3\xa9"})["body"] == b"<Doc><Digest>w6k=</Digest></Doc>"


def test_empty_header_list_sends_no_header(data_path, monkeypatch):
    with ScriptedServer([respond(200)]) as server:
        client = make_client(data_path, monkeypatch, server.endpoint)
        client.put_data(Data="text", Tags=[])
        client.put_data(Data=b"bytes", Tags=["a", "b"])
    first, second = server.requests
    assert "x-tags" not in first["headers"]
    assert first["body"] == b"text"
    assert second["headers"]["x-tags"] == "a,b"
    assert second["body"] == b"bytes"
