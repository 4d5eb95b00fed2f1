"""The emulator's checksum convention, which must not depend on the moto version underneath.

moto 5.0 never shows a stored checksum on GET/HEAD, 5.1 shows a multipart object's composite
checksum without its part count, and only 5.2 knows checksum types; the emulator answers the same
on all of them (ibm_cos_emulator/motofix.py, "checksums"). Requests are raw HTTP, so what is
asserted is exactly what is on the wire.
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import zlib
from typing import Dict, List, Optional

import pytest

from emu_http import obj_path

PART = 5 * 1024 * 1024
MODE = {"x-amz-checksum-mode": "ENABLED"}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def crc32(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(4, "big")


def checksum_headers(resp) -> Dict[str, str]:
    return {k: v for k, v in resp.headers.items() if k.startswith("x-amz-checksum-")}


def multipart(client, bucket: str, key: str, parts: List[bytes], create_headers: Dict[str, str],
              complete_headers: Optional[Dict[str, str]] = None):
    created = client.request("POST", obj_path(bucket, key), [("uploads", "")], headers=create_headers)
    assert created.status == 200, created.body
    upload_id = created.xml().findtext("UploadId")
    listed = []
    for number, data in enumerate(parts, 1):
        resp = client.request("PUT", obj_path(bucket, key), [("partNumber", str(number)), ("uploadId", upload_id)],
                              headers={"x-amz-sdk-checksum-algorithm": "CRC32", "x-amz-checksum-crc32": b64(crc32(data))},
                              body=data)
        assert resp.status == 200, resp.body
        assert resp.header("x-amz-checksum-crc32") == b64(crc32(data))
        listed.append("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag><ChecksumCRC32>%s</ChecksumCRC32></Part>"
                      % (number, resp.header("etag"), b64(crc32(data))))
    body = ("<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(listed)).encode()
    done = client.request("POST", obj_path(bucket, key), [("uploadId", upload_id)], headers=complete_headers or {},
                          body=body)
    assert done.status == 200, done.body
    return created


@pytest.fixture(scope="module")
def parts():
    return [os.urandom(PART), os.urandom(1000)]


def test_create_bucket_answers_with_location(hmac_client):
    name = "loc-" + os.urandom(8).hex()
    resp = hmac_client.request("PUT", "/" + name)
    assert resp.status == 200 and resp.header("location") == "/" + name


def test_single_put_checksum_is_shown_bare_with_checksum_mode_only(hmac_client, bucket):
    data = b"hello checksum"
    put = hmac_client.request("PUT", obj_path(bucket, "one"), body=data,
                              headers={"x-amz-sdk-checksum-algorithm": "CRC32", "x-amz-checksum-crc32": b64(crc32(data))})
    assert put.status == 200 and put.header("x-amz-checksum-crc32") == b64(crc32(data))
    for method in ("GET", "HEAD"):
        shown = hmac_client.request(method, obj_path(bucket, "one"), headers=MODE)
        assert checksum_headers(shown) == {"x-amz-checksum-crc32": b64(crc32(data))}, method
        assert checksum_headers(hmac_client.request(method, obj_path(bucket, "one"))) == {}, method
    ranged = hmac_client.request("GET", obj_path(bucket, "one"), headers={**MODE, "Range": "bytes=0-3"})
    assert ranged.status == 206 and ranged.body == data[:4] and checksum_headers(ranged) == {}


def test_composite_multipart_checksum(hmac_client, bucket, parts):
    created = multipart(hmac_client, bucket, "mp", parts, {"x-amz-checksum-algorithm": "CRC32"})
    assert created.header("x-amz-checksum-algorithm") == "CRC32" and created.header("x-amz-checksum-type") is None
    composite = b64(crc32(b"".join(crc32(p) for p in parts))) + "-2"
    for method in ("GET", "HEAD"):
        shown = hmac_client.request(method, obj_path(bucket, "mp"), headers=MODE)
        assert checksum_headers(shown) == {"x-amz-checksum-crc32": composite, "x-amz-checksum-type": "COMPOSITE"}
    whole = hmac_client.request("GET", obj_path(bucket, "mp"))
    assert whole.body == b"".join(parts) and checksum_headers(whole) == {}
    part = hmac_client.request("HEAD", obj_path(bucket, "mp"), [("partNumber", "1")], headers=MODE)
    assert part.status in (200, 206) and checksum_headers(part) == {}
    ranged = hmac_client.request("GET", obj_path(bucket, "mp"), headers={**MODE, "Range": "bytes=0-99"})
    assert ranged.status == 206 and ranged.body == parts[0][:100] and checksum_headers(ranged) == {}


def test_full_object_multipart_checksum(hmac_client, bucket, parts):
    full = b64(crc32(b"".join(parts)))
    created = multipart(hmac_client, bucket, "full", parts,
                        {"x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-type": "FULL_OBJECT"},
                        {"x-amz-checksum-crc32": full, "x-amz-checksum-type": "FULL_OBJECT"})
    assert (created.header("x-amz-checksum-algorithm"), created.header("x-amz-checksum-type")) == ("CRC32", "FULL_OBJECT")
    head = hmac_client.request("HEAD", obj_path(bucket, "full"), headers=MODE)
    assert checksum_headers(head) == {"x-amz-checksum-crc32": full, "x-amz-checksum-type": "FULL_OBJECT"}


def test_multipart_without_checksum_shows_none(hmac_client, bucket, parts):
    multipart(hmac_client, bucket, "plain", parts, {})
    head = hmac_client.request("HEAD", obj_path(bucket, "plain"), headers=MODE)
    assert head.status == 200 and checksum_headers(head) == {}
    assert re.fullmatch(r'"[0-9a-f]{32}-2"', head.header("etag"))


def test_copy_of_composite_object_gets_full_object_checksum(hmac_client, bucket, parts):
    multipart(hmac_client, bucket, "src", parts, {"x-amz-checksum-algorithm": "CRC32"})
    copied = hmac_client.request("PUT", obj_path(bucket, "dst"), headers={"x-amz-copy-source": "/%s/src" % bucket})
    assert copied.status == 200, copied.body
    head = hmac_client.request("HEAD", obj_path(bucket, "dst"), headers=MODE)
    assert checksum_headers(head) == {"x-amz-checksum-crc32": b64(crc32(b"".join(parts))),
                                      "x-amz-checksum-type": "FULL_OBJECT"}


def test_checksum_of_an_older_version(hmac_client, bucket):
    assert hmac_client.request("PUT", "/" + bucket, [("versioning", "")],
                               body=b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>").status == 200
    versions = []
    for data in (b"first", b"second"):
        put = hmac_client.request("PUT", obj_path(bucket, "v"), body=data, headers={"x-amz-sdk-checksum-algorithm": "SHA256"})
        assert put.status == 200
        versions.append((put.header("x-amz-version-id"), data))
    for version, data in versions:
        got = hmac_client.request("GET", obj_path(bucket, "v"), [("versionId", version)], headers=MODE)
        assert got.body == data
        assert checksum_headers(got) == {"x-amz-checksum-sha256": b64(hashlib.sha256(data).digest())}


def test_put_into_object_lock_bucket_needs_no_content_md5(hmac_client):
    name = "lock-" + os.urandom(8).hex()
    assert hmac_client.request("PUT", "/" + name, headers={"x-amz-bucket-object-lock-enabled": "true"}).status == 200
    rule = (b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
            b"<Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>")
    assert hmac_client.request("PUT", "/" + name, [("object-lock", "")], body=rule,
                               headers={"Content-MD5": b64(hashlib.md5(rule).digest())}).status == 200
    data = b"locked bytes"
    put = hmac_client.request("PUT", obj_path(name, "k"), body=data, headers={"x-amz-checksum-crc32": b64(crc32(data))})
    assert put.status == 200, put.body
    assert hmac_client.request("GET", obj_path(name, "k")).body == data
