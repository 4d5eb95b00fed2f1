"""Fault injection, and faults the emulator must survive."""
import http.client
import time

import pytest

import emu_http
from emu_http import iam_token, obj_path

APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"


def test_error_rule_fires_n_times(emu, hmac_client, bucket):
    hmac_client.request("PUT", obj_path(bucket, "k"), body=b"x")
    rule = emu.faults.error(503, "SlowDown", "Please reduce your request rate.", method="GET",
                            path=rf"^/{bucket}/k$", times=2)
    for _ in range(2):
        resp = hmac_client.request("GET", obj_path(bucket, "k"))
        assert resp.status == 503 and resp.code == "SlowDown"
        assert resp.message == "Please reduce your request rate."
    assert hmac_client.request("GET", obj_path(bucket, "k")).status == 200
    assert rule.hits == 2 and rule.remaining == 0


def test_rule_matching_by_method_path_and_query(emu, hmac_client, bucket):
    emu.faults.error(500, method="PUT", path=r"/parts$", query="partNumber=2", times=None)
    up = hmac_client.request("POST", obj_path(bucket, "parts"), [("uploads", "")]).xml().findtext("UploadId")
    one = hmac_client.request("PUT", obj_path(bucket, "parts"), [("partNumber", "1"), ("uploadId", up)], body=b"a")
    two = hmac_client.request("PUT", obj_path(bucket, "parts"), [("partNumber", "2"), ("uploadId", up)], body=b"b")
    assert one.status == 200 and two.status == 500 and two.code == "InternalError"
    assert hmac_client.request("GET", obj_path(bucket, "parts"), [("uploadId", up)]).status == 200
    emu.faults.clear()
    assert hmac_client.request("PUT", obj_path(bucket, "parts"), [("partNumber", "2"), ("uploadId", up)],
                               body=b"b").status == 200


def test_drop_connection_without_response(emu, hmac_client, bucket):
    emu.faults.drop(method="GET", path=rf"^/{bucket}$")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        hmac_client.request("GET", "/" + bucket)
    assert hmac_client.request("GET", "/" + bucket).status == 200


def test_drop_after_processing(emu, hmac_client, bucket):
    emu.faults.drop(method="PUT", path="/processed$", process=True)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        hmac_client.request("PUT", obj_path(bucket, "processed"), body=b"stored anyway")
    assert hmac_client.request("GET", obj_path(bucket, "processed")).body == b"stored anyway"


def test_truncated_body(emu, hmac_client, bucket):
    hmac_client.request("PUT", obj_path(bucket, "big"), body=b"z" * 10000)
    emu.faults.truncate(after_bytes=1000, method="GET", path="/big$")
    with pytest.raises(http.client.IncompleteRead) as info:
        hmac_client.request("GET", obj_path(bucket, "big"))
    assert len(info.value.partial) == 1000
    assert hmac_client.request("GET", obj_path(bucket, "big")).body == b"z" * 10000


def test_corrupted_body(emu, hmac_client, bucket):
    data = bytes(range(256)) * 4
    hmac_client.request("PUT", obj_path(bucket, "c"), body=data)
    emu.faults.corrupt(path="/c$", offset=10)
    resp = hmac_client.request("GET", obj_path(bucket, "c"))
    assert resp.status == 200 and len(resp.body) == len(data)
    diff = [i for i in range(len(data)) if resp.body[i] != data[i]]
    assert diff == [10]
    assert resp.header("etag")  # headers untouched, so clients can detect the damage
    assert hmac_client.request("GET", obj_path(bucket, "c")).body == data


def test_delay(emu, hmac_client, bucket):
    emu.faults.delay(0.3, method="HEAD")
    started = time.monotonic()
    assert hmac_client.request("HEAD", "/" + bucket).status == 200
    assert time.monotonic() - started >= 0.3


def test_iam_500_n_times_and_request_counting(emu):
    emu.iam_requests.clear()
    emu.faults.iam_error(500, times=2)
    form = {"grant_type": APIKEY_GRANT, "apikey": emu.api_key}
    statuses = [iam_token(emu.endpoint_url, form).status for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert [r["status"] for r in emu.iam_requests] == [500, 500, 200]
    assert all(r["apikey"] == emu_http.fingerprint_of(emu.api_key) for r in emu.iam_requests)


def test_iam_error_body_is_iam_json(emu):
    emu.faults.iam_error(503, code="BXNIM0999E", message="maintenance")
    resp = iam_token(emu.endpoint_url, {"grant_type": APIKEY_GRANT, "apikey": emu.api_key})
    assert resp.status == 503
    assert resp.json()["errorCode"] == "BXNIM0999E"


def test_emulator_survives_bad_input(emu, hmac_client, bucket):
    client = emu_http.Client(emu.endpoint_url, "none")
    # garbage authorization, bad XML, bad chunked body, absurd content length
    assert emu_http.send("GET", "/", {"Host": client.host, "Authorization": "AWS4-HMAC-SHA256 garbage"},
                         b"", client).status in (400, 403)
    assert hmac_client.request("POST", "/" + bucket, [("delete", "")], body=b"<Delete><").code == "MalformedXML"
    bad_chunks = b"zz\r\nnot hex\r\n"
    resp = hmac_client.request("PUT", obj_path(bucket, "x"), body=bad_chunks, headers={
        "Content-Encoding": "aws-chunked"}, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert resp.status == 400
    conn = http.client.HTTPConnection(client.hostname, client.port, timeout=10)
    conn.putrequest("PUT", "/x", skip_host=True)
    conn.putheader("Host", client.host)
    conn.putheader("Content-Length", "nope")
    conn.endheaders()
    assert conn.getresponse().status == 400
    conn.close()
    assert hmac_client.request("HEAD", "/" + bucket).status == 200


def test_interrupted_upload(emu, hmac_client, bucket):
    emu.faults.drop_upload(after_bytes=1024, method="PUT", path="/interrupted$")
    with pytest.raises(ConnectionError):
        hmac_client.request("PUT", obj_path(bucket, "interrupted"), body=b"u" * 200_000)
    assert hmac_client.request("HEAD", obj_path(bucket, "interrupted")).status == 404
    assert hmac_client.request("PUT", obj_path(bucket, "interrupted"), body=b"u" * 200_000).status == 200
