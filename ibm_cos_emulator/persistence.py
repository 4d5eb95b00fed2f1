"""Saving and restoring the emulator's state in a directory.

The state (moto's S3 backend of this emulator's account, the COS layer, the IAM tables) is
pickled to ``state.pickle``; object bodies of 64 KiB and more go to content-addressed files
under ``blobs/`` so a snapshot after each change rewrites only metadata and new data.
Every file is written to a temporary name and renamed into place.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import tempfile
from typing import Any, Dict, Optional, Set

BLOB_MIN = 64 * 1024
STATE_FILE = "state.pickle"
CREDENTIALS_FILE = "credentials.json"
FORMAT = 1


def _atomic_write(path: str, data: bytes, mode: int = 0o644) -> None:
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class _BlobPickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, store: "Snapshots") -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.store = store
        self.used: Set[str] = set()

    def persistent_id(self, obj: Any) -> Optional[tuple]:  # noqa: D401 - pickle hook
        if type(obj) is bytes and len(obj) >= BLOB_MIN:
            digest = self.store.put_blob(obj)
            self.used.add(digest)
            return ("blob", digest)
        return None


class _BlobUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, store: "Snapshots") -> None:
        super().__init__(file)
        self.store = store

    def persistent_load(self, pid: Any) -> Any:  # noqa: D401 - pickle hook
        kind, digest = pid
        if kind != "blob":
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        return self.store.get_blob(digest)


class Snapshots:
    """A data directory holding one snapshot of the emulator state."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.blob_dir = os.path.join(self.data_dir, "blobs")
        os.makedirs(self.blob_dir, exist_ok=True)
        self._known: Set[str] = set(os.listdir(self.blob_dir))

    # -- blobs ------------------------------------------------------------------------------
    def put_blob(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if digest not in self._known:
            _atomic_write(os.path.join(self.blob_dir, digest), data, 0o600)
            self._known.add(digest)
        return digest

    def get_blob(self, digest: str) -> bytes:
        with open(os.path.join(self.blob_dir, digest), "rb") as fh:
            return fh.read()

    def _collect(self, used: Set[str]) -> None:
        for name in list(self._known - used):
            if name.startswith(".tmp-"):
                continue
            try:
                os.unlink(os.path.join(self.blob_dir, name))
            except OSError:
                pass
            self._known.discard(name)

    # -- state ------------------------------------------------------------------------------
    def save(self, state: Dict[str, Any]) -> None:
        buf = io.BytesIO()
        pickler = _BlobPickler(buf, self)
        pickler.dump({"format": FORMAT, **state})
        _atomic_write(os.path.join(self.data_dir, STATE_FILE), buf.getvalue(), 0o600)
        self._collect(pickler.used)

    def load(self) -> Optional[Dict[str, Any]]:
        path = os.path.join(self.data_dir, STATE_FILE)
        if not os.path.exists(path):
            return None
        with open(path, "rb") as fh:
            data = _BlobUnpickler(io.BytesIO(fh.read()), self).load()
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RuntimeError(f"{path}: not an ibm_cos_emulator snapshot of format {FORMAT}")
        return data

    # -- generated credentials ------------------------------------------------------------------
    def load_credentials(self) -> Optional[Dict[str, Any]]:
        path = os.path.join(self.data_dir, CREDENTIALS_FILE)
        if not os.path.exists(path):
            return None
        with open(path, "r", encoding="utf-8") as fh:
            return json.load(fh)

    def save_credentials(self, creds: Dict[str, Any]) -> None:
        _atomic_write(os.path.join(self.data_dir, CREDENTIALS_FILE),
                      json.dumps(creds, indent=2).encode("utf-8"), 0o600)
