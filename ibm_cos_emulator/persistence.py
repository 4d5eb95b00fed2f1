"""The data directory (``--data-dir``): SQLite metadata plus content-addressed blob files.

Format (version 1; ``PRAGMA user_version`` of ``state.db``):

``meta(name, value)``
    ``format``, the moto ``account_id`` and the IAM token-signing ``iam_secret`` (hex).
``buckets(name, engine, cos)``
    one row per bucket: its engine record (moto's bucket without its keys and uploads) and its
    COS metadata (instance, location, Key Protect, protection configuration).
``objects(bucket, key, versions, retention, tags)``
    one row per key: every version (object bodies by reference), COS retention, object tags.
``uploads(bucket, upload_id, key, engine)`` and ``parts(bucket, upload_id, part_number, engine)``
    open multipart uploads and their parts.
``tokens(kind, id, record, expires)``
    issued IAM access tokens (``kind`` "access", by token id) and refresh tokens (by SHA-256).

Bodies of ``INLINE_MAX`` bytes or more live in ``blobs/<2 hex>/<sha256>`` (written to a temporary
name, fsynced, renamed); smaller ones are inline. Engine records are JSON produced by a
data-only codec: plain values, dates, containers, and objects of allow-listed engine classes
rebuilt field by field (``cls.__new__`` + attributes: no constructor, no ``__reduce__``, no code
from the file is ever run). Unreferenced blobs are removed when the directory is opened.

Every change is one SQLite transaction (WAL journal) that touches only the rows of what the
request changed, so one object's write costs O(that object). A crash at any point leaves the
last committed state: blobs are in place before the rows that name them commit.

The directory must belong to the emulator's user and not be writable by group or others
(created 0700 when missing); anything else is refused, as are files in it owned by others.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import hashlib
import importlib
import json
import os
import sqlite3
import stat
import tempfile
import threading
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Set, Tuple

if TYPE_CHECKING:
    from .engine import MotoEngine

FORMAT = 1
DB_FILE = "state.db"
CREDENTIALS_FILE = "credentials.json"
INLINE_MAX = 4096
_BLOB_ATTR = "_ibm_cos_emulator_blob"  # a body's digest cached on the engine object

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, engine TEXT NOT NULL, cos TEXT);
CREATE TABLE IF NOT EXISTS objects (bucket TEXT NOT NULL, key TEXT NOT NULL, versions TEXT NOT NULL,
    retention TEXT, tags TEXT, PRIMARY KEY (bucket, key));
CREATE TABLE IF NOT EXISTS uploads (bucket TEXT NOT NULL, upload_id TEXT NOT NULL, key TEXT NOT NULL,
    engine TEXT NOT NULL, PRIMARY KEY (bucket, upload_id));
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key);
CREATE TABLE IF NOT EXISTS parts (bucket TEXT NOT NULL, upload_id TEXT NOT NULL, part_number INTEGER NOT NULL,
    engine TEXT NOT NULL, PRIMARY KEY (bucket, upload_id, part_number));
CREATE TABLE IF NOT EXISTS tokens (kind TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL,
    expires REAL NOT NULL, PRIMARY KEY (kind, id));
"""


class UnsafeDataDir(RuntimeError):
    """The data directory (or a file in it) could be written by another user."""


