"""Where moto answers differently from COS, and the COS SDK guide depends on the COS answer.

These functions change requests and answers on their way to and from moto; what they need of
moto's stored objects they get from :class:`engine.MotoEngine` methods (this module imports no
moto and touches no moto object).

* ListObjectsV2 with an empty ``continuation-token`` means "from the start" (moto: 400).
* DeleteObjects with ``<Quiet>true</Quiet>`` lists no ``Deleted`` keys (moto lists them).
* CompleteMultipartUpload with an unknown upload id is 404 NoSuchUpload (moto: 500).
* CreateBucket accepts COS location constraints such as ``us-south-standard`` (the COS layer
  keeps the location; moto is asked to create a plain bucket).
* Errors carry COS's ``Resource``/``RequestId``/``httpStatusCode`` elements (the engine re-renders
  every moto error with :func:`errors.cos_style_error`).
* GetObjectLockConfiguration gives only the retention period that is set (moto also lists the
  other one as ``0``).
* CreateBucket answers with ``Location: /<bucket>`` (moto before 5.2: no Location).
* Object PUTs in an object-lock bucket need no Content-MD5 (moto 5.0 insists on one).
* Checksums follow one convention on every moto version (see "checksums" below): moto 5.0 never
  shows a stored checksum on GET/HEAD, 5.1 shows a multipart object's composite checksum bare
  (it then reads as a wrong full-object checksum), and only 5.2 knows checksum types.
* CopyObject of an object with a composite (per-part) checksum gives the copy -- a single-part
  object -- the full-object checksum of its bytes (moto copies the composite value without its
  part count, which then reads as a wrong full-object checksum).
"""
from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Sequence, Tuple

from .checksums import digest
from .engine import MotoEngine
from .errors import CosError
from .wire import Headers, Request, Response, StoredChecksum, xml_response
from .xmlutil import render

# request headers that describe a body we replace before it reaches moto
_BODY_HEADERS = ("content-md5", "x-amz-sdk-checksum-algorithm")


def list_query(req: Request) -> List[Tuple[str, str]]:
    """The query to send to moto for a bucket listing."""
    if req.args.get("list-type") == "2" and req.args.get("continuation-token", None) == "":
        return [(k, v) for k, v in req.query if k != "continuation-token"]
    return list(req.query)


def without_body_headers(headers: Headers, extra: Sequence[str] = ()) -> Headers:
    out = headers.copy()
    for name, _ in headers.items():
        lname = name.lower()
        if lname in _BODY_HEADERS or lname in extra or lname.startswith("x-amz-checksum-"):
            out.remove(name)
    return out


def create_bucket(engine: MotoEngine, req: Request, cos_headers: Sequence[str]) -> Response:
    """Create the bucket in moto without the COS location body and COS-only headers."""
    resp = engine.forward(req, body=b"", headers=without_body_headers(req.headers, cos_headers))
    if resp.ok and "location" not in resp.headers:
        resp.headers.set("Location", "/" + (req.bucket or ""))
    return resp


def add_lock_bucket_md5(engine: MotoEngine, req: Request) -> None:
    """Give an object PUT into an object-lock bucket the Content-MD5 moto 5.0 requires there.

    The payload's own checksums were verified before; the added header describes the same bytes.
    """
    if "content-md5" in req.headers or req.has_arg("uploadId"):
        return
    if engine.object_lock_enabled(req.bucket or ""):
        req.headers.set("Content-MD5", base64.b64encode(hashlib.md5(req.body).digest()).decode("ascii"))


def drop_zero_lock_period(resp: Response) -> None:
    """moto lists ``<Years>0</Years>`` beside ``<Days>N</Days>`` (or the reverse); COS gives only the one set."""
    resp.body = re.sub(rb"<(Years|Days)>0</\1>", b"", resp.body)


