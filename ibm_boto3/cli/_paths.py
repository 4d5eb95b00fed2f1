"""What a command-line path names: an object or prefix (``cos://bucket/key``, ``s3://`` too),
a local file or directory, or ``-`` (stdin / stdout)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Union

SCHEMES = ("cos://", "s3://")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class UsageError(Exception):
    """Bad command-line input: reported in one line, exit status 2."""


@dataclass(frozen=True)
class Remote:
    bucket: str
    key: str = ""

    def __str__(self) -> str:
        return "cos://%s/%s" % (self.bucket, self.key)

    def child(self, relative: str) -> "Remote":
        """The object ``relative`` below this prefix (read as a folder)."""
        return Remote(self.bucket, folder(self.key) + relative)


@dataclass(frozen=True)
class Local:
    path: str

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True)
class Stream:
    """``-``: stdin as a source, stdout as a destination."""

    def __str__(self) -> str:
        return "-"


Location = Union[Remote, Local, Stream]


def parse(text: str) -> Location:
    if text == "-":
        return Stream()
    lowered = text[:6].lower()
    for scheme in SCHEMES:
        if lowered.startswith(scheme):
            rest = text[len(scheme):]
            bucket, _, key = rest.partition("/")
            if not bucket:
                raise UsageError("%r names no bucket (expected cos://BUCKET/KEY)" % text)
            return Remote(bucket, key)
    if _SCHEME.match(text) and not os.path.exists(text):
        raise UsageError("%r: unknown scheme (use cos://BUCKET/KEY, s3://BUCKET/KEY or a local path)" % text)
    return Local(text)


def parse_remote(text: str, what: str = "path") -> Remote:
    location = parse(text)
    if not isinstance(location, Remote):
        raise UsageError("%s %r must be cos://BUCKET[/KEY]" % (what, text))
    return location


def folder(prefix: str) -> str:
    """A key prefix read as a folder: ``""`` or ending in ``/``."""
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def parse_size(text: str) -> int:
    """``8MB``, ``64MiB``, ``1g``, ``1048576`` -> bytes (K/M/G/T are powers of 1024, as in ``aws``)."""
    value = text.strip().lower().replace(" ", "")
    for suffix in ("ib", "b"):
        if value.endswith(suffix) and value[:-len(suffix)][-1:].isalpha():
            value = value[:-len(suffix)]
            break
    scale = 1
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    if value[-1:] in units:
        scale = units[value[-1]]
        value = value[:-1]
    elif value.endswith("b"):
        value = value[:-1]
    try:
        number = float(value)
    except ValueError:
        raise UsageError("%r is not a size (examples: 8MB, 64MiB, 1048576)" % text) from None
    if number <= 0:
        raise UsageError("%r: a size must be positive" % text)
    return int(number * scale)
