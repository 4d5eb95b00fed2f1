"""Helpers of the Aspera package."""
from __future__ import annotations

import os
from typing import Any, NamedTuple


class FilePair(NamedTuple):
    """An object key and the local file (or directory) it pairs with."""

    key: str
    fileobj: Any


def check_io_access(ioobj: str, access: int, is_file: bool = False) -> None:
    """Raise IOError unless ``ioobj`` exists (as a file when ``is_file``) with ``access``."""
    kind = "File" if is_file else "Directory"
    if (is_file and not os.path.isfile(ioobj)) or not os.access(ioobj, access):
        raise IOError("Error accessing %s: %s" % (kind, ioobj))