def require_upload(engine: MotoEngine, bucket: str, key: str, upload_id: str) -> bool:
    """True when the upload is open; False when it was already completed into ``key`` (moto then
    answers idempotently); raises 404 NoSuchUpload otherwise."""
    if engine.has_upload(bucket, upload_id):
        return True
    existing = engine.stored_object(bucket, key)
    if existing is not None and existing.upload_id == upload_id:
        return False
    raise CosError(404, "NoSuchUpload",
                   "The specified multipart upload does not exist. The upload ID might not be valid, "
                   "or the multipart upload might have been aborted or completed.", UploadId=upload_id)


def delete_objects(engine: MotoEngine, req: Request, objects: Sequence[Tuple[str, Optional[str]]], quiet: bool,
                   refused: Sequence[Dict[str, object]]) -> Tuple[Response, List[str]]:
    """Delete ``objects`` through moto and answer with COS's DeleteResult.

    ``refused`` are per-key errors decided before moto (protected objects). Returns the response
    and the keys moto deleted.
    """
    deleted: List[Dict[str, object]] = []
    errors: List[Dict[str, object]] = list(refused)
    if objects:
        items: List[Dict[str, object]] = []
        for key, version in objects:
            item: Dict[str, object] = {"Key": key}
            if version:
                item["VersionId"] = version
            items.append(item)
        body = render("Delete", {"Object": items}).encode("utf-8")
        resp = engine.forward(req, body=body, headers=without_body_headers(req.headers))
        if not resp.ok:
            return resp, []
        try:
            result = ET.fromstring(resp.body)
        except ET.ParseError:
            return resp, []
        for el in result:
            tag = el.tag.split("}", 1)[-1]
            entry: Dict[str, object] = {c.tag.split("}", 1)[-1]: (c.text or "") for c in el}
            if tag == "Deleted":
                deleted.append(entry)
            elif tag == "Error":
                errors.append(entry)
    content: Dict[str, object] = {}
    if not quiet:
        content["Deleted"] = deleted
    content["Error"] = errors
    return xml_response(200, render("DeleteResult", content)), [str(d.get("Key", "")) for d in deleted]


# -- checksums ------------------------------------------------------------------------------------
# The emulator keeps each object's checksum convention itself, in the fields moto 5.2 gives its
# keys (checksum_algorithm, checksum_value, checksum_type, checksum_parts; set here on every moto
# version, so they persist with moto's state), and writes the checksum headers of GET/HEAD itself:
#   * PutObject: the checksum moto stored, bare, no type (as moto 5.2 and COS answer).
#   * CompleteMultipartUpload: the type asked for at CreateMultipartUpload (COMPOSITE when only an
#     algorithm was given): COMPOSITE is the checksum of the listed parts' digests, shown as
#     ``<b64>-<parts>``; FULL_OBJECT is the checksum of the object's bytes.
#   * GetObject without Range, HeadObject without partNumber, with ``x-amz-checksum-mode: ENABLED``:
#     ``x-amz-checksum-<algorithm>`` and, when known, ``x-amz-checksum-type``; otherwise none.
_SHOWN_CHECKSUMS = ("x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-sha1",
                    "x-amz-checksum-sha256", "x-amz-checksum-crc64nvme", "x-amz-checksum-type",
                    "x-amz-checksum-algorithm")
_UPLOAD_ID = re.compile(rb"<UploadId>([^<]+)</UploadId>")
_PART_NUMBER = re.compile(rb"<PartNumber>\s*(\d+)\s*</PartNumber>")


def created_multipart(engine: MotoEngine, req: Request, resp: Response) -> None:
    """Remember the checksum type asked for at CreateMultipartUpload and echo the checksum settings."""
    if not resp.ok:
        return
    algorithm = (req.header("x-amz-checksum-algorithm") or "").upper()
    ctype = (req.header("x-amz-checksum-type") or "").upper()
    found = _UPLOAD_ID.search(resp.body)
    if found and ctype:
        engine.set_upload_checksum_type(req.bucket or "", found.group(1).decode("utf-8"), ctype)
    if algorithm:
        resp.headers.set("x-amz-checksum-algorithm", algorithm)
    if ctype:
        resp.headers.set("x-amz-checksum-type", ctype)


