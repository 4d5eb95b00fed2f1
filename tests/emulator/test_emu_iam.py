"""IAM token service: issue, refresh, errors, expiry, request records."""
import time

import pytest

import emu_http
from emu_http import Client, iam_token
from ibm_cos_emulator import fingerprint

APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"


def test_api_key_grant_issues_bearer_token(emu):
    before = int(time.time())
    resp = iam_token(emu.endpoint_url, {"grant_type": APIKEY_GRANT, "response_type": "cloud_iam",
                                        "apikey": emu.api_key})
    assert resp.status == 200
    assert resp.header("content-type") == "application/json"
    data = resp.json()
    assert data["token_type"] == "Bearer"
    assert data["scope"] == "ibm openid"
    assert data["expires_in"] == 3600
    assert before + 3600 <= data["expiration"] <= int(time.time()) + 3600
    assert data["access_token"].count(".") == 2  # JWT-shaped
    assert data["refresh_token"] and data["refresh_token"] != data["access_token"]


def test_token_authenticates_s3_requests(emu):
    token = emu_http.get_token(emu.endpoint_url, emu.api_key)
    client = Client(emu.endpoint_url, "bearer", token=token)
    resp = client.request("GET", "/", headers={"ibm-service-instance-id": emu.instance_id})
    assert resp.status == 200
    assert resp.xml().tag == "ListAllMyBucketsResult"