def check_private(path: str) -> None:
    """Refuse ``path`` unless it belongs to this user and nobody else can write to it."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeDataDir(f"{path}: a symbolic link; refusing to use it as emulator state")
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise UnsafeDataDir(f"{path}: owned by another user (uid {st.st_uid}); refusing to use it")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeDataDir(f"{path}: writable by group or others (mode {stat.S_IMODE(st.st_mode):o}); "
                            f"run chmod go-w on it")


# -- the data-only codec ------------------------------------------------------------------------------

class Codec:
    """JSON for engine records; bodies go to a :class:`BlobStore`.

    ``modules``: the module prefixes of the classes a record may hold; ``body_attribute``: the
    attribute of a record object that holds its body (a spooled file, stored as a blob).
    """

    def __init__(self, blobs: "BlobStore", modules: Tuple[str, ...], body_attribute: str) -> None:
        self.blobs = blobs
        self.modules = modules
        self.body_attribute = body_attribute
        self.used: Set[str] = set()

    def dumps(self, value: Any) -> str:
        return json.dumps(self.encode(value), separators=(",", ":"))

    def encode(self, v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [self.encode(x) for x in v]
        if type(v) is dict:
            if all(type(k) is str for k in v):
                return {"$d": {k: self.encode(x) for k, x in v.items()}}
            return {"$kv": [[self.encode(k), self.encode(x)] for k, x in v.items()]}
        if isinstance(v, tuple):
            return {"$t": [self.encode(x) for x in v]}
        if isinstance(v, (set, frozenset)):
            return {"$set": [self.encode(x) for x in v]}
        if isinstance(v, _dt.datetime):
            return {"$dt": v.isoformat()}
        if isinstance(v, _dt.date):
            return {"$date": v.isoformat()}
        if isinstance(v, (bytes, bytearray)):
            return self.body(bytes(v))
        if isinstance(v, tempfile.SpooledTemporaryFile):
            v.seek(0)
            return {"$file": self.body(v.read())}
        if isinstance(v, _LOCK_TYPES):
            return {"$lock": type(v).__name__}
        state = getattr(v, "__dict__", None)
        if state is not None and state.get(self.body_attribute) is not None:
            return self.encode_key(v)
        cls = type(v)
        name = f"{cls.__module__}:{cls.__qualname__}"
        if not cls.__module__.startswith(self.modules):
            raise TypeError(f"cannot store a {name}")
        out: Dict[str, Any] = {"$o": name}
        if isinstance(v, dict):
            out["$kv"] = [[self.encode(k), self.encode(x)] for k, x in dict.items(v)]
        if state is not None:
            out["$a"] = {k: self.encode(x) for k, x in state.items() if k != _BLOB_ATTR}
        return out

    def body(self, data: bytes) -> Dict[str, str]:
        if len(data) < INLINE_MAX:
            return {"$b": base64.b64encode(data).decode("ascii")}
        digest = self.blobs.put(data)
        self.used.add(digest)
        return {"$blob": digest}

    def encode_key(self, key: Any) -> Any:
        """An engine object with a body: the body's digest is cached on it, so rewriting a row
        that holds many versions hashes only the new ones."""
        buf = getattr(key, self.body_attribute, None)
        cached = getattr(key, _BLOB_ATTR, None)
        if buf is None:
            return self.encode(key)
        if cached is None:
            buf.seek(0)
            ref = self.body(buf.read())
            try:
                setattr(key, _BLOB_ATTR, ref)
            except AttributeError:
                pass
        else:
            ref = cached
            if "$blob" in ref:
                self.used.add(ref["$blob"])
        state = {k: x for k, x in key.__dict__.items() if k not in (_BLOB_ATTR, self.body_attribute)}
        encoded = {k: self.encode(x) for k, x in state.items()}
        encoded[self.body_attribute] = {"$file": ref}
        cls = type(key)
        return {"$o": f"{cls.__module__}:{cls.__qualname__}", "$a": encoded}

    # -- decoding --------------------------------------------------------------------------------------
    def loads(self, text: str) -> Any:
        return self.decode(json.loads(text))

    def decode(self, v: Any) -> Any:
        if isinstance(v, list):
            return [self.decode(x) for x in v]
        if not isinstance(v, dict):
            return v
        if "$d" in v:
            return {k: self.decode(x) for k, x in v["$d"].items()}
        if "$o" in v:
            return self._object(v)
        if "$kv" in v:
            return {_hashable(self.decode(k)): self.decode(x) for k, x in v["$kv"]}
        if "$t" in v:
            return tuple(self.decode(x) for x in v["$t"])
        if "$set" in v:
            return {_hashable(self.decode(x)) for x in v["$set"]}
        if "$dt" in v:
            return _dt.datetime.fromisoformat(v["$dt"])
        if "$date" in v:
            return _dt.date.fromisoformat(v["$date"])
        if "$b" in v:
            return base64.b64decode(v["$b"])
        if "$blob" in v:
            self.used.add(v["$blob"])
            return self.blobs.get(v["$blob"])
        if "$file" in v:
            data = self.decode(v["$file"])
            spool = tempfile.SpooledTemporaryFile(max_size=5 * 1024 * 1024)
            spool.write(data)
            spool.seek(0)
            return spool
        if "$lock" in v:
            return threading.RLock() if "RLock" in v["$lock"] else threading.Lock()
        raise ValueError(f"unknown stored value {sorted(v)[:3]}")

    def _object(self, v: Dict[str, Any]) -> Any:
        module_name, _, qualname = str(v["$o"]).partition(":")
        if not module_name.startswith(self.modules) or not qualname:
            raise ValueError(f"refusing to restore a {v['$o']}")
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
        if not isinstance(target, type):
            raise ValueError(f"{v['$o']} is not a class")
        cls: Any = target  # any class, restored without running its __init__
        obj = cls.__new__(cls)
        if "$kv" in v:
            dict.update(obj, {_hashable(self.decode(k)): self.decode(x) for k, x in v["$kv"]})
        if "$a" in v:
            obj.__dict__.update({k: self.decode(x) for k, x in v["$a"].items()})
            ref = v["$a"].get(self.body_attribute)
            if isinstance(ref, dict) and isinstance(ref.get("$file"), dict):
                obj.__dict__[_BLOB_ATTR] = ref["$file"]
        return obj


def _hashable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


# the lock types engine objects hold (stored as a fresh lock of the kind)
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


class BlobStore:
    """Content-addressed files under ``blobs/``."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        os.makedirs(directory, mode=0o700, exist_ok=True)

    def path(self, digest: str) -> str:
        return os.path.join(self.directory, digest[:2], digest)

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.path(digest)
        if os.path.exists(path):
            return digest
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return digest

    def get(self, digest: str) -> bytes:
        with open(self.path(digest), "rb") as fh:
            data = fh.read()
        if hashlib.sha256(data).hexdigest() != digest:
            raise ValueError(f"blob {digest} is damaged")
        return data

    def collect(self, used: Set[str]) -> int:
        removed = 0
        for sub in os.listdir(self.directory):
            folder = os.path.join(self.directory, sub)
            if not os.path.isdir(folder):
                continue
            for name in os.listdir(folder):
                if name not in used:
                    try:
                        os.unlink(os.path.join(folder, name))
                        removed += 1
                    except OSError:
                        pass
        return removed


