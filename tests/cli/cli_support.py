"""Helpers of the ``cos`` command-line tests: a runner of the real ``cos`` process
(``python -m ibm_boto3``) against the session emulator, with a private HOME so no user
configuration leaks in, and file-tree helpers. (A module of its own: test modules must not
import ``conftest``, whose name every test directory shares.)"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Dict, List, Optional

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class CosRunner:
    """Runs ``cos`` in a subprocess with HMAC keys and the emulator's endpoint in the environment."""

    def __init__(self, emulator: Any, home: str) -> None:
        self.emulator = emulator
        self.home = home
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "IBM_", "COS_")) and k not in ("HOME", "PYTHONPATH")}
        env.update(HOME=home, COS_ENDPOINT_URL=emulator.endpoint_url, PYTHONPATH=REPO,
                   AWS_ACCESS_KEY_ID=emulator.access_key_id, AWS_SECRET_ACCESS_KEY=emulator.secret_access_key,
                   PYTHONIOENCODING="utf-8")
        self.env = env

    def command(self, *args: str) -> List[str]:
        return [sys.executable, "-m", "ibm_boto3", *args]

    def __call__(self, *args: str, input: Optional[bytes] = None, env: Optional[Dict[str, str]] = None,
                 cwd: Optional[str] = None, timeout: float = 120) -> subprocess.CompletedProcess:
        full_env = dict(self.env)
        for key, value in (env or {}).items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
        return subprocess.run(self.command(*args), input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=full_env, cwd=cwd or self.home, timeout=timeout)

    def ok(self, *args: str, **kwargs: Any) -> str:
        proc = self(*args, **kwargs)
        assert proc.returncode == 0, (args, proc.returncode, proc.stderr.decode("utf-8", "replace"))
        return proc.stdout.decode("utf-8")

    def json(self, *args: str, **kwargs: Any) -> List[Dict[str, Any]]:
        return [json.loads(line) for line in self.ok("--json", *args, **kwargs).splitlines() if line]

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.env, cwd=self.home, **kwargs)


def keys(client: Any, bucket: str, prefix: str = "") -> List[str]:
    found: List[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found.extend(entry["Key"] for entry in page.get("Contents", ()))
    return sorted(found)


def make_tree(root: Any, files: Dict[str, bytes]) -> None:
    for relative, data in files.items():
        path = root.joinpath(*relative.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def read_tree(root: Any) -> Dict[str, bytes]:
    out: Dict[str, bytes] = {}
    for dirpath, _, files in os.walk(str(root)):
        for name in files:
            full = os.path.join(dirpath, name)
            out[os.path.relpath(full, str(root)).replace(os.sep, "/")] = open(full, "rb").read()
    return out


TREE = {
    "top.txt": b"top level\n",
    "empty.bin": b"",
    "a/b/c/deep.txt": b"deep " * 100,
    "a/b/sibling.json": b'{"k": 1}',
    "docs/r\u00e9sum\u00e9.txt": "r\u00e9sum\u00e9 \u2713".encode("utf-8"),
    "\u65e5\u672c/\u6587\u66f8 1.md": "\u3053\u3093\u306b\u3061\u306f".encode("utf-8"),
    "logs/app.log": b"log line\n" * 50,
    "logs/old/app.1.log": b"older\n",
}
