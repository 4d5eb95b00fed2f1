"""Helpers shared by the core tests (kept out of conftest.py so test modules can import them)."""
from __future__ import annotations

import socket
import uuid
from typing import Any, Dict, List

import ibm_boto3

ACCESS_KEY = "AKIDCORETESTS000EXAMPLE"
SECRET_KEY = "coreTestsSecret/EXAMPLE+0000000000000000"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_client(endpoint_url: str, **kwargs: Any) -> Any:
    return ibm_boto3.client(
        "s3",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        endpoint_url=endpoint_url,
        **kwargs,
    )


def empty_bucket(s3: Any, name: str) -> None:
    uploads = s3.list_multipart_uploads(Bucket=name).get("Uploads", [])
    for upload in uploads:
        s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    versions = s3.list_object_versions(Bucket=name)
    doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])]
    while doomed:
        s3.delete_objects(Bucket=name, Delete={"Objects": doomed[:1000], "Quiet": True})
        doomed = doomed[1000:]


def unique_bucket_name(prefix: str = "core") -> str:
    return "%s-%s" % (prefix, uuid.uuid4().hex[:20])


class RequestRecorder:
    """Counts (and keeps) every request a client is about to send, via ``before-send``."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []

    def __call__(self, request: Any = None, **kwargs: Any) -> None:
        body = request.body
        self.requests.append({
            "method": request.method,
            "url": request.url,
            "headers": dict(request.headers.items()),
            "body": bytes(body) if isinstance(body, (bytes, bytearray)) else None,
        })
        return None  # let the request go on

    def __len__(self) -> int:
        return len(self.requests)
