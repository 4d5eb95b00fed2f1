"""Immutable Object Storage: protection configuration, retention, legal holds, extension, enforcement."""
import datetime as dt

import pytest

import emu_http
from emu_http import obj_path, protection_xml

DAY = 86400


def put_protection(client, bucket, body):
    return client.request("PUT", "/" + bucket, [("protection", "")], body=body)


# -- protection configuration ------------------------------------------------------------------------------

def test_protection_put_get(hmac_client, bucket):
    empty = hmac_client.request("GET", "/" + bucket, [("protection", "")])
    assert empty.status == 200
    assert empty.xml().tag == "ProtectionConfiguration" and empty.xml().find("Status") is None
    assert put_protection(hmac_client, bucket, protection_xml(10, 100, 1000)).status == 200
    root = hmac_client.request("GET", "/" + bucket, [("protection", "")]).xml()
    assert root.findtext("Status") == "Retention"
    assert root.findtext("MinimumRetention/Days") == "10"
    assert root.findtext("DefaultRetention/Days") == "100"
    assert root.findtext("MaximumRetention/Days") == "1000"


def test_protection_accepts_namespace_and_permanent_flag(hmac_client, bucket):
    body = protection_xml(0, 0, 365243, permanent=True).replace(
        b"<ProtectionConfiguration>", b'<ProtectionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">')
    assert put_protection(hmac_client, bucket, body).status == 200
    root = hmac_client.request("GET", "/" + bucket, [("protection", "")]).xml()
    assert root.findtext("EnablePermanentRetention") == "true"
    assert root.findtext("MaximumRetention/Days") == "365243"


@pytest.mark.parametrize("days, code", [
    ((10, 5, 100), "InvalidArgument"),       # default < minimum
    ((10, 200, 100), "InvalidArgument"),     # default > maximum
    ((0, 0, 365244), "InvalidArgument"),     # above 1000 years
    ((-1, 0, 10), "InvalidArgument"),        # negative
])
def test_protection_rules(hmac_client, bucket, days, code):
    resp = put_protection(hmac_client, bucket, protection_xml(*days))
    assert resp.status == 400
    assert resp.code == code


@pytest.mark.parametrize("body", [
    b"<ProtectionConfiguration><Status>Retention</Status></ProtectionConfiguration>",
    b"<ProtectionConfiguration><Status>Retention</Status><MinimumRetention><Days>x</Days></MinimumRetention>"
    b"<DefaultRetention><Days>1</Days></DefaultRetention><MaximumRetention><Days>2</Days></MaximumRetention>"
    b"</ProtectionConfiguration>",
    b"<not-xml",
    b"<Other/>",
])
def test_protection_malformed(hmac_client, bucket, body):
    resp = put_protection(hmac_client, bucket, body)
    assert resp.status == 400 and resp.code == "MalformedXML"


def test_protection_status_must_be_retention(hmac_client, bucket):
    resp = put_protection(hmac_client, bucket, protection_xml(1, 1, 1).replace(b"Retention<", b"Off<", 1))
    assert resp.status == 400 and resp.code == "InvalidArgument"


# -- retention on write -----------------------------------------------------------------------------------

def head(client, bucket, key):
    return client.request("HEAD", obj_path(bucket, key))


def test_default_retention_is_applied(hmac_client, protected_bucket):
    assert hmac_client.request("PUT", obj_path(protected_bucket, "a"), body=b"x").status == 200
    h = head(hmac_client, protected_bucket, "a")
    assert h.header("retention-period") == str(2 * DAY)
    expires = dt.datetime.fromisoformat(h.header("retention-expiration-date").replace("Z", "+00:00"))
    delta = expires - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(days=2) - dt.timedelta(minutes=1) < delta <= dt.timedelta(days=2)
    assert h.header("retention-legal-hold-count") is None
    g = hmac_client.request("GET", obj_path(protected_bucket, "a"))
    assert g.header("retention-period") == str(2 * DAY)


