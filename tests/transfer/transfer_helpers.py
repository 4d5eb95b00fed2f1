"""Helpers shared by the transfer test modules (a module of its own: test modules must not
import ``conftest``, whose name clashes with the other test directories' conftest files)."""
from __future__ import annotations

from typing import Any

MB = 1024 * 1024


def make_client(emu: Any, **config: Any) -> Any:
    import ibm_boto3
    from ibm_botocore.client import Config

    return ibm_boto3.client(
        "s3",
        aws_access_key_id=emu.access_key_id,
        aws_secret_access_key=emu.secret_access_key,
        endpoint_url=emu.endpoint_url,
        config=Config(**config) if config else None,
    )


def no_uploads_left(client: Any, bucket: str) -> bool:
    return not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
