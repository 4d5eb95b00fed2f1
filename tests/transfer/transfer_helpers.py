"""Helpers shared by the transfer test modules (a module of its own: test modules must not
import ``conftest``, whose name clashes with the other test directories' conftest files)."""
from __future__ import annotations

from typing import Any

MB = 1024 * 1024


def no_uploads_left(client: Any, bucket: str) -> bool:
    return not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
