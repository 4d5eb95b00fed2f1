"""Helpers of the directory-engine and Aspera tests (a module of its own: test modules must
not import ``conftest``)."""
from __future__ import annotations

import filecmp
import os
import time
from typing import Any, Dict, Iterable, List, Optional

KB = 1024
MB = 1024 * 1024


def make_tree(root: str, files: Dict[str, int], seed: int = 0) -> Dict[str, bytes]:
    """Write ``{relative path: size}`` under ``root`` (random bytes); returns path -> data."""
    written = {}
    for relative, size in files.items():
        path = os.path.join(root, *relative.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = os.urandom(size)
        with open(path, "wb") as handle:
            handle.write(data)
        written[relative] = data
    return written


def tree_files(root: str) -> Dict[str, bytes]:
    """Every file under ``root`` as relative path ('/') -> bytes."""
    found = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            found[os.path.relpath(path, root).replace(os.sep, "/")] = open(path, "rb").read()
    return found


def same_trees(left: str, right: str) -> bool:
    compare = filecmp.dircmp(left, right)
    return tree_files(left) == tree_files(right) and not compare.left_only and not compare.right_only


def objects(client: Any, bucket: str, prefix: str = "") -> Dict[str, bytes]:
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            found[entry["Key"]] = client.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
    return found


def open_uploads(client: Any, bucket: str) -> List[Any]:
    return client.list_multipart_uploads(Bucket=bucket).get("Uploads") or []


def count_requests(emu: Any, method: str, bucket: str, keys: Iterable[str], query: Optional[str] = None) -> Dict[str, Any]:
    """Count, at the emulator, the ``method`` requests on each key (a zero delay fault rule
    per key that fires every time; ``rule.hits`` is the count)."""
    import re

    return {key: emu.faults.delay(0.0, times=None, method=method, path="^/%s/%s$" % (re.escape(bucket), re.escape(key)), query=query)
            for key in keys}


def leftovers(directory: str) -> List[str]:
    """Temporary download files (``<name>.<8 hex digits>``) under ``directory``."""
    import re

    pattern = re.compile(r"\.[0-9a-f]{8}$")
    return [os.path.join(d, n) for d, _s, names in os.walk(directory) for n in names if pattern.search(n)]


def slow_tree(emu, bucket, tmp_path, files=3, parts=3, delay=0.25, part_size=5 * MB):
    """A tree of ``files`` files of ``parts`` parts of ``part_size``; each part PUT (to prefix ``p/``) is
    delayed by ``delay`` s at the emulator and counted there: returns (dir, data, {(name, part): rule})."""
    src = str(tmp_path / "src")
    data = make_tree(src, {"f%d.bin" % i: parts * part_size for i in range(files)})
    rules = {}
    for name in data:
        for number in range(1, parts + 1):
            rules[(name, number)] = emu.faults.delay(delay, times=None, method="PUT", path="^/%s/p/%s$" % (bucket, name),
                                                     query="partNumber=%d" % number)
    return src, data, rules


def wait_until(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
