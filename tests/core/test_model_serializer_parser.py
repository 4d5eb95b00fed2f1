"""Unit tests on fixed inputs: ServiceModel from a dict, the rest-xml serializer and parser.

Two models are used: a small hand-written one (so the generic protocol code is tested
without anything S3-specific), and the shipped S3 model for real operations.
"""
from __future__ import annotations

import datetime
import io
from xml.etree import ElementTree

import pytest

from ibm_botocore.loaders import Loader
from ibm_botocore.model import ServiceModel
from ibm_botocore.parsers import create_parser
from ibm_botocore.serialize import create_serializer
from ibm_botocore.exceptions import ParamValidationError

UTC = datetime.timezone.utc
NS = "http://example.com/doc/2020-01-01/"

MINI_MODEL = {
    "version": "2.0",
    "metadata": {
        "apiVersion": "2020-01-01",
        "endpointPrefix": "mini",
        "protocol": "rest-xml",
        "serviceId": "Mini Store",
        "signatureVersion": "s3v4",
        "uid": "mini-2020-01-01",
    },
    "operations": {
        "PutThing": {
            "name": "PutThing",
            "http": {"method": "PUT", "requestUri": "/{Bucket}/{Key+}?thing", "responseCode": 200},
            "input": {"shape": "PutThingRequest"},
            "output": {"shape": "PutThingOutput"},
        },
        "GetThing": {
            "name": "GetThing",
            "http": {"method": "GET", "requestUri": "/{Bucket}/{Key+}"},
            "input": {"shape": "GetThingRequest"},
            "output": {"shape": "GetThingOutput"},
        },
        "ListThings": {
            "name": "ListThings",
            "http": {"method": "GET", "requestUri": "/{Bucket}?list"},
            "input": {"shape": "ListThingsRequest"},
            "output": {"shape": "ListThingsOutput"},
        },
    },
    "shapes": {
        "Name": {"type": "string"},
        "Count": {"type": "integer"},
        "Big": {"type": "long"},
        "Flag": {"type": "boolean"},
        "When": {"type": "timestamp"},
        "WhenIso": {"type": "timestamp", "timestampFormat": "iso8601"},
        "WhenEpoch": {"type": "timestamp", "timestampFormat": "unixTimestamp"},
        "Color": {"type": "string", "enum": ["red", "green"]},
        "Data": {"type": "blob", "streaming": True},
        "Meta": {"type": "map", "key": {"shape": "Name"}, "value": {"shape": "Name"}},
        "Labels": {"type": "list", "member": {"shape": "Name", "locationName": "Label"}},
        "Parts": {"type": "list", "member": {"shape": "Part"}, "flattened": True},
        "NameList": {"type": "list", "member": {"shape": "Name"}},
        "Part": {"type": "structure", "members": {"Number": {"shape": "Count"}, "Tag": {"shape": "Name"}}},
        "Owner": {
            "type": "structure",
            "members": {
                "Id": {"shape": "Name", "locationName": "ID"},
                "Kind": {"shape": "Name", "locationName": "xsi:type", "xmlAttribute": True},
            },
            "xmlNamespace": {"prefix": "xsi", "uri": "http://www.w3.org/2001/XMLSchema-instance"},
        },
        "ThingConfig": {
            "type": "structure",
            "members": {
                "Color": {"shape": "Color"},
                "Enabled": {"shape": "Flag"},
                "Labels": {"shape": "Labels"},
                "Parts": {"shape": "Parts", "locationName": "Part"},
                "Since": {"shape": "When"},
                "Owner": {"shape": "Owner"},
            },
        },
        "PutThingRequest": {
            "type": "structure",
            "required": ["Bucket", "Key"],
            "members": {
                "Bucket": {"shape": "Name", "location": "uri", "locationName": "Bucket"},
                "Key": {"shape": "Name", "location": "uri", "locationName": "Key"},
                "Config": {"shape": "ThingConfig", "locationName": "ThingConfiguration", "xmlNamespace": {"uri": NS}},
                "Meta": {"shape": "Meta", "location": "headers", "locationName": "x-mini-meta-"},
                "Expires": {"shape": "When", "location": "header", "locationName": "Expires"},
                "Stamp": {"shape": "WhenIso", "location": "header", "locationName": "x-mini-stamp"},
                "Force": {"shape": "Flag", "location": "header", "locationName": "x-mini-force"},
                "Version": {"shape": "Name", "location": "querystring", "locationName": "versionId"},
                "Since": {"shape": "WhenEpoch", "location": "querystring", "locationName": "since"},
                "Dry": {"shape": "Flag", "location": "querystring", "locationName": "dry-run"},
                "Names": {"shape": "NameList", "location": "querystring", "locationName": "name"},
            },
            "payload": "Config",
        },
        "PutThingOutput": {
            "type": "structure",
            "members": {
                "ETag": {"shape": "Name", "location": "header", "locationName": "ETag"},
                "Size": {"shape": "Big", "location": "header", "locationName": "x-mini-size"},
            },
        },
        "GetThingRequest": {
            "type": "structure",
            "required": ["Bucket", "Key"],
            "members": {
                "Bucket": {"shape": "Name", "location": "uri", "locationName": "Bucket"},
                "Key": {"shape": "Name", "location": "uri", "locationName": "Key"},
            },
        },
        "GetThingOutput": {
            "type": "structure",
            "members": {
                "Body": {"shape": "Data"},
                "Meta": {"shape": "Meta", "location": "headers", "locationName": "x-mini-meta-"},
                "Modified": {"shape": "When", "location": "header", "locationName": "Last-Modified"},
                "Length": {"shape": "Big", "location": "header", "locationName": "Content-Length"},
                "Deleted": {"shape": "Flag", "location": "header", "locationName": "x-mini-deleted"},
            },
            "payload": "Body",
        },
        "ListThingsRequest": {
            "type": "structure",
            "required": ["Bucket"],
            "members": {"Bucket": {"shape": "Name", "location": "uri", "locationName": "Bucket"}},
        },
        "ListThingsOutput": {
            "type": "structure",
            "members": {
                "Name": {"shape": "Name"},
                "Truncated": {"shape": "Flag", "locationName": "IsTruncated"},
                "Count": {"shape": "Count"},
                "Parts": {"shape": "Parts", "locationName": "Part"},
                "Labels": {"shape": "Labels"},
                "Owner": {"shape": "Owner"},
                "Since": {"shape": "When"},
            },
        },
    },
}


