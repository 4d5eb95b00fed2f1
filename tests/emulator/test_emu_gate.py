"""The authorization and WORM gate: every route of the router table, attacks from another instance,
sub-resources that must not fall through to the plain object operation."""
import hashlib
import uuid

import pytest

import emu_http
from emu_http import Client, obj_path

from ibm_cos_emulator import routes

SECRET = b"instance A's private bytes"
OTHER_INSTANCE = "crn:v1:bluemix:public:cloud-object-storage:global:a/bbbb:" + "b" * 8 + "-other::"


@pytest.fixture
def other_client(emu):
    """A caller with valid HMAC credentials of a *different* service instance."""
    access, secret = "AKOTHER" + uuid.uuid4().hex[:12], uuid.uuid4().hex
    emu.add_hmac_key(access, secret, OTHER_INSTANCE)
    return Client(emu.endpoint_url, "hmac", access, secret)


@pytest.fixture
def victim(hmac_client, bucket):
    """Instance A's bucket with a private object and an open multipart upload."""
    assert hmac_client.request("PUT", obj_path(bucket, "secret.txt"), body=SECRET).status == 200
    up = hmac_client.request("POST", obj_path(bucket, "secret.txt"), [("uploads", "")]).xml().findtext("UploadId")
    return bucket, up


def _snapshot(client, bucket):
    listing = client.request("GET", "/" + bucket, [("list-type", "2")])
    got = client.request("GET", obj_path(bucket, "secret.txt"))
    tags = client.request("GET", obj_path(bucket, "secret.txt"), [("tagging", "")])
    return listing.body.replace(b"\n", b""), got.status, got.body, tags.body


def _request_for(route, bucket, key, upload_id, source):
    """A well-formed request for ``route`` (so only the gate can refuse it)."""
    query, headers, body = [], {}, b""
    if route.selector:
        query.append((route.selector, {"uploadId": upload_id, "legalHold": ""}.get(route.selector, "")))
    if route.operation in ("UploadPart", "UploadPartCopy"):
        query.append(("partNumber", "1"))
    if route.operation == "AddLegalHold":
        query.append(("add", "h1"))
    if route.copy:
        headers["x-amz-copy-source"] = f"/{source[0]}/{source[1]}"
    if route.method in ("PUT", "POST") and not route.copy:
        body = b"<Tagging><TagSet/></Tagging>" if route.selector == "tagging" else b"payload"
    if route.operation == "DeleteObjects":
        body = b"<Delete><Object><Key>secret.txt</Key></Object></Delete>"
        headers["Content-MD5"] = __import__("base64").b64encode(hashlib.md5(body).digest()).decode()
    if route.operation == "PostObject":
        headers["Content-Type"] = "multipart/form-data; boundary=xyz"
        body = b"--xyz\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nsecret.txt\r\n--xyz--\r\n"
    path = obj_path(bucket, key if route.level == routes.OBJECT else None)
    return route.method, path, query, headers, body


GATED = [r for r in routes.ROUTES + (routes.COPY_OBJECT, routes.UPLOAD_PART_COPY)
         if r.level != routes.SERVICE and r.operation != "CreateBucket"]


@pytest.mark.parametrize("route", GATED, ids=lambda r: f"{r.operation}-{r.method}-{r.selector or 'plain'}")
def test_every_route_refuses_another_instance(hmac_client, other_client, victim, route):
    bucket, upload_id = victim
    before = _snapshot(hmac_client, bucket)
    method, path, query, headers, body = _request_for(route, bucket, "secret.txt", upload_id, (bucket, "secret.txt"))
    resp = other_client.request(method, path, query, headers=headers, body=body)
    assert resp.status == 403, (route, resp.status, resp.body)
    if method != "HEAD":
        assert resp.code == "AccessDenied"
        assert SECRET not in resp.body
    assert _snapshot(hmac_client, bucket) == before
    parts = hmac_client.request("GET", obj_path(bucket, "secret.txt"), [("uploadId", upload_id)])
    assert parts.status == 200 and emu_http.keys_of(parts, "Part") == []


def test_router_table_is_covered_by_the_gate_test():
    # every operation answered for a bucket or key goes through the generated test above
    ops = {r.operation for r in GATED}
    assert {"CopyObject", "UploadPartCopy", "PutObject", "GetObject", "DeleteObjects", "ListParts",
            "CompleteMultipartUpload", "GetObjectRetention", "PostObject"} <= ops
    assert len({r.key for r in routes.ROUTES}) == len(routes.ROUTES)