class CompletionChecksum:
    """The checksum a multipart object gets when its upload completes (made before moto, which
    disposes of the parts, completes it)."""

    def __init__(self, algorithm: str, ctype: str, part_digests: Optional[List[Optional[bytes]]]) -> None:
        self.algorithm = algorithm
        self.ctype = ctype
        self.part_digests = part_digests

    @classmethod
    def before(cls, engine: MotoEngine, bucket: str, upload_id: str, body: bytes) -> Optional["CompletionChecksum"]:
        upload = engine.stored_upload(bucket, upload_id)
        if upload is None:
            return None
        algorithm = upload.algorithm
        ctype = upload.type or ("COMPOSITE" if algorithm else "")
        digests: Optional[List[Optional[bytes]]] = None
        if algorithm and ctype == "COMPOSITE":
            bodies = engine.part_bodies(bucket, upload_id, [int(n) for n in _PART_NUMBER.findall(body)])
            if bodies is None:
                return None  # moto refuses this completion (InvalidPart)
            digests = [digest(algorithm, part) for part in bodies]
        return cls(algorithm, ctype, digests)

    def apply(self, engine: MotoEngine, bucket: str, key: str) -> None:
        """Keep the checksum with the completed object ``key``."""
        value: Optional[bytes] = None
        parts: Optional[int] = None
        if self.ctype == "COMPOSITE" and self.part_digests and None not in self.part_digests:
            value = digest(self.algorithm, b"".join(d for d in self.part_digests if d is not None))
            parts = len(self.part_digests)
        elif self.ctype == "FULL_OBJECT" and self.algorithm:
            data = engine.object_body(bucket, key)
            value = digest(self.algorithm, data) if data is not None else None
        stored = None
        if value is not None:
            stored = StoredChecksum(self.algorithm, base64.b64encode(value).decode("ascii"), self.ctype, parts)
        engine.set_checksum(bucket, key, stored)


def show_checksum(engine: MotoEngine, req: Request, resp: Response) -> None:
    """Write the checksum headers of a GetObject/HeadObject answer (see "checksums" above)."""
    for name in _SHOWN_CHECKSUMS:
        resp.headers.remove(name)
    if (req.header("x-amz-checksum-mode") or "").upper() != "ENABLED" or resp.status != 200:
        return
    if (req.method == "GET" and req.header("range")) or (req.method == "HEAD" and req.has_arg("partNumber")):
        return
    stored = engine.stored_object(req.bucket or "", req.key or "", req.args.get("versionId") or None)
    checksum = stored.checksum if stored is not None else None
    if checksum is None:
        return
    value = checksum.value
    if checksum.type == "COMPOSITE" and checksum.parts:
        value = "%s-%s" % (value, checksum.parts)
    resp.headers.set("x-amz-checksum-" + checksum.algorithm.lower(), value)
    if checksum.type:
        resp.headers.set("x-amz-checksum-type", checksum.type)


def composite_source(engine: MotoEngine, bucket: str, key: str) -> bool:
    stored = engine.stored_object(bucket, key)
    return bool(stored is not None and stored.checksum is not None and stored.checksum.type == "COMPOSITE")


def full_object_checksum_for_copy(engine: MotoEngine, bucket: str, key: str, resp: Response) -> None:
    """Replace the composite checksum moto copied onto the copy ``key`` with the checksum of its bytes."""
    stored = engine.stored_object(bucket, key)
    old = stored.checksum if stored is not None else None
    algorithm = old.algorithm.lower() if old is not None else ""
    data = engine.object_body(bucket, key) if algorithm else None
    raw = digest(algorithm, data) if data is not None else None
    new: Optional[str] = base64.b64encode(raw).decode("ascii") if raw is not None else None
    engine.set_checksum(bucket, key, StoredChecksum(old.algorithm, new, "FULL_OBJECT") if old and new else None)
    if old is not None and resp.body:
        element = "Checksum" + algorithm.upper()
        pattern = re.compile(("<%s>%s</%s>" % (element, re.escape(old.value), element)).encode("ascii"))
        replacement = ("<%s>%s</%s>" % (element, new, element)).encode("ascii") if new else b""
        resp.body = pattern.sub(replacement, resp.body)