@pytest.fixture(scope="module")
def mini() -> ServiceModel:
    return ServiceModel(MINI_MODEL, service_name="mini")


@pytest.fixture(scope="module")
def s3_model() -> ServiceModel:
    return ServiceModel(Loader().load_service_model("s3", "service-2"), service_name="s3")


def serialize(model: ServiceModel, operation: str, params: dict, validate: bool = True) -> dict:
    return create_serializer("rest-xml", include_validation=validate).serialize_to_request(params, model.operation_model(operation))


# --- ServiceModel from a dict ------------------------------------------------------------------
def test_service_model_from_dict(mini):
    assert sorted(mini.operation_names) == ["GetThing", "ListThings", "PutThing"]
    assert mini.protocol == "rest-xml"
    assert mini.api_version == "2020-01-01"
    assert mini.endpoint_prefix == "mini"
    assert mini.service_id == "Mini Store" and mini.service_id.hyphenize() == "mini-store"
    assert mini.signature_version == "s3v4"
    put = mini.operation_model("PutThing")
    assert put.name == "PutThing"
    assert put.http == {"method": "PUT", "requestUri": "/{Bucket}/{Key+}?thing", "responseCode": 200}
    shape = put.input_shape
    assert shape.type_name == "structure"
    assert shape.required_members == ["Bucket", "Key"]
    assert list(shape.members)[:3] == ["Bucket", "Key", "Config"]
    assert shape.members["Meta"].type_name == "map"
    assert shape.members["Expires"].serialization == {"location": "header", "name": "Expires"}
    config = shape.members["Config"]
    assert config.serialization["name"] == "ThingConfiguration"
    assert config.members["Color"].enum == ["red", "green"]
    assert config.members["Labels"].member.serialization["name"] == "Label"
    assert config.members["Parts"].serialization.get("flattened") is True
    assert put.output_shape.members["Size"].type_name == "long"
    get = mini.operation_model("GetThing")
    assert get.has_streaming_output and not get.has_streaming_input
    assert get.output_shape.serialization["payload"] == "Body"
    from ibm_botocore.model import OperationNotFoundError

    with pytest.raises(OperationNotFoundError):
        mini.operation_model("NoSuchOperation")


def test_s3_model_loads_with_the_cos_operations(s3_model):
    names = set(s3_model.operation_names)
    assert {"PutObject", "GetObject", "AddLegalHold", "ExtendObjectRetention", "ListBucketsExtended",
            "PutBucketProtectionConfiguration", "GetBucketAspera"} <= names
    assert len(names) >= 81
    put = s3_model.operation_model("PutObject")
    assert put.has_streaming_input
    assert put.input_shape.members["RetentionPeriod"].serialization == {"location": "header", "name": "Retention-Period"}


