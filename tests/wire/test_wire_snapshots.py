"""Our SDK's wire against the recorded wire of ibm-cos-sdk 2.16.2, without needing that SDK.

``expected_requests.json`` was written by ``compare_with_ibm_cos_sdk.py --update-snapshot``
from the real ibm-cos-sdk running the case table of ``wire_cases.py``.  Here only our side
runs (in this process, through the same ``capture.py`` runner: before-send hook, canned
responses, frozen clock) and every case x client variant is compared with the record:
method, URL path, query, headers (but date/user-agent/invocation id), Authorization (the
clock is frozen, so signatures are comparable), body bytes, and the parsed result or error.
Deliberate differences are in ``wire_cases.ALLOWED_DIFFERENCES``, each with its reason.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict, List

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import capture  # noqa: E402
import wire_cases  # noqa: E402

SNAPSHOT_PATH = os.path.join(HERE, "expected_requests.json")


@pytest.fixture(scope="module")
def snapshot() -> Dict[str, Any]:
    with open(SNAPSHOT_PATH, encoding="utf-8") as handle:
        raw = json.load(handle)
    expanded = capture.expand_snapshot(raw)
    expanded["volatile_headers"] = raw["volatile_headers"]
    expanded["sdk"] = raw["sdk"]
    return expanded


@pytest.fixture(scope="module")
def ours() -> Dict[str, Any]:
    return capture.run_cases("ours")


def _case_ids() -> List[str]:
    return [case.id for case in wire_cases.CASES]


def test_snapshot_comes_from_ibm_cos_sdk(snapshot):
    assert snapshot["sdk"].startswith("ibm-cos-sdk 2.16.2"), snapshot["sdk"]
    assert sorted(snapshot["volatile_headers"]) == sorted(wire_cases.VOLATILE_HEADERS)


def test_snapshot_covers_the_case_table(snapshot):
    recorded = set(snapshot["results"])
    table = set(_case_ids())
    assert table - recorded == set(), "cases without a recording: regenerate with compare_with_ibm_cos_sdk.py --update-snapshot"
    assert recorded - table == set(), "recordings of cases that no longer exist: regenerate the snapshot"


@pytest.mark.parametrize("case_id", _case_ids())
def test_wire_matches_ibm_cos_sdk(case_id, snapshot, ours):
    expected_by_variant = snapshot["results"].get(case_id)
    if expected_by_variant is None:
        pytest.fail("no recording for %s: regenerate the snapshot" % case_id)
    failures = []
    pending = []
    for variant, expected in sorted(expected_by_variant.items()):
        actual = ours["results"].get(case_id, {}).get(variant)
        assert actual is not None, "%s was not run on variant %s" % (case_id, variant)
        status, items = capture.classify(case_id, variant, expected, actual)
        if status in ("DIFF", "OURS-ONLY-FAIL"):
            failures.append("%s [%s]:\n%s" % (case_id, variant, "\n".join("  %s: %s" % (f, t) for f, t, r in items if not r)))
        elif status == "PENDING":
            pending.append("%s [%s]: %s" % (case_id, variant, "; ".join(r for _, _, r in items if r and r.startswith("PENDING"))))
    assert not failures, "\n".join(failures)
    if pending:
        pytest.xfail("\n".join(pending))


def test_iam_token_request_matches(snapshot, ours):
    assert snapshot["iam_requests"], "the snapshot recorded no IAM token request"
    assert ours["iam_requests"] == snapshot["iam_requests"]
    form = dict(snapshot["iam_requests"]["oauth-apikey"][0]["form"])
    assert form == {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "response_type": "cloud_iam", "apikey": wire_cases.API_KEY}


@pytest.mark.parametrize("variant", ["oauth-fn", "oauth-apikey"])
def test_bearer_token_and_instance_id_exactly_where_ibm_sends_them(variant, snapshot, ours):
    sent_instance_id = set()
    checked = 0
    for case_id, by_variant in ours["results"].items():
        record = by_variant.get(variant)
        if not record or record.get("unsupported"):
            continue
        for request in record["requests"]:
            checked += 1
            assert request["auth"] == {"authorization": "Bearer %s" % wire_cases.TOKEN}, (case_id, request["auth"])
            # a bearer token signs nothing: no payload hash header either
            assert "x-amz-content-sha256" not in request["headers"], case_id
            if "ibm-service-instance-id" in request["headers"]:
                sent_instance_id.add((wire_cases.case_index()[case_id].operation, request["headers"]["ibm-service-instance-id"]))
    assert checked > 100
    # auto-filled on CreateBucket and ListBuckets only (not ListBucketsExtended), explicit values win
    operations = {operation for operation, _ in sent_instance_id}
    assert operations == {"CreateBucket", "ListBuckets", "ListBucketsExtended"}
    assert ("CreateBucket", wire_cases.SERVICE_INSTANCE_ID) in sent_instance_id
    assert ("ListBuckets", wire_cases.SERVICE_INSTANCE_ID) in sent_instance_id
    assert ("ListBucketsExtended", wire_cases.SERVICE_INSTANCE_ID) not in sent_instance_id
    assert ("ListBuckets", "explicit-instance") in sent_instance_id


def test_no_request_sent_for_bad_input(ours):
    for case in wire_cases.CASES:
        if not case.id.startswith("bad/"):
            continue
        record = ours["results"][case.id][wire_cases.MAIN_VARIANT]
        assert record["requests"] == [], case.id
        assert record["outcome"]["error"]["class"] == "ParamValidationError", case.id


def test_every_input_member_of_every_operation_is_sampled():
    """The case table must exercise every operation and every top-level input member."""
    used: Dict[str, set] = {}
    context = capture.ParamContext(os.path.join(HERE))
    try:
        for case in wire_cases.CASES:
            params = case.params(context)
            used.setdefault(case.operation, set()).update(params)
    finally:
        context.close()
    missing = {}
    for operation in wire_cases.operation_names():
        shape = wire_cases.input_shape(operation)
        members = set(shape["members"]) if shape else set()
        absent = members - used.get(operation, set())
        if absent:
            missing[operation] = sorted(absent)
    assert missing == {}


def test_frozen_clock_makes_signatures_comparable(ours):
    record = ours["results"]["GetObject/required"]["sigv4-https"]
    authorization = record["requests"][0]["auth"]["authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=%s/20300102/us-east-1/s3/aws4_request, SignedHeaders=" % wire_cases.ACCESS_KEY)
    assert "clock" not in record["requests"][0]["auth"]
