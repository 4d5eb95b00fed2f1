"""COS-only behaviour: Key Protect, service instances, extended listing, Aspera, replication, location,
and the places where the layer fixes moto's answers."""
import emu_http
from emu_http import Client, keys_of, obj_path, unique

KP_CRN = "crn:v1:bluemix:public:kms:us-south:a/3d624cd74a0dea86ed8efe3101341742:90b6a1db:key:0bg3e33e"


def test_key_protect_headers_are_echoed(hmac_client):
    b = unique("kp")
    resp = hmac_client.request("PUT", "/" + b, headers={"ibm-sse-kp-encryption-algorithm": "AES256",
                                                        "ibm-sse-kp-customer-root-key-crn": KP_CRN})
    assert resp.status == 200
    h = hmac_client.request("HEAD", "/" + b)
    assert h.status == 200
    assert h.header("ibm-sse-kp-enabled") == "true"
    assert h.header("ibm-sse-kp-crk-id") == KP_CRN
    listing = hmac_client.request("GET", "/" + b)
    assert listing.header("ibm-sse-kp-crk-id") == KP_CRN
    plain = unique("nokp")
    hmac_client.request("PUT", "/" + plain)
    assert hmac_client.request("HEAD", "/" + plain).header("ibm-sse-kp-enabled") is None


def test_key_protect_header_validation(hmac_client):
    resp = hmac_client.request("PUT", "/" + unique("kp"), headers={"ibm-sse-kp-encryption-algorithm": "AES256"})
    assert resp.status == 400 and resp.code == "InvalidArgument"
    resp = hmac_client.request("PUT", "/" + unique("kp"), headers={"ibm-sse-kp-encryption-algorithm": "DES",
                                                                   "ibm-sse-kp-customer-root-key-crn": KP_CRN})
    assert resp.status == 400


def test_location_constraint_cos_codes(hmac_client):
    b = unique("loc")
    body = b"<CreateBucketConfiguration><LocationConstraint>us-south-smart</LocationConstraint></CreateBucketConfiguration>"
    assert hmac_client.request("PUT", "/" + b, body=body).status == 200
    root = hmac_client.request("GET", "/" + b, [("location", "")]).xml()
    assert root.tag == "LocationConstraint" and root.text == "us-south-smart"
    default = unique("loc")
    hmac_client.request("PUT", "/" + default)
    assert hmac_client.request("GET", "/" + default, [("location", "")]).xml().text == "us-south-standard"
    bad = b"<CreateBucketConfiguration><LocationConstraint>Not Valid!</LocationConstraint></CreateBucketConfiguration>"
    assert hmac_client.request("PUT", "/" + unique("loc"), body=bad).code == "InvalidLocationConstraint"


def test_bucket_names_and_conflicts(hmac_client, bucket):
    for name in ("UPPER", "ab", "-dash", "a..b", "192.168.1.1", "x" * 64):
        resp = hmac_client.request("PUT", "/" + name)
        assert resp.status == 400 and resp.code == "InvalidBucketName", name
    resp = hmac_client.request("PUT", "/" + bucket)
    assert resp.status == 409 and resp.code == "BucketAlreadyExists"


def test_service_instance_id_with_bearer_tokens(emu, bearer_client):
    b = unique("inst")
    resp = bearer_client.request("PUT", "/" + b)
    assert resp.status == 400 and resp.code == "InvalidArgument"
    assert "ibm-service-instance-id" in resp.message
    assert bearer_client.request("PUT", "/" + b, headers={"ibm-service-instance-id": emu.instance_id}).status == 200
    resp = bearer_client.request("GET", "/")
    assert resp.status == 403 and resp.code == "AccessDenied"
    listing = bearer_client.request("GET", "/", headers={"ibm-service-instance-id": emu.instance_id})
    assert b in [el.findtext("Name") for el in listing.xml().iter("Bucket")]
    other = "crn:v1:bluemix:public:cloud-object-storage:global:a/0000:11111111-2222-3333-4444-555555555555::"
    resp = bearer_client.request("GET", "/", headers={"ibm-service-instance-id": other})
    assert resp.status == 403
    # the GUID alone names the instance too
    guid = emu.instance_id.split(":")[7]
    assert bearer_client.request("GET", "/", headers={"ibm-service-instance-id": guid}).status == 200