def test_service_routes_show_only_the_callers_buckets(other_client, victim):
    bucket, _ = victim
    for query in ([], [("extended", "")]):
        resp = other_client.request("GET", "/", query, headers={"ibm-service-instance-id": OTHER_INSTANCE})
        assert resp.status == 200
        assert bucket.encode() not in resp.body
    taken = other_client.request("PUT", "/" + bucket)
    assert taken.status == 409 and taken.code == "BucketAlreadyExists"


# -- copy sources are authorized against the caller's instance -----------------------------------------

def _own_bucket(client):
    name = emu_http.unique("own")
    assert client.request("PUT", "/" + name).status == 200
    return name


@pytest.mark.parametrize("extra", [[], [("torrent", "")], [("select", "")], [("attributes", "")],
                                   [("restore", "")], [("junk", "1")]])
def test_copy_object_from_another_instance_is_refused(hmac_client, other_client, victim, extra):
    bucket, _ = victim
    mine = _own_bucket(other_client)
    resp = other_client.request("PUT", obj_path(mine, "stolen"), extra,
                                headers={"x-amz-copy-source": f"/{bucket}/secret.txt"})
    assert resp.status == 403 and resp.code == "AccessDenied", resp.body
    assert other_client.request("GET", obj_path(mine, "stolen")).status == 404


def test_upload_part_copy_from_another_instance_is_refused(hmac_client, other_client, victim):
    bucket, _ = victim
    mine = _own_bucket(other_client)
    up = other_client.request("POST", obj_path(mine, "stolen"), [("uploads", "")]).xml().findtext("UploadId")
    resp = other_client.request("PUT", obj_path(mine, "stolen"), [("partNumber", "1"), ("uploadId", up)],
                                headers={"x-amz-copy-source": f"/{bucket}/secret.txt"})
    assert resp.status == 403 and resp.code == "AccessDenied"
    parts = other_client.request("GET", obj_path(mine, "stolen"), [("uploadId", up)])
    assert emu_http.keys_of(parts, "Part") == []
    body = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>"
    other_client.request("POST", obj_path(mine, "stolen"), [("uploadId", up)], body=body)
    got = other_client.request("GET", obj_path(mine, "stolen"))
    assert got.status == 404 and SECRET not in got.body


def test_copy_within_the_instance_still_works(hmac_client, victim):
    bucket, _ = victim
    resp = hmac_client.request("PUT", obj_path(bucket, "copy"), headers={"x-amz-copy-source": f"/{bucket}/secret.txt"})
    assert resp.status == 200
    assert hmac_client.request("GET", obj_path(bucket, "copy")).body == SECRET


# -- sub-resources never fall through to the plain object operation ---------------------------------------

@pytest.mark.parametrize("method, query, status, code", [
    ("GET", [("torrent", "")], 501, "NotImplemented"),
    ("PUT", [("torrent", "")], 501, "NotImplemented"),
    ("POST", [("select", ""), ("select-type", "2")], 501, "NotImplemented"),
    ("DELETE", [("select", "")], 405, "MethodNotAllowed"),
    ("PUT", [("attributes", "")], 405, "MethodNotAllowed"),
    ("DELETE", [("restore", "")], 405, "MethodNotAllowed"),
    ("GET", [("session", "")], 501, "NotImplemented"),
    ("PUT", [("acl", ""), ("tagging", "")], 400, "InvalidArgument"),
])
def test_unsupported_sub_resources_get_cos_errors(hmac_client, victim, method, query, status, code):
    bucket, _ = victim
    resp = hmac_client.request(method, obj_path(bucket, "secret.txt"), query, body=b"x" if method != "GET" else b"")
    assert resp.status == status and resp.code == code, resp.body
    assert hmac_client.request("GET", obj_path(bucket, "secret.txt")).body == SECRET


def test_unknown_query_parameters_are_ignored_not_passed_on(hmac_client, bucket):
    assert hmac_client.request("PUT", obj_path(bucket, "k"), [("cachebuster", "1")], body=b"v").status == 200
    assert hmac_client.request("GET", obj_path(bucket, "k"), [("t", "2")]).body == b"v"


# -- WORM on every write and delete path, with any extra query parameter -------------------------------

@pytest.fixture
def retained(hmac_client, protected_bucket):
    bucket = protected_bucket
    put = hmac_client.request("PUT", obj_path(bucket, "kept"), body=b"retained", headers={"Retention-Period": "86400"})
    assert put.status == 200, put.body
    return bucket


EXTRAS = [[], [("junk", "1")], [("x-id", "PutObject")], [("versionId", "null")], [("cors", "")],
          [("torrent", "")], [("select", "")], [("tagging", ""), ("acl", "")]]


