"""HMAC authentication: SigV4 header, streaming bodies, presigned URLs and POST forms, SigV2."""
import base64
import datetime as dt
import hashlib
import json
import zlib
from email.utils import formatdate

import emu_http
from emu_http import Client, obj_path, sigv4_headers


def test_signed_put_and_get(hmac_client, bucket):
    assert hmac_client.request("PUT", obj_path(bucket, "dir/a b+c~é.txt"), body=b"payload").status == 200
    resp = hmac_client.request("GET", obj_path(bucket, "dir/a b+c~é.txt"))
    assert resp.status == 200 and resp.body == b"payload"


def test_wrong_secret_is_signature_does_not_match(emu, bucket):
    client = Client(emu.endpoint_url, "hmac", emu.access_key_id, "wrong-secret")
    resp = client.request("GET", obj_path(bucket))
    assert resp.status == 403
    assert resp.code == "SignatureDoesNotMatch"
    root = resp.xml()
    assert root.findtext("AWSAccessKeyId") == emu.access_key_id
    assert root.findtext("CanonicalRequest").startswith("GET\n/" + bucket)


def test_tampered_request_fails(emu, bucket):
    hdrs = sigv4_headers("PUT", emu_http.Client(emu.endpoint_url).host, obj_path(bucket, "k"), [], {}, b"abc",
                         emu.access_key_id, emu.secret_access_key)
    hdrs.pop("_seed_signature"), hdrs.pop("_scope")
    client = Client(emu.endpoint_url, "none")
    # same headers, other key in the path
    resp = emu_http.send("PUT", obj_path(bucket, "other"), hdrs, b"abc", client)
    assert resp.status == 403 and resp.code == "SignatureDoesNotMatch"


def test_unknown_access_key(emu, bucket):
    resp = Client(emu.endpoint_url, "hmac", "AKNOTKNOWN", "x").request("GET", obj_path(bucket))
    assert resp.status == 403
    assert resp.code == "InvalidAccessKeyId"


def test_payload_hash_must_match_body(hmac_client, bucket):
    bogus = hashlib.sha256(b"something else").hexdigest()
    resp = hmac_client.request("PUT", obj_path(bucket, "k"), body=b"abc", payload_hash=bogus)
    assert resp.status == 400
    assert resp.code == "XAmzContentSHA256Mismatch"


def test_unsigned_payload(hmac_client, bucket):
    resp = hmac_client.request("PUT", obj_path(bucket, "u"), body=b"unsigned body", payload_hash="UNSIGNED-PAYLOAD")
    assert resp.status == 200
    assert hmac_client.request("GET", obj_path(bucket, "u")).body == b"unsigned body"