def test_instances_are_isolated(emu, hmac_client):
    other = "crn:v1:bluemix:public:cloud-object-storage:global:a/abcd:99999999-8888-7777-6666-555555555555::"
    emu.add_api_key("second-instance-key", other)
    token = emu_http.get_token(emu.endpoint_url, "second-instance-key")
    second = Client(emu.endpoint_url, "bearer", token=token)
    mine = unique("mine")
    assert hmac_client.request("PUT", "/" + mine).status == 200
    theirs = unique("theirs")
    assert second.request("PUT", "/" + theirs, headers={"ibm-service-instance-id": other}).status == 200
    names = [el.findtext("Name") for el in second.request("GET", "/", headers={
        "ibm-service-instance-id": other}).xml().iter("Bucket")]
    assert names == [theirs]
    assert second.request("GET", "/" + mine).code == "AccessDenied"
    assert second.request("PUT", obj_path(mine, "k"), body=b"x").status == 403
    assert hmac_client.request("GET", "/" + theirs).status == 403
    mine_names = [el.findtext("Name") for el in hmac_client.request("GET", "/").xml().iter("Bucket")]
    assert theirs not in mine_names and mine in mine_names


def test_list_buckets_extended_paging(emu):
    from ibm_cos_emulator import Emulator

    with Emulator() as e:
        client = Client(e.endpoint_url, "hmac", e.access_key_id, e.secret_access_key)
        names = sorted(unique("ext") for _ in range(5))
        for i, name in enumerate(names):
            body = None
            if i == 0:
                body = b"<CreateBucketConfiguration><LocationConstraint>eu-de-standard</LocationConstraint></CreateBucketConfiguration>"
            assert client.request("PUT", "/" + name, body=body or b"").status == 200
        client.request("PUT", "/zzz-other-" + unique("x"))
        first = client.request("GET", "/", [("extended", ""), ("max-keys", "2"), ("prefix", "ext-")]).xml()
        assert first.findtext("IsTruncated") == "true"
        assert [el.findtext("Name") for el in first.iter("Bucket")] == names[:2]
        assert first.findtext("NextMarker") == names[1]
        assert first.find("Buckets/Bucket/CreationDate") is not None
        assert first.findtext("Buckets/Bucket/LocationConstraint") == "eu-de-standard"
        assert first.findtext("Owner/ID")
        rest = client.request("GET", "/", [("extended", ""), ("prefix", "ext-"), ("marker", names[1])]).xml()
        assert [el.findtext("Name") for el in rest.iter("Bucket")] == names[2:]
        assert rest.findtext("IsTruncated") == "false"


def test_aspera_replication_and_reattempt(hmac_client, bucket):
    aspera = hmac_client.request("GET", "/" + bucket, [("faspConnectionInfo", "")])
    assert aspera.status == 200
    root = aspera.xml()
    assert root.findtext("AccessKey/Id") and root.findtext("AccessKey/Secret")
    assert root.findtext("ATSEndpoint").startswith("https://")
    failures = hmac_client.request("GET", "/" + bucket, [("ibm-replication-failures", "")])
    assert failures.status == 200
    root = failures.xml()
    assert root.tag == "ListReplicationFailureResult"
    assert root.findtext("Name") == bucket and root.findtext("KeyCount") == "0" and root.find("Contents") is None
    assert hmac_client.request("PUT", "/" + bucket, [("ibm-replication-reattempt", "")]).status == 200
    assert hmac_client.request("GET", "/" + unique("none"), [("faspConnectionInfo", "")]).code == "NoSuchBucket"