def _assert_intact(client, bucket):
    got = client.request("GET", obj_path(bucket, "kept"))
    assert got.status == 200 and got.body == b"retained"
    assert got.header("retention-period") == "86400"


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize("extra", EXTRAS, ids=str)
def test_worm_overwrite_and_delete(hmac_client, retained, method, extra):
    resp = hmac_client.request(method, obj_path(retained, "kept"), extra,
                               body=b"overwritten" if method == "PUT" else b"")
    assert resp.status in (400, 403, 405, 501), resp.body
    if not extra or extra[0][0] in ("junk", "x-id", "versionId"):
        assert resp.status == 403 and resp.code == "AccessDenied"
    _assert_intact(hmac_client, retained)


@pytest.mark.parametrize("extra", EXTRAS, ids=str)
def test_worm_copy_over(hmac_client, retained, extra):
    hmac_client.request("PUT", obj_path(retained, "src"), body=b"other")
    resp = hmac_client.request("PUT", obj_path(retained, "kept"), extra,
                               headers={"x-amz-copy-source": f"/{retained}/src", "Retention-Directive": "REPLACE"})
    assert resp.status in (400, 403, 405, 501), resp.body
    _assert_intact(hmac_client, retained)


@pytest.mark.parametrize("extra", [[], [("junk", "1")]], ids=str)
def test_worm_multi_delete(hmac_client, retained, extra):
    body = b"<Delete><Object><Key>kept</Key></Object></Delete>"
    import base64

    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    resp = hmac_client.request("POST", "/" + retained, [("delete", "")] + extra, body=body,
                               headers={"Content-MD5": md5})
    assert resp.status == 200
    assert resp.xml().findtext("Error/Code") == "AccessDenied"
    _assert_intact(hmac_client, retained)


@pytest.mark.parametrize("extra", [[], [("junk", "1")]], ids=str)
def test_worm_multipart_completion(hmac_client, retained, extra):
    up = hmac_client.request("POST", obj_path(retained, "kept"), [("uploads", "")]).xml().findtext("UploadId")
    part = hmac_client.request("PUT", obj_path(retained, "kept"), [("partNumber", "1"), ("uploadId", up)],
                               body=b"new bytes")
    assert part.status == 200
    body = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part.header('etag')}</ETag></Part>"
            f"</CompleteMultipartUpload>").encode()
    resp = hmac_client.request("POST", obj_path(retained, "kept"), [("uploadId", up)] + extra, body=body)
    assert resp.status == 403 and resp.code == "AccessDenied"
    _assert_intact(hmac_client, retained)


def test_worm_browser_post_upload(emu, hmac_client, retained):
    from test_emu_sigv4 import _form, _post_fields

    put = hmac_client.request("PUT", obj_path(retained, "uploads/kept"), body=b"retained")
    assert put.status == 200
    client = Client(emu.endpoint_url, "none")
    body, ctype = _form(_post_fields(emu, retained, "uploads/kept"), b"overwritten")
    resp = emu_http.send("POST", "/" + retained, {"Host": client.host, "Content-Type": ctype}, body, client)
    assert resp.status == 403 and resp.code == "AccessDenied", resp.body
    assert hmac_client.request("GET", obj_path(retained, "uploads/kept")).body == b"retained"