# -- COS metadata ---------------------------------------------------------------------------------------

def _cos_json(value: Any) -> Optional[str]:
    if value is None:
        return None

    def default(o: Any) -> Any:
        if isinstance(o, _dt.datetime):
            return {"$dt": o.isoformat()}
        raise TypeError(type(o).__name__)

    return json.dumps(dataclasses.asdict(value), default=default, separators=(",", ":"))


def _dates(v: Any) -> Any:
    if isinstance(v, dict):
        if set(v) == {"$dt"}:
            return _dt.datetime.fromisoformat(v["$dt"])
        return {k: _dates(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_dates(x) for x in v]
    return v


def _bucket_meta(text: str) -> Any:
    from .state import BucketMeta, Protection

    data = _dates(json.loads(text))
    prot = data.pop("protection", None)
    meta = BucketMeta(**data)
    meta.protection = Protection(**prot) if prot else None
    return meta


def _retention(text: str) -> Any:
    from .state import LegalHold, Retention

    data = _dates(json.loads(text))
    holds = [LegalHold(**h) for h in data.pop("legal_holds", [])]
    return Retention(legal_holds=holds, **data)


# -- the store -------------------------------------------------------------------------------------------

class Store:
    """One emulator's data directory."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir = os.path.abspath(data_dir)
        if not os.path.exists(self.data_dir):
            os.makedirs(self.data_dir, mode=0o700)
        check_private(self.data_dir)
        for name in (DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm", CREDENTIALS_FILE, "blobs"):
            path = os.path.join(self.data_dir, name)
            if os.path.lexists(path):
                check_private(path)
        self.blobs = BlobStore(os.path.join(self.data_dir, "blobs"))
        self._lock = threading.RLock()
        path = os.path.join(self.data_dir, DB_FILE)
        old_umask = os.umask(0o077)
        try:
            self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        finally:
            os.umask(old_umask)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, FORMAT):
            raise RuntimeError(f"{path}: emulator state of format {version}; this emulator reads format {FORMAT}")
        self.db.executescript(_SCHEMA)
        self.db.execute(f"PRAGMA user_version={FORMAT}")

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # -- transactions ----------------------------------------------------------------------------------
    def _tx(self, statements: Iterable[Tuple[str, Tuple[Any, ...]]]) -> None:
        with self._lock:
            cur = self.db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    cur.execute(sql, args)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def meta(self, name: str) -> Optional[str]:
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str) -> None:
        self._tx([("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))])

    # -- writing what a request changed -------------------------------------------------------------------
    def sync(self, engine: "MotoEngine", state: Any, bucket: str, keys: Iterable[str] = (), bucket_row: bool = False,
             uploads_for: Iterable[str] = (), part: Optional[Tuple[str, int]] = None) -> None:
        """Write the rows of ``bucket`` (when ``bucket_row``), its ``keys``, the uploads of the keys in
        ``uploads_for`` and one ``part`` (upload id, number) -- as the engine holds them now."""
        codec = _codec(self.blobs, engine)
        ops: List[Tuple[str, Tuple[Any, ...]]] = []
        if not engine.has_bucket(bucket):
            ops += [("DELETE FROM buckets WHERE name=?", (bucket,)), ("DELETE FROM objects WHERE bucket=?", (bucket,)),
                    ("DELETE FROM uploads WHERE bucket=?", (bucket,)), ("DELETE FROM parts WHERE bucket=?", (bucket,))]
            self._tx(ops)
            return
        if bucket_row:
            ops.append(("INSERT OR REPLACE INTO buckets VALUES (?, ?, ?)",
                        (bucket, codec.dumps(engine.bucket_record(bucket)), _cos_json(state.buckets.get(bucket)))))
        for key in keys:
            versions, version_tags = engine.key_record(bucket, key)
            if not versions:
                ops.append(("DELETE FROM objects WHERE bucket=? AND key=?", (bucket, key)))
                continue
            encoded = json.dumps([codec.encode(v) for v in versions], separators=(",", ":"))
            ops.append(("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?)",
                        (bucket, key, encoded, _cos_json(state.retention.get((bucket, key))),
                         json.dumps(version_tags) if version_tags else None)))
        for key in uploads_for:
            ops += self._upload_rows(codec, engine.upload_records(bucket, key), bucket, key)
        found = engine.part_record(bucket, part[0], part[1]) if part is not None else None
        if part is not None and found is not None:
            ops.append(("INSERT OR REPLACE INTO parts VALUES (?, ?, ?, ?)",
                        (bucket, part[0], part[1], json.dumps(codec.encode_key(found), separators=(",", ":")))))
        self._tx(ops)

    def _upload_rows(self, codec: Codec, current: Dict[str, Any], bucket: str,
                     key: str) -> List[Tuple[str, Tuple[Any, ...]]]:
        """Rows that make the stored uploads into ``key`` the ``current`` ones (by upload id)."""
        ops: List[Tuple[str, Tuple[Any, ...]]] = []
        with self._lock:
            stored = [r[0] for r in self.db.execute("SELECT upload_id FROM uploads WHERE bucket=? AND key=?",
                                                    (bucket, key))]
        for uid in stored:
            if uid not in current:
                ops += [("DELETE FROM uploads WHERE bucket=? AND upload_id=?", (bucket, uid)),
                        ("DELETE FROM parts WHERE bucket=? AND upload_id=?", (bucket, uid))]
        for uid, upload in current.items():
            ops.append(("INSERT OR REPLACE INTO uploads VALUES (?, ?, ?, ?)", (bucket, uid, key, codec.dumps(upload))))
        return ops

    def write_tokens(self, rows: Iterable[Tuple[str, str, str, float]], drop: Iterable[Tuple[str, str]] = ()) -> None:
        ops: List[Tuple[str, Tuple[Any, ...]]] = [("DELETE FROM tokens WHERE kind=? AND id=?", tuple(d)) for d in drop]
        ops += [("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?)", tuple(r)) for r in rows]
        self._tx(ops)

    def clear(self) -> None:
        self._tx([(f"DELETE FROM {t}", ()) for t in ("buckets", "objects", "uploads", "parts", "tokens")])

    # -- loading -------------------------------------------------------------------------------------------
    def load(self, engine: "MotoEngine", state: Any) -> Dict[str, Any]:
        """Rebuild the engine's buckets and the COS state; returns the token rows."""
        codec = _codec(self.blobs, engine)
        with self._lock:
            buckets = self.db.execute("SELECT name, engine, cos FROM buckets").fetchall()
            objects = self.db.execute("SELECT bucket, key, versions, retention, tags FROM objects").fetchall()
            uploads = self.db.execute("SELECT bucket, upload_id, engine FROM uploads").fetchall()
            parts = self.db.execute("SELECT bucket, upload_id, part_number, engine FROM parts").fetchall()
            tokens = self.db.execute("SELECT kind, id, record, expires FROM tokens").fetchall()
        for name, record, cos in buckets:
            engine.restore_bucket(name, codec.loads(record))
            if cos:
                state.buckets[name] = _bucket_meta(cos)
        for bucket_name, key, versions, retention, key_tags in objects:
            if not engine.has_bucket(bucket_name):
                continue
            engine.restore_key(bucket_name, key, [codec.decode(v) for v in json.loads(versions)],
                               json.loads(key_tags) if key_tags else {})
            if retention:
                state.retention[(bucket_name, key)] = _retention(retention)
        for bucket_name, upload_id, record in uploads:
            if engine.has_bucket(bucket_name):
                engine.restore_upload(bucket_name, upload_id, codec.loads(record))
        for bucket_name, upload_id, number, record in parts:
            if engine.has_upload(bucket_name, upload_id):
                engine.restore_part(bucket_name, upload_id, int(number), codec.loads(record))
        self.blobs.collect(codec.used)
        return {"tokens": tokens}

    # -- generated credentials ----------------------------------------------------------------------------
    def load_credentials(self) -> Optional[Dict[str, Any]]:
        path = os.path.join(self.data_dir, CREDENTIALS_FILE)
        if not os.path.exists(path):
            return None
        with open(path, "r", encoding="utf-8") as fh:
            return json.load(fh)

    def save_credentials(self, creds: Dict[str, Any]) -> None:
        path = os.path.join(self.data_dir, CREDENTIALS_FILE)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.data_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(creds, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)


def _codec(blobs: BlobStore, engine: "MotoEngine") -> Codec:
    return Codec(blobs, engine.RECORD_MODULES, engine.BODY_ATTRIBUTE)