# -- moto deviations fixed by the layer -----------------------------------------------------------------------

def test_list_objects_v2_empty_continuation_token(hmac_client, bucket):
    for i in range(5):
        hmac_client.request("PUT", obj_path(bucket, f"k{i}"), body=b"x")
    seen, token, pages = [], "", 0
    while True:
        resp = hmac_client.request("GET", "/" + bucket, [("list-type", "2"), ("max-keys", "2"),
                                                         ("continuation-token", token)])
        assert resp.status == 200, resp.body
        root = resp.xml()
        seen += keys_of(resp)
        pages += 1
        if root.findtext("IsTruncated") != "true":
            break
        token = root.findtext("NextContinuationToken")
    assert seen == [f"k{i}" for i in range(5)] and pages == 3


def test_delete_objects_quiet(hmac_client, bucket):
    for k in ("q1", "q2"):
        hmac_client.request("PUT", obj_path(bucket, k), body=b"x")
    body = b"<Delete><Quiet>true</Quiet><Object><Key>q1</Key></Object><Object><Key>q2</Key></Object></Delete>"
    resp = hmac_client.request("POST", "/" + bucket, [("delete", "")], body=body)
    assert resp.status == 200
    root = resp.xml()
    assert root.tag == "DeleteResult" and root.find("Deleted") is None and root.find("Error") is None
    assert hmac_client.request("HEAD", obj_path(bucket, "q1")).status == 404
    loud = b"<Delete><Object><Key>q3</Key></Object></Delete>"
    assert keys_of(hmac_client.request("POST", "/" + bucket, [("delete", "")], body=loud), "Deleted") == ["q3"]


def test_complete_unknown_upload_is_no_such_upload(hmac_client, bucket):
    body = (b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"abc\"</ETag></Part>"
            b"</CompleteMultipartUpload>")
    resp = hmac_client.request("POST", obj_path(bucket, "k"), [("uploadId", "no-such-id")], body=body)
    assert resp.status == 404
    assert resp.code == "NoSuchUpload"


def test_errors_have_cos_shape(hmac_client, bucket):
    resp = hmac_client.request("GET", obj_path(bucket, "missing"))
    root = resp.xml()
    assert resp.status == 404 and root.findtext("Code") == "NoSuchKey"
    assert root.findtext("Resource") == f"/{bucket}/missing"
    assert root.findtext("httpStatusCode") == "404"
    assert root.findtext("RequestId") == resp.header("x-amz-request-id")
    assert hmac_client.request("GET", "/" + unique("nob")).code == "NoSuchBucket"
    h = hmac_client.request("HEAD", obj_path(bucket, "missing"))
    assert h.status == 404 and h.body == b""


def test_plain_s3_operations_still_work(hmac_client, bucket):
    assert hmac_client.request("PUT", obj_path(bucket, "t"), body=b"0123456789",
                               headers={"Content-Type": "text/plain", "x-amz-meta-color": "blue"}).status == 200
    got = hmac_client.request("GET", obj_path(bucket, "t"), headers={"Range": "bytes=2-4"})
    assert got.status == 206 and got.body == b"234"
    h = hmac_client.request("HEAD", obj_path(bucket, "t"))
    assert h.header("content-length") == "10" and h.header("x-amz-meta-color") == "blue"
    website = (b"<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument>"
               b"<ErrorDocument><Key>error.html</Key></ErrorDocument></WebsiteConfiguration>")
    assert hmac_client.request("PUT", "/" + bucket, [("website", "")], body=website).status == 200
    root = hmac_client.request("GET", "/" + bucket, [("website", "")]).xml()
    assert root.findtext("IndexDocument/Suffix") == "index.html"
    copy = hmac_client.request("PUT", obj_path(bucket, "t2"), headers={"x-amz-copy-source": f"/{bucket}/t"})
    assert copy.status == 200 and copy.xml().findtext("ETag")
    assert hmac_client.request("GET", obj_path(bucket, "t2")).body == b"0123456789"