def test_post_form_content_type_cannot_skip_the_gate(emu, victim):
    bucket, _ = victim
    anonymous = Client(emu.endpoint_url, "none")
    body = b"<Delete><Object><Key>secret.txt</Key></Object></Delete>"
    resp = anonymous.request("POST", "/" + bucket, [("delete", "")], body=body,
                             headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert resp.status == 403 and resp.code == "AccessDenied"


# -- routes moto gets wrong ---------------------------------------------------------------------------

def test_get_retention_is_not_the_object_body(hmac_client, bucket):
    hmac_client.request("PUT", obj_path(bucket, "plain"), body=b"object bytes")
    resp = hmac_client.request("GET", obj_path(bucket, "plain"), [("retention", "")])
    assert resp.status == 404 and resp.code == "NoSuchObjectLockConfiguration"
    assert b"object bytes" not in resp.body


def test_get_and_head_do_not_echo_upload_headers(hmac_client, bucket):
    hmac_client.request("PUT", obj_path(bucket, "echo"), body=b"abc",
                        headers={"x-amz-sdk-checksum-algorithm": "CRC32", "x-amz-checksum-crc32": "NSRBwg=="})
    for method in ("GET", "HEAD"):
        resp = hmac_client.request(method, obj_path(bucket, "echo"))
        assert resp.status == 200
        assert resp.header("x-amz-content-sha256") is None
        assert resp.header("x-amz-sdk-checksum-algorithm") is None


# -- the router table covers every operation of the service model -------------------------------------

def _model():
    import json
    import os

    path = os.path.join(os.path.dirname(routes.__file__), "..", "ibm_botocore", "data", "s3", "2006-03-01",
                        "service-2.json")
    with open(path) as fh:
        return json.load(fh)


def _model_requests():
    model = _model()
    for name, op in sorted(model["operations"].items()):
        uri = op["http"]["requestUri"]
        path_part, _, query_part = uri.partition("?")
        query = [(p.partition("=")[0], "x") for p in query_part.split("&") if p]
        shape = model["shapes"][op["input"]["shape"]] if "input" in op else {"members": {}}
        for member, spec in shape["members"].items():
            if spec.get("location") == "querystring" and member in shape.get("required", []):
                query.append((spec["locationName"], "1"))
        bucket = "b" if "{Bucket}" in path_part else None
        key = "k" if "{Key+}" in path_part else None
        yield name, op["http"]["method"], bucket, key, query


# operations that share a route (and handler) with another one
_SAME_ROUTE = {
    "ListObjectsV2": "ListObjects", "DeleteLegalHold": "AddLegalHold",
    "ListBucketInventoryConfigurations": "GetBucketInventoryConfiguration",
    "ListBucketAnalyticsConfigurations": "GetBucketAnalyticsConfiguration",
    "ListBucketMetricsConfigurations": "GetBucketMetricsConfiguration",
}


@pytest.mark.parametrize("name, method, bucket, key, query", list(_model_requests()), ids=lambda v: str(v))
def test_every_model_operation_has_its_route(name, method, bucket, key, query):
    found = routes.route(method, bucket, key, query, has_copy_source=name in ("CopyObject", "UploadPartCopy"))
    assert found.operation == _SAME_ROUTE.get(name, name)


# -- S3 Object Lock (kept by the engine) holds with extra query parameters too --------------------------

def _md5(body):
    import base64

    return base64.b64encode(hashlib.md5(body).digest()).decode()


def _moto_version():
    from importlib.metadata import version

    return tuple(int(p) for p in version("moto").split(".")[:2])


@pytest.mark.skipif(_moto_version() < (5, 1), reason="moto 5.0 answers this versioned delete with 400 before the gate; "
                    "known gap, see the session note")
@pytest.mark.parametrize("extra", [[], [("junk", "1")], [("x-id", "DeleteObject")]], ids=str)
def test_object_lock_version_cannot_be_deleted(hmac_client, extra):
    name = emu_http.unique("lock")
    assert hmac_client.request("PUT", "/" + name, headers={"x-amz-bucket-object-lock-enabled": "true"}).status == 200
    put = hmac_client.request("PUT", obj_path(name, "k"), body=b"locked", headers={
        "Content-MD5": _md5(b"locked"), "x-amz-object-lock-mode": "COMPLIANCE",
        "x-amz-object-lock-retain-until-date": "2099-01-01T00:00:00Z"})
    assert put.status == 200
    version = put.header("x-amz-version-id")
    resp = hmac_client.request("DELETE", obj_path(name, "k"), [("versionId", version)] + extra)
    assert resp.status == 403 and resp.code == "AccessDenied"
    body = f"<Delete><Object><Key>k</Key><VersionId>{version}</VersionId></Object></Delete>".encode()
    multi = hmac_client.request("POST", "/" + name, [("delete", "")] + extra, body=body,
                                headers={"Content-MD5": _md5(body)})
    assert multi.xml().findtext("Error/Code") == "AccessDenied"
    retention = hmac_client.request("GET", obj_path(name, "k"), [("retention", "")])
    assert retention.xml().findtext("Mode") == "COMPLIANCE"
    assert hmac_client.request("GET", obj_path(name, "k"), [("versionId", version)]).body == b"locked"


def test_every_query_name_of_the_model_reaches_the_engine():
    # unknown query names are dropped before moto: the model's own must all be known
    model = _model()
    names = set()
    for op in model["operations"].values():
        shape = model["shapes"][op["input"]["shape"]] if "input" in op else {"members": {}}
        names |= {m["locationName"] for m in shape["members"].values() if m.get("location") == "querystring"}
        names |= {p.partition("=")[0] for p in op["http"]["requestUri"].partition("?")[2].split("&") if p}
    assert sorted(n for n in names if n not in routes.SELECTORS and n not in routes.PARAMETERS) == []
    assert routes.engine_query([("prefix", "a"), ("bogus", "1"), ("acl", "")]) == [("prefix", "a"), ("acl", "")]