def test_explicit_period_and_date(hmac_client, protected_bucket):
    resp = hmac_client.request("PUT", obj_path(protected_bucket, "p"), body=b"x",
                               headers={"Retention-Period": str(5 * DAY)})
    assert resp.status == 200
    assert head(hmac_client, protected_bucket, "p").header("retention-period") == str(5 * DAY)
    when = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    resp = hmac_client.request("PUT", obj_path(protected_bucket, "d"), body=b"x",
                               headers={"Retention-Expiration-Date": when})
    assert resp.status == 200
    period = int(head(hmac_client, protected_bucket, "d").header("retention-period"))
    assert 3 * DAY - 60 <= period <= 3 * DAY


def test_retention_header_errors(hmac_client, protected_bucket):
    both = {"Retention-Period": str(2 * DAY), "Retention-Expiration-Date": "2099-01-01T00:00:00Z"}
    resp = hmac_client.request("PUT", obj_path(protected_bucket, "e1"), body=b"x", headers=both)
    assert resp.status == 400 and resp.code == "InvalidArgument"
    for period in (str(DAY - 1), str(10 * DAY + 1), "-1", "soon"):
        resp = hmac_client.request("PUT", obj_path(protected_bucket, "e2"), body=b"x",
                                   headers={"Retention-Period": period})
        assert resp.status == 400, period
    assert head(hmac_client, protected_bucket, "e2").status == 404


def test_retention_headers_need_a_protected_bucket(hmac_client):
    plain = emu_http.unique("plain")
    hmac_client.request("PUT", "/" + plain)
    resp = hmac_client.request("PUT", obj_path(plain, "k"), body=b"x", headers={"Retention-Period": "10"})
    assert resp.status == 400 and resp.code == "InvalidRequest"


def test_delete_and_overwrite_are_refused_while_retained(emu, hmac_client, protected_bucket):
    b = protected_bucket
    hmac_client.request("PUT", obj_path(b, "locked"), body=b"v1")
    resp = hmac_client.request("DELETE", obj_path(b, "locked"))
    assert resp.status == 403 and resp.code == "AccessDenied" and "retention" in resp.message
    resp = hmac_client.request("PUT", obj_path(b, "locked"), body=b"v2")
    assert resp.status == 403
    resp = hmac_client.request("PUT", obj_path(b, "locked"), headers={"x-amz-copy-source": f"/{b}/locked"})
    assert resp.status == 403
    up = hmac_client.request("POST", obj_path(b, "locked"), [("uploads", "")]).xml().findtext("UploadId")
    etag = hmac_client.request("PUT", obj_path(b, "locked"), [("partNumber", "1"), ("uploadId", up)],
                               body=b"part").header("etag")
    done = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>"
            f"</CompleteMultipartUpload>").encode()
    resp = hmac_client.request("POST", obj_path(b, "locked"), [("uploadId", up)], body=done)
    assert resp.status == 403
    assert hmac_client.request("GET", obj_path(b, "locked")).body == b"v1"
    # once the retention has run out, the object can be deleted
    emu.advance_time(2 * DAY + 1)
    assert hmac_client.request("DELETE", obj_path(b, "locked")).status == 204
    assert head(hmac_client, b, "locked").status == 404


def test_overwrite_after_expiry_retains_again(emu, hmac_client, protected_bucket):
    b = protected_bucket
    hmac_client.request("PUT", obj_path(b, "again"), body=b"v1")
    emu.advance_time(2 * DAY + 1)
    assert hmac_client.request("PUT", obj_path(b, "again"), body=b"v2").status == 200
    assert hmac_client.request("DELETE", obj_path(b, "again")).status == 403


def test_delete_objects_reports_protected_keys(hmac_client, protected_bucket):
    b = protected_bucket
    hmac_client.request("PUT", obj_path(b, "kept"), body=b"x")
    body = b"<Delete><Object><Key>kept</Key></Object><Object><Key>missing</Key></Object></Delete>"
    root = hmac_client.request("POST", "/" + b, [("delete", "")], body=body).xml()
    assert [e.findtext("Key") for e in root.findall("Deleted")] == ["missing"]
    errors = root.findall("Error")
    assert [(e.findtext("Key"), e.findtext("Code")) for e in errors] == [("kept", "AccessDenied")]
    assert head(hmac_client, b, "kept").status == 200