# --- serializer: hand-written model --------------------------------------------------------------
def test_serialize_uri_labels_greedy_and_query(mini):
    request = serialize(mini, "PutThing", {
        "Bucket": "my bucket", "Key": "a b/c+d~é?x", "Version": "v+1", "Dry": False, "Names": ["x", "y z"],
        "Since": datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
    })
    assert request["method"] == "PUT"
    # the bucket label is encoded whole (its '/' too), the greedy key keeps '/' and '~'
    assert request["url_path"] == "/my%20bucket/a%20b/c%2Bd~%C3%A9%3Fx?thing"
    assert request["query_string"] == {"versionId": "v+1", "dry-run": "false", "name": ["x", "y z"], "since": "1893553445"}
    assert request["body"] == b""


def test_serialize_headers_maps_timestamps_booleans(mini):
    request = serialize(mini, "PutThing", {
        "Bucket": "b", "Key": "k", "Meta": {"Color": "blue", "n": "1"},
        "Expires": datetime.datetime(2030, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
        "Stamp": datetime.datetime(2030, 1, 2, 5, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
        "Force": True,
    })
    headers = request["headers"]
    assert headers["x-mini-meta-Color"] == "blue" and headers["x-mini-meta-n"] == "1"
    assert headers["Expires"] == "Wed, 02 Jan 2030 03:04:05 GMT"  # rfc822, whole seconds
    assert headers["x-mini-stamp"] == "2030-01-02T03:04:05Z"  # iso8601, converted to UTC
    assert headers["x-mini-force"] == "True"  # header booleans as ibm-cos-sdk sends them


def test_serialize_xml_payload_namespace_lists_attributes(mini):
    request = serialize(mini, "PutThing", {"Bucket": "b", "Key": "k", "Config": {
        "Color": "red", "Enabled": False, "Labels": ["one", "t&o"],
        "Parts": [{"Number": 1, "Tag": "a"}, {"Number": 2}],
        "Since": datetime.datetime(2030, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),
        "Owner": {"Id": "o1", "Kind": "CanonicalUser"},
    }})
    body = request["body"].decode("utf-8")
    assert body == (
        '<ThingConfiguration xmlns="%s"><Color>red</Color><Enabled>false</Enabled>'
        "<Labels><Label>one</Label><Label>t&amp;o</Label></Labels>"
        "<Part><Number>1</Number><Tag>a</Tag></Part><Part><Number>2</Number></Part>"
        "<Since>2030-01-02T03:04:05.120000Z</Since>"
        '<Owner xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>o1</ID></Owner>'
        "</ThingConfiguration>" % NS
    )
    ElementTree.fromstring(body)  # well-formed


def test_serialize_empty_lists_and_structures(mini):
    request = serialize(mini, "PutThing", {"Bucket": "b", "Key": "k", "Config": {"Labels": [], "Parts": []}})
    assert request["body"] == ('<ThingConfiguration xmlns="%s"><Labels /></ThingConfiguration>' % NS).encode()
    empty = serialize(mini, "PutThing", {"Bucket": "b", "Key": "k", "Config": {}})
    assert empty["body"] == ('<ThingConfiguration xmlns="%s" />' % NS).encode()


def test_serializer_validates_unless_told_not_to(mini):
    with pytest.raises(ParamValidationError) as info:
        serialize(mini, "PutThing", {"Bucket": "b", "Key": 5, "Extra": 1})
    assert "Invalid type for parameter Key" in str(info.value) and 'Unknown parameter in input: "Extra"' in str(info.value)
    raw = serialize(mini, "PutThing", {"Bucket": "b", "Key": "k", "Extra": 1}, validate=False)
    assert raw["url_path"] == "/b/k?thing"


# --- serializer: the S3 model ----------------------------------------------------------------------
def test_serialize_s3_put_object(s3_model):
    body = io.BytesIO(b"data")
    request = serialize(s3_model, "PutObject", {
        "Bucket": "bkt", "Key": "dir/a b.txt", "Body": body, "Metadata": {"k": "v"}, "ContentType": "text/plain",
        "RetentionPeriod": 60, "RetentionExpirationDate": datetime.datetime(2030, 1, 2, tzinfo=UTC),
        "Expires": datetime.datetime(2030, 1, 2, tzinfo=UTC), "ACL": "private",
    })
    assert request["method"] == "PUT" and request["url_path"] == "/bkt/dir/a%20b.txt"
    assert request["body"] is body
    assert request["headers"] == {
        "x-amz-meta-k": "v", "Content-Type": "text/plain", "Retention-Period": "60",
        "Retention-Expiration-Date": "2030-01-02T00:00:00Z", "Expires": "Wed, 02 Jan 2030 00:00:00 GMT", "x-amz-acl": "private",
    }


def test_serialize_s3_list_objects_v2_query(s3_model):
    request = serialize(s3_model, "ListObjectsV2", {"Bucket": "bkt", "MaxKeys": 2, "FetchOwner": True, "Prefix": "a b"})
    assert request["url_path"] == "/bkt?list-type=2"
    assert request["query_string"] == {"max-keys": "2", "fetch-owner": "true", "prefix": "a b"}
    assert request["method"] == "GET" and request["body"] == b""


def test_serialize_s3_xml_bodies(s3_model):
    tagging = serialize(s3_model, "PutBucketTagging", {"Bucket": "b", "Tagging": {"TagSet": [{"Key": "a", "Value": "1"}]}})
    assert tagging["body"] == (b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key>'
                               b"<Value>1</Value></Tag></TagSet></Tagging>")
    delete = serialize(s3_model, "DeleteObjects", {"Bucket": "b", "Delete": {"Objects": [{"Key": "x"}, {"Key": "y", "VersionId": "v"}], "Quiet": True}})
    assert delete["body"] == (b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>x</Key></Object>'
                              b"<Object><Key>y</Key><VersionId>v</VersionId></Object><Quiet>true</Quiet></Delete>")
    assert delete["url_path"] == "/b?delete" and delete["method"] == "POST"
    protection = serialize(s3_model, "PutBucketProtectionConfiguration", {"Bucket": "b", "ProtectionConfiguration": {
        "Status": "Retention", "MinimumRetention": {"Days": 1}, "DefaultRetention": {"Days": 2}, "MaximumRetention": {"Days": 3}}})
    assert protection["body"].startswith(b"<ProtectionConfiguration><Status>Retention</Status>")  # no xmlns (COS)
    hold = serialize(s3_model, "AddLegalHold", {"Bucket": "b", "Key": "k/x", "RetentionLegalHoldId": "lh 1"})
    assert hold["method"] == "POST" and hold["url_path"] == "/b/k/x?legalHold&add=lh%201"
    lifecycle = serialize(s3_model, "PutBucketLifecycleConfiguration", {"Bucket": "b", "LifecycleConfiguration": {"Rules": [
        {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Date": datetime.datetime(2031, 1, 1, tzinfo=UTC)}}]}})
    assert b"<Rule><ID>r</ID><Status>Enabled</Status><Filter><Prefix /></Filter><Expiration><Date>2031-01-01T00:00:00Z</Date>" in lifecycle["body"]


# --- parser ------------------------------------------------------------------------------------------
def parse(model: ServiceModel, operation: str, status: int, headers: dict, body) -> dict:
    return create_parser("rest-xml").parse({"status_code": status, "headers": headers, "body": body},
                                           model.operation_model(operation).output_shape)


def test_parse_hand_written_model(mini):
    xml = (
        '<ListThingsResult xmlns="%s"><Name>n</Name><IsTruncated>true</IsTruncated><Count>2</Count>'
        "<Part><Number>1</Number><Tag>a</Tag></Part><Part><Number>2</Number></Part>"
        "<Labels><Label>x</Label><Label>y</Label></Labels>"
        '<Owner xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><ID>o</ID></Owner>'
        "<Since>2024-05-06T07:08:09.123Z</Since><Unmodeled>ignored</Unmodeled></ListThingsResult>" % NS
    ).encode()
    parsed = parse(mini, "ListThings", 200, {"x-amz-request-id": "rid", "x-amz-id-2": "hid"}, xml)
    assert parsed["Name"] == "n" and parsed["Truncated"] is True and parsed["Count"] == 2
    assert parsed["Parts"] == [{"Number": 1, "Tag": "a"}, {"Number": 2}]
    assert parsed["Labels"] == ["x", "y"]
    assert parsed["Owner"] == {"Id": "o", "Kind": "Group"}
    assert parsed["Since"] == datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    assert "Unmodeled" not in parsed
    assert parsed["ResponseMetadata"] == {"RequestId": "rid", "HostId": "hid", "HTTPStatusCode": 200,
                                          "HTTPHeaders": {"x-amz-request-id": "rid", "x-amz-id-2": "hid"}}


def test_parse_headers_and_streaming_payload(mini):
    stream = object()
    parsed = parse(mini, "GetThing", 200, {
        "Content-Length": "12", "Last-Modified": "Mon, 06 May 2024 07:08:09 GMT", "x-mini-deleted": "false",
        "X-Mini-Meta-Color": "blue", "x-mini-meta-n": "1",
    }, stream)
    assert parsed["Body"] is stream  # the streaming payload is handed through unread
    assert parsed["Length"] == 12
    assert parsed["Modified"] == datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert parsed["Deleted"] is False
    assert parsed["Meta"] == {"Color": "blue", "n": "1"}  # the server's spelling of the key is kept
    assert parsed["ResponseMetadata"]["HTTPHeaders"]["x-mini-meta-color"] == "blue"


def test_parse_s3_list_objects_v2(s3_model):
    xml = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
           b"<Name>bkt</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
           b"<NextContinuationToken>tok</NextContinuationToken>"
           b"<Contents><Key>p/a</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified><ETag>&quot;e1&quot;</ETag>"
           b"<Size>10</Size><StorageClass>STANDARD</StorageClass></Contents>"
           b"<Contents><Key>p/b</Key><LastModified>2024-01-02T03:04:06.000Z</LastModified><ETag>&quot;e2&quot;</ETag>"
           b"<Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>"
           b"<CommonPrefixes><Prefix>p/sub/</Prefix></CommonPrefixes></ListBucketResult>")
    parsed = parse(s3_model, "ListObjectsV2", 200, {}, xml)
    assert [c["Key"] for c in parsed["Contents"]] == ["p/a", "p/b"]
    assert parsed["Contents"][0]["ETag"] == '"e1"' and parsed["Contents"][1]["Size"] == 0
    assert parsed["CommonPrefixes"] == [{"Prefix": "p/sub/"}]
    assert parsed["IsTruncated"] is True and parsed["KeyCount"] == 2 and parsed["NextContinuationToken"] == "tok"
    assert parsed["ResponseMetadata"] == {"HTTPStatusCode": 200, "HTTPHeaders": {}}


def test_parse_s3_cos_outputs(s3_model):
    holds = parse(s3_model, "ListLegalHolds", 200, {}, (
        b"<RetentionState><CreateTime>2030-01-02T03:04:05.000Z</CreateTime><RetentionPeriod>60</RetentionPeriod>"
        b"<LegalHolds><LegalHold><ID>a</ID><Date>2030-01-02T03:04:05.000Z</Date></LegalHold></LegalHolds></RetentionState>"))
    assert holds["RetentionPeriod"] == 60
    assert holds["LegalHolds"] == [{"ID": "a", "Date": datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)}]
    protection = parse(s3_model, "GetBucketProtectionConfiguration", 200, {"x-ibm-protection-management-state": "active"},
                       b"<ProtectionConfiguration><Status>Retention</Status><MinimumRetention><Days>1</Days></MinimumRetention>"
                       b"<EnablePermanentRetention>true</EnablePermanentRetention></ProtectionConfiguration>")
    assert protection["ProtectionConfiguration"] == {"Status": "Retention", "MinimumRetention": {"Days": 1}, "EnablePermanentRetention": True}
    assert protection["IbmProtectionManagementState"] == "active"
    head = parse(s3_model, "HeadObject", 200, {"Retention-Period": "86400", "Retention-Legal-Hold-Count": "2",
                                               "Content-Length": "3", "x-amz-meta-a": "b"}, b"")
    assert head["RetentionPeriod"] == 86400 and head["RetentionLegalHoldCount"] == 2
    assert head["ContentLength"] == 3 and head["Metadata"] == {"a": "b"}


def test_parse_errors(s3_model):
    xml = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>gone</Message>'
           b"<Key>k</Key><RequestId>BODY</RequestId><HostId>BODYHOST</HostId></Error>")
    parsed = parse(s3_model, "GetObject", 404, {"x-amz-request-id": "HDR", "x-amz-id-2": "HDRHOST"}, xml)
    assert parsed["Error"] == {"Code": "NoSuchKey", "Message": "gone", "Key": "k"}
    assert parsed["ResponseMetadata"]["RequestId"] == "HDR" and parsed["ResponseMetadata"]["HostId"] == "HDRHOST"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 404
    empty = parse(s3_model, "HeadObject", 404, {}, b"")
    assert empty["Error"] == {"Code": "404", "Message": "Not Found"}
    not_xml = parse(s3_model, "ListBuckets", 503, {}, b"Service Unavailable")
    assert not_xml["Error"] == {"Code": "503", "Message": "Service Unavailable"}
    wrapped = parse(s3_model, "ListBuckets", 400, {}, b"<ErrorResponse><Error><Code>Bad</Code></Error><RequestId>r</RequestId></ErrorResponse>")
    assert wrapped["Error"] == {"Code": "Bad", "Message": ""}
    assert wrapped["ResponseMetadata"]["RequestId"] == "r"
