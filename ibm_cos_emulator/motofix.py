"""Where moto answers differently from COS, and the COS SDK guide depends on the COS answer.

* ListObjectsV2 with an empty ``continuation-token`` means "from the start" (moto: 400).
* DeleteObjects with ``<Quiet>true</Quiet>`` lists no ``Deleted`` keys (moto lists them).
* CompleteMultipartUpload with an unknown upload id is 404 NoSuchUpload (moto: 500).
* CreateBucket accepts COS location constraints such as ``us-south-standard`` (the COS layer
  keeps the location; moto is asked to create a plain bucket).
* Errors carry COS's ``Resource``/``RequestId``/``httpStatusCode`` elements.
* HeadObject with checksum mode gives a multipart object's composite checksum as
  ``<b64>-<parts>`` with ``x-amz-checksum-type: COMPOSITE``, as GetObject does (moto: bare value).
* CopyObject of an object with a composite (per-part) checksum gives the copy -- a single-part
  object -- the full-object checksum of its bytes (moto copies the composite value without its
  part count, which then reads as a wrong full-object checksum).
"""
from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .checksums import ALGORITHMS, _crc32c
from .engine import MotoEngine
from .errors import CosError, error_response
from .wire import Headers, Request, Response, xml_response
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
    return engine.forward(req, body=b"", headers=without_body_headers(req.headers, cos_headers))


def require_upload(engine: MotoEngine, bucket: str, key: str, upload_id: str) -> bool:
    """True when the upload is open; False when it was already completed into ``key`` (moto then
    answers idempotently); raises 404 NoSuchUpload otherwise."""
    if engine.has_upload(bucket, upload_id):
        return True
    existing = engine.object(bucket, key)
    if existing is not None and getattr(getattr(existing, "multipart", None), "id", None) == upload_id:
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


def cos_style_error(req: Request, resp: Response) -> Response:
    """Re-render moto's error body the way COS writes errors (Resource, RequestId, httpStatusCode)."""
    try:
        root = ET.fromstring(resp.body)
    except ET.ParseError:
        return resp
    code = root.findtext("Code") or "InternalError"
    message = root.findtext("Message") or ""
    extra: Dict[str, str] = {}
    for child in root:
        if child.tag not in ("Code", "Message", "RequestId", "HostId", "RequestID", "Resource") and len(child) == 0:
            extra[child.tag] = child.text or ""
    fixed = error_response(resp.status, code, message, req, **extra)
    for name, value in resp.headers.items():
        if name.lower() not in ("content-type", "content-length"):
            fixed.headers.setdefault(name, value)
    return fixed


def qualify_head_checksum(key: Any, resp: Response) -> None:
    """Give HeadObject's composite checksum its ``-<parts>`` suffix and checksum type."""
    algorithm = getattr(key, "checksum_algorithm", None)
    if not algorithm or getattr(key, "checksum_type", None) != "COMPOSITE":
        return
    name = "x-amz-checksum-" + algorithm.lower()
    value = resp.headers.get(name)
    if value and "-" not in value:
        resp.headers.set(name, "%s-%s" % (value, key.checksum_parts))
        resp.headers.set("x-amz-checksum-type", "COMPOSITE")


def composite_source(key: Any) -> bool:
    return bool(key is not None and getattr(key, "checksum_value", None)
                and getattr(key, "checksum_type", None) == "COMPOSITE")


def full_object_checksum_for_copy(copy: Any, resp: Response) -> None:
    """Replace the composite checksum moto copied onto ``copy`` with the checksum of its bytes."""
    algorithm = (getattr(copy, "checksum_algorithm", None) or "").lower()
    old = getattr(copy, "checksum_value", None)
    func = _crc32c if algorithm == "crc32c" else ALGORITHMS.get(algorithm)
    new: Optional[str] = base64.b64encode(func(copy.value)).decode("ascii") if func is not None else None
    copy.checksum_value = new
    copy.checksum_type = "FULL_OBJECT" if new else None
    copy.checksum_parts = None
    if new is None:
        copy.checksum_algorithm = None
    if old and resp.body:
        element = "Checksum" + algorithm.upper()
        pattern = re.compile(("<%s>%s</%s>" % (element, re.escape(old), element)).encode("ascii"))
        replacement = ("<%s>%s</%s>" % (element, new, element)).encode("ascii") if new else b""
        resp.body = pattern.sub(replacement, resp.body)
