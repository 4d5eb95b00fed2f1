"""COS-style S3 errors: one exception type and the XML body COS sends for it."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Dict, Optional

from .wire import Request, Response, xml_response
from .xmlutil import parse, render


class CosError(Exception):
    """An S3/COS error answer: HTTP status, error code and message."""

    def __init__(self, status: int, code: str, message: str, **extra: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra: Dict[str, str] = dict(extra)

    def to_response(self, req: Optional[Request]) -> Response:
        return error_response(self.status, self.code, self.message, req, **self.extra)


def error_response(status: int, code: str, message: str, req: Optional[Request], **extra: str) -> Response:
    """``<Error><Code/><Message/><Resource/><RequestId/><httpStatusCode/></Error>`` as COS sends it."""
    content: Dict[str, object] = {"Code": code, "Message": message}
    content.update(extra)
    content["Resource"] = req.resource if req is not None else "/"
    request_id = req.request_id if req is not None else ""
    content["RequestId"] = request_id
    content["httpStatusCode"] = status
    resp = xml_response(status, render("Error", content, xmlns=None))
    if request_id:
        resp.headers.set("x-amz-request-id", request_id)
        resp.headers.set("x-clv-request-id", request_id)
    if req is not None and req.method == "HEAD":
        resp.content_length = len(resp.body)
        resp.body = b""
    return resp


def cos_style_error(req: Request, resp: Response) -> Response:
    """Re-render an S3-style error body the way COS writes errors (Resource, RequestId, httpStatusCode)."""
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


# Frequently used errors -------------------------------------------------------------------

def access_denied(message: str = "Access Denied") -> CosError:
    return CosError(403, "AccessDenied", message)


def invalid_argument(message: str, **extra: str) -> CosError:
    return CosError(400, "InvalidArgument", message, **extra)


def invalid_request(message: str) -> CosError:
    return CosError(400, "InvalidRequest", message)


def malformed_xml() -> CosError:
    return CosError(400, "MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our published schema.")


def request_document(body: bytes, root_tag: str) -> "ET.Element":
    """The parsed request body, which must be an XML document rooted at ``root_tag`` (else MalformedXML)."""
    try:
        root = parse(body)
    except ValueError:
        raise malformed_xml() from None
    if root.tag != root_tag:
        raise malformed_xml()
    return root


def no_such_bucket(bucket: str) -> CosError:
    return CosError(404, "NoSuchBucket", "The specified bucket does not exist.", BucketName=bucket)


def no_such_key(key: str) -> CosError:
    return CosError(404, "NoSuchKey", "The specified key does not exist.", Key=key)


def protected_object() -> CosError:
    return CosError(403, "AccessDenied",
                    "Access Denied: the object is protected by a retention period or a legal hold "
                    "and cannot be deleted or overwritten.")


__all__ = [
    "CosError", "error_response", "cos_style_error", "access_denied", "invalid_argument", "invalid_request",
    "malformed_xml", "no_such_bucket", "no_such_key", "protected_object",
]