def test_bucket_with_protected_objects_cannot_be_deleted(hmac_client, protected_bucket):
    hmac_client.request("PUT", obj_path(protected_bucket, "x"), body=b"x")
    resp = hmac_client.request("DELETE", "/" + protected_bucket)
    assert resp.status == 409 and resp.code == "BucketNotEmpty"


def test_copy_with_retention_directive(hmac_client, protected_bucket):
    b = protected_bucket
    hmac_client.request("PUT", obj_path(b, "src"), body=b"src", headers={"Retention-Period": str(7 * DAY),
                                                                        "Retention-Legal-Hold-ID": "case1"})
    resp = hmac_client.request("PUT", obj_path(b, "copied"), headers={"x-amz-copy-source": f"/{b}/src",
                                                                      "Retention-Directive": "Copy"})
    assert resp.status == 200, resp.body
    h = head(hmac_client, b, "copied")
    assert h.header("retention-period") == str(7 * DAY)
    assert h.header("retention-legal-hold-count") == "1"
    resp = hmac_client.request("PUT", obj_path(b, "replaced"), headers={
        "x-amz-copy-source": f"/{b}/src", "Retention-Directive": "REPLACE", "Retention-Period": str(3 * DAY)})
    assert resp.status == 200
    h = head(hmac_client, b, "replaced")
    assert h.header("retention-period") == str(3 * DAY) and h.header("retention-legal-hold-count") is None


def test_complete_multipart_with_retention(hmac_client, protected_bucket):
    b = protected_bucket
    up = hmac_client.request("POST", obj_path(b, "mpu"), [("uploads", "")]).xml().findtext("UploadId")
    etag = hmac_client.request("PUT", obj_path(b, "mpu"), [("partNumber", "1"), ("uploadId", up)],
                               body=b"only part").header("etag")
    done = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>"
            f"</CompleteMultipartUpload>").encode()
    resp = hmac_client.request("POST", obj_path(b, "mpu"), [("uploadId", up)], body=done,
                               headers={"Retention-Period": str(4 * DAY)})
    assert resp.status == 200, resp.body
    assert head(hmac_client, b, "mpu").header("retention-period") == str(4 * DAY)


# -- legal holds ---------------------------------------------------------------------------------------------

def holds(client, bucket, key):
    resp = client.request("GET", obj_path(bucket, key), [("legalHold", "")])
    return resp, [el.findtext("ID") for el in resp.xml().iter("LegalHold")] if resp.status == 200 else None


def hold(client, bucket, key, action, hold_id):
    return client.request("POST", obj_path(bucket, key), [("legalHold", ""), (action, hold_id)])


def test_legal_hold_lifecycle(emu, hmac_client, protected_bucket):
    b = protected_bucket
    hmac_client.request("PUT", obj_path(b, "lh"), body=b"x", headers={"Retention-Legal-Hold-ID": "first"})
    assert hold(hmac_client, b, "lh", "add", "second.(2)*!_-").status == 200
    resp, ids = holds(hmac_client, b, "lh")
    assert ids == ["first", "second.(2)*!_-"]
    root = resp.xml()
    assert root.findtext("RetentionPeriod") == str(2 * DAY)
    assert root.findtext("CreateTime") and root.findtext("RetentionPeriodExpirationDate")
    assert all(el.findtext("Date") for el in root.iter("LegalHold"))
    assert head(hmac_client, b, "lh").header("retention-legal-hold-count") == "2"
    # a held object stays undeletable after the retention period
    emu.advance_time(3 * DAY)
    assert hmac_client.request("DELETE", obj_path(b, "lh")).status == 403
    assert hold(hmac_client, b, "lh", "remove", "first").status == 200
    assert hold(hmac_client, b, "lh", "remove", "second.(2)*!_-").status == 200
    assert holds(hmac_client, b, "lh")[1] == []
    assert hold(hmac_client, b, "lh", "remove", "first").status == 404
    assert hmac_client.request("DELETE", obj_path(b, "lh")).status == 204