def _crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_streaming_unsigned_trailer_body_is_decoded(hmac_client, bucket):
    payload = bytes(range(256)) * 300
    body = emu_http.aws_chunked(payload, 8192, trailer=("x-amz-checksum-crc32", _crc32_b64(payload)))
    resp = hmac_client.request("PUT", obj_path(bucket, "chunked"), body=body, headers={
        "Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": str(len(payload)),
        "X-Amz-Trailer": "x-amz-checksum-crc32"}, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert resp.status == 200, resp.body
    got = hmac_client.request("GET", obj_path(bucket, "chunked"))
    assert got.body == payload
    assert got.header("content-length") == str(len(payload))


def test_streaming_trailer_with_wrong_checksum_is_bad_digest(hmac_client, bucket):
    payload = b"hello world" * 100
    body = emu_http.aws_chunked(payload, 256, trailer=("x-amz-checksum-crc32", _crc32_b64(b"other")))
    resp = hmac_client.request("PUT", obj_path(bucket, "bad"), body=body, headers={
        "Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": str(len(payload))},
        payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert resp.status == 400
    assert resp.code == "BadDigest"
    assert hmac_client.request("HEAD", obj_path(bucket, "bad")).status == 404


def _signed_streaming_put(emu, bucket, key, payload, corrupt=False):
    client = Client(emu.endpoint_url, "none")
    path = obj_path(bucket, key)
    when = emu_http.amz_now()
    hdrs = sigv4_headers("PUT", client.host, path, [], {"Content-Encoding": "aws-chunked",
                                                        "X-Amz-Decoded-Content-Length": str(len(payload))},
                         b"", emu.access_key_id, emu.secret_access_key,
                         payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD", when=when)
    seed, scope = hdrs.pop("_seed_signature"), hdrs.pop("_scope")
    key_bytes = emu_http.derive(emu.secret_access_key, scope[:8], "us-east-1")
    body = emu_http.aws_chunked(payload, 1000, signer=(key_bytes, when.strftime("%Y%m%dT%H%M%SZ"), scope, seed))
    if corrupt:
        body = body.replace(payload[:10], b"X" * 10, 1)
    return emu_http.send("PUT", path, hdrs, body, client)


def test_signed_streaming_chunks_are_verified(emu, hmac_client, bucket):
    payload = b"0123456789" * 350
    assert _signed_streaming_put(emu, bucket, "signed-chunks", payload).status == 200
    assert hmac_client.request("GET", obj_path(bucket, "signed-chunks")).body == payload
    resp = _signed_streaming_put(emu, bucket, "tampered", payload, corrupt=True)
    assert resp.status == 403 and resp.code == "SignatureDoesNotMatch"


def test_content_md5_is_checked(hmac_client, bucket):
    good = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    assert hmac_client.request("PUT", obj_path(bucket, "m"), body=b"data", headers={"Content-MD5": good}).status == 200
    resp = hmac_client.request("PUT", obj_path(bucket, "m"), body=b"DATA", headers={"Content-MD5": good})
    assert resp.status == 400 and resp.code == "BadDigest"
    resp = hmac_client.request("PUT", obj_path(bucket, "m"), body=b"DATA", headers={"Content-MD5": "xx"})
    assert resp.status == 400 and resp.code == "InvalidDigest"


def test_clock_skew_is_rejected(emu, bucket):
    client = Client(emu.endpoint_url, "none")
    old = emu_http.amz_now(-3600)
    hdrs = sigv4_headers("GET", client.host, obj_path(bucket), [], {}, b"", emu.access_key_id,
                         emu.secret_access_key, when=old)
    hdrs.pop("_seed_signature"), hdrs.pop("_scope")
    resp = emu_http.send("GET", obj_path(bucket), hdrs, b"", client)
    assert resp.status == 403 and resp.code == "RequestTimeTooSkewed"


def test_presigned_get_and_expiry(emu, hmac_client, bucket):
    hmac_client.request("PUT", obj_path(bucket, "shared file.txt"), body=b"shared")
    client = Client(emu.endpoint_url, "none")
    url = emu_http.presign_v4("GET", client.host, obj_path(bucket, "shared file.txt"),
                              emu.access_key_id, emu.secret_access_key, expires=60)
    resp = emu_http.send("GET", url, {"Host": client.host}, b"", client)
    assert resp.status == 200 and resp.body == b"shared"
    # signature covers the path
    other = url.replace("shared%20file.txt", "other.txt")
    assert emu_http.send("GET", other, {"Host": client.host}, b"", client).code == "SignatureDoesNotMatch"
    emu.advance_time(61)
    resp = emu_http.send("GET", url, {"Host": client.host}, b"", client)
    assert resp.status == 403
    assert resp.code == "AccessDenied" and resp.message == "Request has expired"


def test_presigned_put(emu, hmac_client, bucket):
    client = Client(emu.endpoint_url, "none")
    url = emu_http.presign_v4("PUT", client.host, obj_path(bucket, "up"), emu.access_key_id,
                              emu.secret_access_key)
    assert emu_http.send("PUT", url, {"Host": client.host}, b"presigned upload", client).status == 200
    assert hmac_client.request("GET", obj_path(bucket, "up")).body == b"presigned upload"


def _form(fields, file_bytes, boundary="----emuboundary"):
    out = b""
    for name, value in fields.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()
    out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode() + file_bytes + f"\r\n--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def _post_fields(emu, bucket, key, expires_in=300, secret=None, max_size=1000):
    now = emu_http.amz_now()
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    credential = f"{emu.access_key_id}/{stamp[:8]}/us-east-1/s3/aws4_request"
    policy = {"expiration": (now + dt.timedelta(seconds=expires_in)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "conditions": [{"bucket": bucket}, ["starts-with", "$key", "uploads/"],
                             ["content-length-range", 1, max_size], {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
                             {"x-amz-credential": credential}, {"x-amz-date": stamp}]}
    policy_b64 = base64.b64encode(json.dumps(policy).encode()).decode()
    key_bytes = emu_http.derive(secret or emu.secret_access_key, stamp[:8], "us-east-1")
    import hmac as _hmac

    sig = _hmac.new(key_bytes, policy_b64.encode(), hashlib.sha256).hexdigest()
    return {"key": key, "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": credential,
            "x-amz-date": stamp, "policy": policy_b64, "x-amz-signature": sig,
            "x-amz-meta-origin": "form", "success_action_status": "201"}


def test_presigned_post_form_upload(emu, hmac_client, bucket):
    client = Client(emu.endpoint_url, "none")
    body, ctype = _form(_post_fields(emu, bucket, "uploads/${filename}"), b"form file content")
    resp = emu_http.send("POST", "/" + bucket, {"Host": client.host, "Content-Type": ctype}, body, client)
    assert resp.status == 201, resp.body
    assert resp.xml().findtext("Key") == "uploads/f.txt"
    got = hmac_client.request("GET", obj_path(bucket, "uploads/f.txt"))
    assert got.body == b"form file content"
    assert got.header("x-amz-meta-origin") == "form"


def test_presigned_post_rejections(emu, bucket):
    client = Client(emu.endpoint_url, "none")
    body, ctype = _form(_post_fields(emu, bucket, "uploads/x", secret="wrong"), b"data")
    resp = emu_http.send("POST", "/" + bucket, {"Host": client.host, "Content-Type": ctype}, body, client)
    assert resp.status == 403 and resp.code == "SignatureDoesNotMatch"
    body, ctype = _form(_post_fields(emu, bucket, "elsewhere/x"), b"data")
    resp = emu_http.send("POST", "/" + bucket, {"Host": client.host, "Content-Type": ctype}, body, client)
    assert resp.status == 403 and "Policy Condition failed" in resp.message
    body, ctype = _form(_post_fields(emu, bucket, "uploads/x", max_size=3), b"data")
    resp = emu_http.send("POST", "/" + bucket, {"Host": client.host, "Content-Type": ctype}, body, client)
    assert resp.status == 400 and resp.code == "EntityTooLarge"
    body, ctype = _form(_post_fields(emu, bucket, "uploads/x", expires_in=-10), b"data")
    resp = emu_http.send("POST", "/" + bucket, {"Host": client.host, "Content-Type": ctype}, body, client)
    assert resp.status == 403 and "expired" in resp.message


def test_sigv2_header_and_query(emu, hmac_client, bucket):
    hmac_client.request("PUT", obj_path(bucket, "v2.txt"), body=b"v2 data")
    client = Client(emu.endpoint_url, "none")
    date = formatdate(usegmt=True)
    path = obj_path(bucket, "v2.txt")
    sig = emu_http.sigv2_sign(emu.secret_access_key, f"GET\n\n\n{date}\n{path}")
    resp = emu_http.send("GET", path, {"Host": client.host, "Date": date,
                                       "Authorization": f"AWS {emu.access_key_id}:{sig}"}, b"", client)
    assert resp.status == 200 and resp.body == b"v2 data"
    bad = emu_http.sigv2_sign("nope", f"GET\n\n\n{date}\n{path}")
    resp = emu_http.send("GET", path, {"Host": client.host, "Date": date,
                                       "Authorization": f"AWS {emu.access_key_id}:{bad}"}, b"", client)
    assert resp.status == 403 and resp.code == "SignatureDoesNotMatch"
    expires = str(int(emu.clock.time()) + 60)
    qsig = emu_http.sigv2_sign(emu.secret_access_key, f"GET\n\n\n{expires}\n{path}")
    url = f"{path}?AWSAccessKeyId={emu.access_key_id}&Expires={expires}&Signature={emu_http.enc(qsig)}"
    assert emu_http.send("GET", url, {"Host": client.host}, b"", client).body == b"v2 data"
    emu.advance_time(120)
    assert emu_http.send("GET", url, {"Host": client.host}, b"", client).message == "Request has expired"


def test_virtual_host_addressing(emu, hmac_client, bucket):
    hmac_client.request("PUT", obj_path(bucket, "vh/key.txt"), body=b"virtual")
    host = f"{bucket}.localhost:{emu.port}"
    resp = hmac_client.request("GET", "/vh/key.txt", host=host)
    assert resp.status == 200 and resp.body == b"virtual"
    listing = hmac_client.request("GET", "/", [("list-type", "2")], host=host)
    assert emu_http.keys_of(listing) == ["vh/key.txt"]


def test_verify_signatures_off_accepts_any_signature():
    from ibm_cos_emulator import Emulator

    with Emulator(verify_signatures=False) as e:
        client = Client(e.endpoint_url, "hmac", "anything", "whatever")
        assert client.request("PUT", "/" + emu_http.unique("nv")).status == 200


def test_presigned_bucket_create_and_delete(emu, hmac_client):
    client = Client(emu.endpoint_url, "none")
    name = emu_http.unique("ps")
    url = emu_http.presign_v4("PUT", client.host, "/" + name, emu.access_key_id, emu.secret_access_key)
    assert emu_http.send("PUT", url, {"Host": client.host}, b"", client).status == 200
    assert hmac_client.request("HEAD", "/" + name).status == 200
    url = emu_http.presign_v4("DELETE", client.host, "/" + name, emu.access_key_id, emu.secret_access_key)
    assert emu_http.send("DELETE", url, {"Host": client.host}, b"", client).status == 204
    assert hmac_client.request("HEAD", "/" + name).status == 404