def test_refresh_token_grant(emu):
    first = iam_token(emu.endpoint_url, {"grant_type": APIKEY_GRANT, "apikey": emu.api_key}).json()
    resp = iam_token(emu.endpoint_url, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert resp.status == 200
    second = resp.json()
    assert second["access_token"] != first["access_token"]
    client = Client(emu.endpoint_url, "bearer", token=second["access_token"])
    assert client.request("GET", "/", headers={"ibm-service-instance-id": emu.instance_id}).status == 200


def test_unknown_api_key_is_iam_400(emu):
    resp = iam_token(emu.endpoint_url, {"grant_type": APIKEY_GRANT, "apikey": "not-a-key"})
    assert resp.status == 400
    data = resp.json()
    assert data["errorCode"] == "BXNIM0415E"
    assert data["errorMessage"] == "Provided API key could not be found."
    assert data["context"]["requestId"]


def test_bad_refresh_token_is_400(emu):
    resp = iam_token(emu.endpoint_url, {"grant_type": "refresh_token", "refresh_token": "bogus"})
    assert resp.status == 400
    assert "supplied token failed to validate" in resp.json()["errorMessage"].lower()


@pytest.mark.parametrize("form, needle", [
    ({}, "grant_type"),
    ({"grant_type": APIKEY_GRANT}, "apikey"),
    ({"grant_type": "password", "username": "x"}, "grant_type"),
    ({"grant_type": "refresh_token"}, "refresh_token"),
])
def test_missing_or_invalid_grant_is_400(emu, form, needle):
    resp = iam_token(emu.endpoint_url, form)
    assert resp.status == 400
    data = resp.json()
    assert data["errorCode"].startswith("BXNIM")
    assert needle in data["errorMessage"]


def test_token_endpoint_wants_form_post(emu):
    client = Client(emu.endpoint_url, "none")
    resp = emu_http.send("POST", "/identity/token", {"Host": client.host, "Content-Type": "application/json"},
                         b'{"apikey": "x"}', client)
    assert resp.status == 400
    resp = emu_http.send("GET", "/identity/token", {"Host": client.host}, b"", client)
    assert resp.status == 405


def test_iam_requests_are_recorded_without_secrets(emu):
    emu.iam_requests.clear()
    good = iam_token(emu.endpoint_url, {"grant_type": APIKEY_GRANT, "apikey": emu.api_key}).json()
    iam_token(emu.endpoint_url, {"grant_type": APIKEY_GRANT, "apikey": "wrong-key"})
    iam_token(emu.endpoint_url, {"grant_type": "refresh_token", "refresh_token": good["refresh_token"]})
    records = list(emu.iam_requests)
    assert [r["status"] for r in records] == [200, 400, 200]
    assert records[0]["apikey"] == fingerprint(emu.api_key)
    assert records[1]["error_code"] == "BXNIM0415E"
    assert records[2]["grant_type"] == "refresh_token"
    assert records[2]["refresh_token"] == fingerprint(good["refresh_token"])
    assert records[0]["basic_auth_user"] == "bx"
    text = repr(records)
    assert emu.api_key not in text and "wrong-key" not in text and good["refresh_token"] not in text


def test_expired_token_gets_403_that_says_expired(emu):
    token = emu_http.get_token(emu.endpoint_url, emu.api_key)
    client = Client(emu.endpoint_url, "bearer", token=token)
    hdrs = {"ibm-service-instance-id": emu.instance_id}
    assert client.request("GET", "/", headers=hdrs).status == 200
    assert emu.expire_tokens() >= 1
    resp = client.request("GET", "/", headers=hdrs)
    assert resp.status == 403
    assert resp.code == "AccessDenied"
    assert "expired" in resp.message
    assert resp.xml().findtext("httpStatusCode") == "403"
    # a new token works again
    client.token = emu_http.get_token(emu.endpoint_url, emu.api_key)
    assert client.request("GET", "/", headers=hdrs).status == 200


def test_token_expires_after_ttl_on_emulator_clock(emu):
    token = emu_http.get_token(emu.endpoint_url, emu.api_key)
    client = Client(emu.endpoint_url, "bearer", token=token)
    hdrs = {"ibm-service-instance-id": emu.instance_id}
    emu.advance_time(3599)
    assert client.request("GET", "/", headers=hdrs).status == 200
    emu.advance_time(2)
    resp = client.request("GET", "/", headers=hdrs)
    assert resp.status == 403 and "expired" in resp.message


def test_unknown_or_forged_token_is_access_denied(emu):
    token = emu_http.get_token(emu.endpoint_url, emu.api_key)
    header, payload, sig = token.split(".")
    for bad in ("nonsense", f"{header}.{payload}.{sig[:-2]}xx", "a.b.c"):
        resp = Client(emu.endpoint_url, "bearer", token=bad).request("GET", "/", headers={
            "ibm-service-instance-id": emu.instance_id})
        assert resp.status == 403
        assert resp.code == "AccessDenied"
        assert resp.message == "Access Denied"


def test_missing_auth_is_access_denied(emu):
    resp = Client(emu.endpoint_url, "none").request("GET", "/")
    assert resp.status == 403
    assert resp.code == "AccessDenied"
    root = resp.xml()
    assert root.findtext("Resource") == "/"
    assert root.findtext("RequestId") == resp.header("x-amz-request-id")


def test_custom_ttl():
    from ibm_cos_emulator import Emulator

    with Emulator(token_ttl=120, api_keys={"my-key": "crn:v1:bluemix:public:cloud-object-storage:global:a/1:2::"}) as e:
        data = iam_token(e.endpoint_url, {"grant_type": APIKEY_GRANT, "apikey": "my-key"}).json()
        assert data["expires_in"] == 120
        assert e.api_key == "my-key"
        assert e.instance_id == "crn:v1:bluemix:public:cloud-object-storage:global:a/1:2::"


# -- bounded state ------------------------------------------------------------------------------------------

def test_request_history_is_capped(monkeypatch):
    from ibm_cos_emulator import Emulator, iam

    monkeypatch.setattr(iam, "MAX_REQUEST_HISTORY", 5)
    with Emulator() as e:
        for _ in range(12):
            emu_http.iam_token(e.endpoint_url, {"grant_type": "urn:ibm:params:oauth:grant-type:apikey",
                                                "apikey": "unknown-" + "x" * 5000})
        assert len(e.iam_requests) == 5
        assert e.iam_requests[-1]["error_code"] == "BXNIM0415E"


def test_expired_and_excess_tokens_are_pruned(monkeypatch):
    from ibm_cos_emulator import Emulator, iam

    monkeypatch.setattr(iam, "MAX_TOKENS", 3)
    with Emulator(token_ttl=60) as e:
        old = [emu_http.get_token(e.endpoint_url, e.api_key) for _ in range(3)]
        assert e.iam.token_counts() == (3, 3)
        e.advance_time(iam.EXPIRED_GRACE + 120)
        new = emu_http.get_token(e.endpoint_url, e.api_key)
        assert e.iam.token_counts() == (1, 3)  # expired access tokens gone; refresh tokens live 30 days
        assert e.iam.check(old[0]).status == "invalid" and e.iam.check(new).status == "valid"
        for _ in range(5):
            emu_http.get_token(e.endpoint_url, e.api_key)
        assert e.iam.token_counts() == (3, 3)  # never more than MAX_TOKENS