def test_legal_hold_id_rules(hmac_client, protected_bucket):
    b = protected_bucket
    hmac_client.request("PUT", obj_path(b, "ids"), body=b"x")
    for bad in ("x" * 65, "has space", "slash/", "quote'", ""):
        resp = hold(hmac_client, b, "ids", "add", bad)
        assert resp.status == 400, bad
    assert hold(hmac_client, b, "ids", "add", "x" * 64).status == 200
    dup = hold(hmac_client, b, "ids", "add", "x" * 64)
    assert dup.status == 409
    resp = hmac_client.request("PUT", obj_path(b, "ids2"), body=b"x", headers={"Retention-Legal-Hold-ID": "bad id"})
    assert resp.status == 400


def test_at_most_100_legal_holds(hmac_client, protected_bucket):
    b = protected_bucket
    hmac_client.request("PUT", obj_path(b, "many"), body=b"x")
    conn = hmac_client.connection()  # one keep-alive connection for all 100 requests
    try:
        for i in range(100):
            resp = hmac_client.request("POST", obj_path(b, "many"), [("legalHold", ""), ("add", f"h{i}")], conn=conn)
            assert resp.status == 200
    finally:
        conn.close()
    resp = hold(hmac_client, b, "many", "add", "one-too-many")
    assert resp.status == 400
    assert len(holds(hmac_client, b, "many")[1]) == 100


def test_legal_holds_need_retention_metadata(hmac_client, protected_bucket):
    bucket = emu_http.unique("plain")
    hmac_client.request("PUT", "/" + bucket)
    hmac_client.request("PUT", obj_path(bucket, "plain"), body=b"x")
    assert hold(hmac_client, bucket, "plain", "add", "h").status == 400
    assert hold(hmac_client, bucket, "plain", "remove", "h").status == 400
    assert holds(hmac_client, bucket, "plain")[0].status == 404
    assert hold(hmac_client, protected_bucket, "nope", "add", "h").code == "NoSuchKey"


# -- extend retention -------------------------------------------------------------------------------------------

def extend(client, bucket, key, **headers):
    return client.request("POST", obj_path(bucket, key), [("extendRetention", "")],
                          headers={k.replace("_", "-"): str(v) for k, v in headers.items()})


def period(client, bucket, key):
    return int(head(client, bucket, key).header("retention-period"))


def test_extend_retention_variants(hmac_client, protected_bucket):
    b = protected_bucket
    hmac_client.request("PUT", obj_path(b, "ext"), body=b"x")
    assert extend(hmac_client, b, "ext", Additional_Retention_Period=3600).status == 200
    assert period(hmac_client, b, "ext") == 2 * DAY + 3600
    assert extend(hmac_client, b, "ext", New_Retention_Period=3 * DAY).status == 200
    assert period(hmac_client, b, "ext") == 3 * DAY
    assert extend(hmac_client, b, "ext", Extend_Retention_From_Current_Time=4 * DAY).status == 200
    assert 4 * DAY <= period(hmac_client, b, "ext") <= 4 * DAY + 60
    target = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert extend(hmac_client, b, "ext", New_Retention_Expiration_Date=target).status == 200
    assert 5 * DAY - 60 <= period(hmac_client, b, "ext") <= 5 * DAY + 60


def test_extend_retention_refuses_shortening_and_bad_requests(hmac_client, protected_bucket):
    b = protected_bucket
    hmac_client.request("PUT", obj_path(b, "short"), body=b"x")
    assert extend(hmac_client, b, "short", New_Retention_Period=DAY).status == 400
    assert extend(hmac_client, b, "short", Additional_Retention_Period=0).status == 400
    assert extend(hmac_client, b, "short").status == 400
    assert extend(hmac_client, b, "short", Additional_Retention_Period=1, New_Retention_Period=9 * DAY).status == 400
    assert extend(hmac_client, b, "short", Additional_Retention_Period=30 * DAY).status == 400  # beyond max
    assert period(hmac_client, b, "short") == 2 * DAY
    bucket = emu_http.unique("plain")
    hmac_client.request("PUT", "/" + bucket)
    hmac_client.request("PUT", obj_path(bucket, "plain"), body=b"x")
    assert extend(hmac_client, bucket, "plain", Additional_Retention_Period=10).status == 400


def test_versioning_cannot_be_enabled_on_protected_bucket(hmac_client, protected_bucket):
    body = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    resp = hmac_client.request("PUT", "/" + protected_bucket, [("versioning", "")], body=body)
    assert resp.status == 400 and resp.code == "InvalidRequest"
