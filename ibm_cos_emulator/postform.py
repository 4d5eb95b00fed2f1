"""Browser-style POST uploads: multipart/form-data parsing and POST policy conditions."""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from .errors import CosError, invalid_argument
from .wire import parse_timestamp


@dataclass
class PostForm:
    fields: Dict[str, str] = field(default_factory=dict)  # original field names
    file: Optional[bytes] = None
    filename: str = ""
    file_content_type: Optional[str] = None

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        lname = name.lower()
        for key, value in self.fields.items():
            if key.lower() == lname:
                return value
        return default


def _boundary(content_type: str) -> bytes:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary":
            return value.strip().strip('"').encode("latin-1")
    raise CosError(400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")


def _disposition(header_value: str) -> Dict[str, str]:
    params: Dict[str, str] = {}
    for item in header_value.split(";")[1:]:
        name, _, value = item.strip().partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return params


def parse_form(content_type: str, body: bytes) -> PostForm:
    """Split a multipart/form-data body into fields and the ``file`` part."""
    boundary = b"--" + _boundary(content_type)
    form = PostForm()
    for chunk in body.split(boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers: Dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disp = _disposition(headers.get("content-disposition", ""))
        name = disp.get("name", "")
        if name.lower() == "file":
            form.file = content
            form.filename = disp.get("filename", "")
            form.file_content_type = headers.get("content-type")
            break  # fields after the file are ignored, as S3 does
        form.fields[name] = content.decode("utf-8", "replace")
    if form.file is None:
        raise invalid_argument("POST requires exactly one file upload per request.", ArgumentName="file",
                               ArgumentValue="0")
    return form


def _policy_failure(detail: str) -> CosError:
    return CosError(403, "AccessDenied", f"Invalid according to Policy: {detail}")


def check_policy(form: PostForm, bucket: str, key: str, now_ts: float) -> None:
    """Enforce the POST policy's expiration and conditions."""
    policy_b64 = form.get("policy") or ""
    try:
        policy = json.loads(base64.b64decode(policy_b64, validate=True))
    except (binascii.Error, ValueError):
        raise invalid_argument("Invalid Policy: Invalid JSON.", ArgumentName="policy",
                               ArgumentValue="") from None
    expiration = policy.get("expiration")
    if not expiration:
        raise invalid_argument("Invalid Policy: Policy missing expiration.", ArgumentName="policy",
                               ArgumentValue="")
    try:
        if parse_timestamp(str(expiration)).timestamp() < now_ts:
            raise _policy_failure("Policy expired.")
    except ValueError:
        raise invalid_argument("Invalid Policy: Invalid 'expiration' value.", ArgumentName="policy",
                               ArgumentValue="") from None
    values = {k.lower(): v for k, v in form.fields.items()}
    values["bucket"] = bucket
    values["key"] = key
    size = len(form.file or b"")
    for cond in policy.get("conditions", []):
        checks: List[tuple] = []
        if isinstance(cond, dict):
            checks = [("eq", f"${k}", v) for k, v in cond.items()]
        elif isinstance(cond, list) and len(cond) == 3:
            if str(cond[0]).lower() == "content-length-range":
                low, high = int(cond[1]), int(cond[2])
                if not low <= size <= high:
                    raise CosError(400, "EntityTooLarge" if size > high else "EntityTooSmall",
                                   "Your proposed upload is outside the content-length-range of the policy.")
                continue
            checks = [(str(cond[0]).lower(), str(cond[1]), cond[2])]
        for op, name, expected in checks:
            field_name = name.lstrip("$").lower()
            actual = values.get(field_name, "")
            if op == "eq" and str(actual) != str(expected):
                raise _policy_failure(f"Policy Condition failed: [\"eq\", \"${field_name}\", \"{expected}\"]")
            if op == "starts-with" and not str(actual).startswith(str(expected)):
                raise _policy_failure(
                    f"Policy Condition failed: [\"starts-with\", \"${field_name}\", \"{expected}\"]")
