"""Fuzzing with hypothesis (derandomized: the same examples on every run, few per case).

* Generated parameters for every operation of the S3 model end in ParamValidationError
  (before anything is sent) or in the server's error -- never TypeError, KeyError,
  AttributeError or another raw exception.
* Malformed answers (garbage, truncated XML, wrong types, missing fields, huge headers)
  end in a parsed result, ClientError or ResponseParserError, in bounded time.
"""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_helpers import make_client
from scripted_server import ScriptedServer, respond, s3_error

from ibm_botocore.client import Config
from ibm_botocore.exceptions import ClientError, ParamValidationError
from ibm_botocore.parsers import ResponseParserError

FUZZ = settings(max_examples=6, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70), st.floats(allow_nan=True),
    st.text(max_size=20), st.binary(max_size=20), st.just("a\r\nX-Injected: 1"), st.just("\u00fc\x00"),
)
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                       max_leaves=6)


@pytest.fixture(scope="module")
def server():
    with ScriptedServer([s3_error(400, "InvalidRequest")]) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server):
    return make_client(server.endpoint, config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5))


def _operations():
    from ibm_botocore.session import Session

    model = Session().get_service_model("s3")
    return [(name, model.operation_model(name)) for name in model.operation_names]


OPERATIONS = _operations()


def _method(client, name):
    from ibm_botocore import xform_name

    return getattr(client, xform_name(name))


def _params(operation):
    shape = operation.input_shape
    members = sorted(shape.members) if shape is not None else []
    good = {"Bucket": st.just("fuzz-bucket"), "Key": st.text(min_size=1, max_size=10)}
    keys = st.sampled_from(members) if members else st.nothing()
    required = set(getattr(shape, "required_members", []) or []) if shape is not None else set()
    base = st.fixed_dictionaries({name: good.get(name, _values) for name in sorted(required)})
    extra = st.dictionaries(keys, _values, max_size=4) if members else st.just({})
    return st.tuples(base, extra).map(lambda pair: {**pair[0], **pair[1]})


@pytest.mark.parametrize("name, operation", OPERATIONS, ids=[name for name, _ in OPERATIONS])
def test_generated_parameters_reach_validation_or_the_server(client, name, operation):
    method = _method(client, name)

    @FUZZ
    @given(_params(operation))
    def run(params):
        try:
            result = method(**params)
        except (ParamValidationError, ClientError):
            return
        # a call the scripted server answered with its error cannot succeed
        raise AssertionError("%s(%r) returned %r" % (name, params, result))

    run()


_PARSED_OPERATIONS = [
    ("list_objects_v2", {"Bucket": "b"}),
    ("list_buckets", {}),
    ("get_bucket_acl", {"Bucket": "b"}),
    ("list_multipart_uploads", {"Bucket": "b"}),
    ("get_bucket_lifecycle_configuration", {"Bucket": "b"}),
    ("head_object", {"Bucket": "b", "Key": "k"}),
    ("get_object", {"Bucket": "b", "Key": "k"}),
    ("delete_objects", {"Bucket": "b", "Delete": {"Objects": [{"Key": "k"}]}}),
]
_GOOD = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><KeyCount>1</KeyCount>'
         b"<IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>3</Size>"
         b"<LastModified>2024-01-01T00:00:00.000Z</LastModified></Contents></ListBucketResult>")
_bodies = st.one_of(
    st.binary(max_size=300),
    st.integers(min_value=0, max_value=len(_GOOD)).map(lambda n: _GOOD[:n]),
    st.sampled_from([b"abc", b"-1", b"1e999", b"", b"true", b"\xff\xfe", b"2024-99-99", b"<x/>"]).map(
        lambda v: _GOOD.replace(b"<Size>3</Size>", b"<Size>" + v + b"</Size>").replace(b"false", v)),
    st.just(_GOOD.replace(b"<Key>k</Key>", b"")),
    st.just(b"<ListBucketResult>" + b"<Contents>" * 5000 + b"</ListBucketResult>"),
)
_headers = st.dictionaries(
    st.sampled_from(["Content-Length-Fake", "x-amz-delete-marker", "Last-Modified", "x-amz-mp-parts-count",
                     "x-amz-meta-m", "ETag", "Content-Type", "x-amz-missing-meta", "Expires"]),
    st.one_of(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
              st.just("9" * 40), st.just("x" * 60_000)),
    max_size=3,
)


@pytest.mark.parametrize("name, params", _PARSED_OPERATIONS, ids=[n for n, _ in _PARSED_OPERATIONS])
def test_malformed_answers_give_clear_errors(client, server, name, params):
    @FUZZ
    @given(st.sampled_from([200, 200, 404, 500]), _bodies, _headers)
    def run(status, body, headers):
        server.script[:] = [respond(status, body, headers)]
        started = time.monotonic()
        try:
            result = getattr(client, name)(**params)
            if name == "get_object":
                result["Body"].read()
        except (ClientError, ResponseParserError):
            pass
        finally:
            server.script[:] = [s3_error(400, "InvalidRequest")]
        assert time.monotonic() - started < 10

    run()
