"""The S3 engine: moto's S3 WSGI app, called in-process for one isolated moto account.

Requests reach moto path-style on a fixed host, without the caller's credentials (they
were checked already), tagged with this emulator's own moto account id so several
emulators in one process do not see each other's buckets.

This is the only module that knows moto: every import of moto and every read or write of a
moto object (backend, bucket, key, upload, part) is inside a :class:`MotoEngine` method.
The rest of the emulator passes and gets :mod:`wire` values (``Request``/``Response``,
``StoredObject``, ``StoredChecksum``, ``StoredUpload``); the data directory gets opaque
*records* (``bucket_record`` ... ``restore_part``) that its data-only codec stores field by
field. moto keeps its state in module globals, so calls into it hold :data:`MOTO_LOCK`.
Tested against moto 5.0.28 to 5.2 (``setup.py`` pins ``>=5.0.28,<5.3``).
"""
from __future__ import annotations

import io
import random
import sys
import threading
from typing import Any, Dict, List, Optional, Tuple

from .errors import cos_style_error, error_response
from .sigv4 import uri_encode
from .wire import Headers, Request, Response, StoredChecksum, StoredObject, StoredUpload

MOTO_HOST = "s3.amazonaws.com"
PARTITION = "aws"
# moto skips its own auth checks; it only needs *an* Authorization header to treat requests as signed
_FAKE_AUTH = ("AWS4-HMAC-SHA256 Credential=IBMCOSEMULATOR/20000101/us-east-1/s3/aws4_request, "
              "SignedHeaders=host, Signature=0")
_DROP_REQUEST_HEADERS = {
    "authorization", "host", "content-length", "content-type", "x-amz-content-sha256",
    "x-amz-decoded-content-length", "transfer-encoding", "expect", "connection", "keep-alive",
    "x-moto-account-id", "x-amz-security-token", "proxy-connection",
}
PRESIGN_PARAMS = {
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
    "X-Amz-Signature", "X-Amz-Security-Token", "x-id", "AWSAccessKeyId", "Signature", "Expires",
}

# moto keeps its state in module globals: every call into it is serialized on this lock.
MOTO_LOCK = threading.RLock()


def new_account_id() -> str:
    return "".join(random.choice("0123456789") for _ in range(12))


def _shell(obj: Any, state: Dict[str, Any]) -> Any:
    """A stand-in with ``obj``'s class and the given attributes (a trimmed copy, for a record)."""
    cls: Any = type(obj)  # any class, copied without running its __init__
    clone = cls.__new__(cls)
    clone.__dict__.update(state)
    return clone


class MotoEngine:
    """moto's S3 app and backend for one moto account: the one place that knows moto.

    The COS layer forwards requests (:meth:`forward`) and reads or sets what it keeps beside
    moto's answers through the methods below, in the value types of :mod:`wire`; no moto object
    leaves this class except as an opaque *record* for the data directory (:mod:`persistence`).
    """

    # what a record may hold (persistence's codec refuses other classes) and the attribute of a
    # record object that holds its body (stored as a blob)
    RECORD_MODULES = ("moto.", "requests.structures", "collections", "werkzeug.datastructures")
    BODY_ATTRIBUTE = "_value_buffer"

    def __init__(self, account_id: Optional[str] = None) -> None:
        self._require_moto()
        from moto.moto_server.werkzeug_app import create_backend_app

        self.account_id = account_id or new_account_id()
        with MOTO_LOCK:
            self._app = create_backend_app("s3")

    @staticmethod
    def _require_moto() -> None:
        try:
            import moto.s3  # noqa: F401
            import flask  # noqa: F401
        except ImportError as exc:  # pragma: no cover - exercised only without the extra
            raise RuntimeError(
                "ibm_cos_emulator needs moto's server components: pip install 'ibm-cos-sdk[emulator]' "
                "(or pip install 'moto[server]')"
            ) from exc

    # -- moto's objects (private) -------------------------------------------------------------
    @property
    def _backend(self) -> Any:
        from moto.s3.models import s3_backends

        return s3_backends[self.account_id][PARTITION]

    def _bucket(self, name: str) -> Any:
        """moto's bucket object, only if it belongs to this emulator."""
        return self._backend.buckets.get(name)

    def _object(self, bucket: str, key: str, version_id: Optional[str] = None) -> Any:
        """moto's key (a version of it); None for none or a delete marker."""
        from moto.s3.models import FakeDeleteMarker

        b = self._bucket(bucket)
        if b is None:
            return None
        try:
            found = b.keys.get(key)
            if version_id is not None:
                found = next((v for v in b.keys.getlist(key, []) if str(v.version_id) == version_id), None)
        except Exception:  # noqa: BLE001 - moto raises on some odd lookups
            return None
        return None if isinstance(found, FakeDeleteMarker) else found

    def _upload(self, bucket: str, upload_id: str) -> Any:
        b = self._bucket(bucket)
        return b.multiparts.get(upload_id) if b is not None else None

    def _tags(self) -> Optional[Dict[str, Any]]:
        backend = self._backend
        return backend.tagger.tags if hasattr(backend, "tagger") else None

    # -- buckets --------------------------------------------------------------------------------
    def has_bucket(self, name: str) -> bool:
        return self._bucket(name) is not None

    def bucket_taken(self, name: str) -> bool:
        """Is the name used by any account (bucket names are global)?"""
        from moto.s3.models import s3_backends

        return name in self._backend.buckets or name in s3_backends.bucket_accounts

    def bucket_list(self) -> List[Tuple[str, Any]]:
        return [(name, b.creation_date) for name, b in sorted(self._backend.buckets.items())]

    def object_lock_enabled(self, bucket: str) -> bool:
        return bool(getattr(self._bucket(bucket), "object_lock_enabled", False))

    def versioning_enabled(self, bucket: str) -> bool:
        return getattr(self._bucket(bucket), "versioning_status", None) == "Enabled"

    # -- objects --------------------------------------------------------------------------------
    def has_object(self, bucket: str, key: str, version_id: Optional[str] = None) -> bool:
        return self._object(bucket, key, version_id) is not None

    def stored_object(self, bucket: str, key: str, version_id: Optional[str] = None) -> Optional[StoredObject]:
        """The object (a version of it), or None when there is none or it is a delete marker."""
        found = self._object(bucket, key, version_id)
        if found is None:
            return None
        algorithm = getattr(found, "checksum_algorithm", None)
        value = getattr(found, "checksum_value", None)
        checksum = None
        if algorithm and value:
            checksum = StoredChecksum(algorithm, value, getattr(found, "checksum_type", None),
                                      getattr(found, "checksum_parts", None))
        return StoredObject(getattr(found, "lock_mode", None), getattr(found, "lock_until", None),
                            getattr(getattr(found, "multipart", None), "id", None), checksum)

    def object_body(self, bucket: str, key: str) -> Optional[bytes]:
        found = self._object(bucket, key)
        return found.value if found is not None else None

    def set_checksum(self, bucket: str, key: str, checksum: Optional[StoredChecksum]) -> None:
        """Keep ``checksum`` with the object (in the fields moto 5.2 has, on every moto version)."""
        found = self._object(bucket, key)
        if found is None:
            return
        found.checksum_algorithm = checksum.algorithm if checksum else None
        found.checksum_value = checksum.value if checksum else None
        found.checksum_type = checksum.type if checksum else None
        found.checksum_parts = checksum.parts if checksum else None

    # -- multipart uploads ----------------------------------------------------------------------
    def has_upload(self, bucket: str, upload_id: str) -> bool:
        return self._upload(bucket, upload_id) is not None

    def stored_upload(self, bucket: str, upload_id: str) -> Optional[StoredUpload]:
        upload = self._upload(bucket, upload_id)
        if upload is None:
            return None
        return StoredUpload((upload.metadata.get("x-amz-checksum-algorithm") or "").upper(),
                            (upload.metadata.get("x-amz-checksum-type") or "").upper())

    def set_upload_checksum_type(self, bucket: str, upload_id: str, checksum_type: str) -> None:
        upload = self._upload(bucket, upload_id)
        if upload is not None:
            upload.metadata["x-amz-checksum-type"] = checksum_type

    def part_bodies(self, bucket: str, upload_id: str, numbers: List[int]) -> Optional[List[bytes]]:
        """The bodies of the upload's parts ``numbers``; None if the upload lacks one of them."""
        upload = self._upload(bucket, upload_id)
        parts = getattr(upload, "parts", {}) if upload is not None else {}
        if any(n not in parts for n in numbers):
            return None
        return [parts[n].value for n in numbers]

    def reset(self) -> None:
        """Forget every bucket of this account (other accounts in the process are untouched)."""
        from moto.core.base_backend import BaseBackend

        with MOTO_LOCK:
            backend = self._backend
            self._dispose(backend)
            BaseBackend.reset(backend)

    @staticmethod
    def _dispose(backend: Any) -> None:
        from moto.s3.models import s3_backends

        for name, bucket in list(backend.buckets.items()):
            for item in list(bucket.keys.values()) + list(bucket.multiparts.values()):
                try:
                    item.dispose()
                except Exception:  # noqa: BLE001
                    pass
            s3_backends.bucket_accounts.pop(name, None)

    # -- records for the data directory (opaque to everyone but persistence's codec) ------------
    def bucket_record(self, name: str) -> Optional[Dict[str, Any]]:
        """The bucket without its keys and uploads, with its tags; None when it is gone."""
        bucket = self._bucket(name)
        if bucket is None:
            return None
        state = dict(bucket.__dict__)
        state["keys"] = type(bucket.keys)()
        state["multiparts"] = type(bucket.multiparts)()
        out: Dict[str, Any] = {"bucket": _shell(bucket, state)}
        tags = self._tags() or {}
        arn = getattr(bucket, "arn", None)
        if arn in tags:
            out["tags"] = dict(tags[arn])
        return out

    def key_record(self, bucket: str, key: str) -> Tuple[List[Any], Dict[str, Dict[str, str]]]:
        """Every version of ``key`` (oldest first) and the tags of those that have any."""
        b = self._bucket(bucket)
        versions = list(dict.get(b.keys, key, [])) if b is not None else []
        tags = self._tags() or {}
        version_tags = {v.arn: dict(tags[v.arn]) for v in versions if getattr(v, "arn", None) in tags}
        return versions, version_tags

    def upload_records(self, bucket: str, key: str) -> Dict[str, Any]:
        """The open uploads into ``key`` by upload id, without their parts."""
        b = self._bucket(bucket)
        out: Dict[str, Any] = {}
        for upload_id, upload in (b.multiparts.items() if b is not None else ()):
            if upload.key_name == key:
                state = dict(upload.__dict__)
                state["parts"] = {}
                out[upload_id] = _shell(upload, state)
        return out

    def part_record(self, bucket: str, upload_id: str, number: int) -> Any:
        upload = self._upload(bucket, upload_id)
        return upload.parts.get(number) if upload is not None else None

    def restore_bucket(self, name: str, record: Dict[str, Any]) -> None:
        from moto.s3.models import s3_backends

        bucket = record["bucket"]
        self._backend.buckets[name] = bucket
        s3_backends.bucket_accounts[name] = (PARTITION, self.account_id)
        tags = self._tags()
        if tags is not None and record.get("tags"):
            tags[bucket.arn] = record["tags"]

    def restore_key(self, bucket: str, key: str, versions: List[Any], version_tags: Dict[str, Any]) -> None:
        dict.__setitem__(self._bucket(bucket).keys, key, versions)
        tags = self._tags()
        if tags is not None and version_tags:
            tags.update(version_tags)

    def restore_upload(self, bucket: str, upload_id: str, record: Any) -> None:
        self._bucket(bucket).multiparts[upload_id] = record

    def restore_part(self, bucket: str, upload_id: str, number: int, record: Any) -> None:
        self._upload(bucket, upload_id).parts[number] = record

    # -- forwarding ----------------------------------------------------------------------------
    def forward(self, req: Request, method: Optional[str] = None, raw_path: Optional[str] = None,
                query: Optional[List[Tuple[str, str]]] = None, body: Optional[bytes] = None,
                headers: Optional[Headers] = None) -> Response:
        """Send ``req`` (optionally altered) to moto and return its answer."""
        method = (method or req.method).upper()
        raw_path = raw_path if raw_path is not None else self.path_style_raw_path(req)
        pairs = [(k, v) for k, v in (query if query is not None else req.query) if k not in PRESIGN_PARAMS]
        query_string = "&".join(f"{uri_encode(k)}={uri_encode(v)}" if v != "" else uri_encode(k) for k, v in pairs)
        spooled = req.body_file if body is None else None
        payload = body if body is not None else (b"" if spooled is not None else req.body)
        hdrs = headers if headers is not None else req.headers
        environ = self._environ(method, raw_path, query_string, payload, hdrs)
        if spooled is not None:  # a large body streams from its temporary file
            spooled[0].seek(0)
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = spooled[0], str(spooled[1])
        captured: Dict[str, Any] = {}

        def start_response(status: str, response_headers: List[Tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            captured["headers"] = response_headers
            return lambda data: None

        try:
            with MOTO_LOCK:
                result = self._app(environ, start_response)
                try:
                    data = b"".join(result)
                finally:
                    close = getattr(result, "close", None)
                    if close:
                        close()
        except NotImplementedError as exc:
            return error_response(501, "NotImplemented", f"Not implemented by the emulator: {exc}", req)
        except Exception as exc:  # noqa: BLE001 - an engine failure must not kill the server
            return error_response(500, "InternalError",
                                  f"We encountered an internal error. Please try again. ({type(exc).__name__})", req)
        status = int(str(captured.get("status", "500")).split()[0])
        resp = Response(status=status, headers=Headers(captured.get("headers", [])), body=data)
        return self._tidy(req, method, resp)

    @staticmethod
    def path_style_raw_path(req: Request) -> str:
        if req.bucket is None:
            return "/"
        path = "/" + uri_encode(req.bucket)
        if req.key:
            path += "/" + uri_encode(req.key, keep_slash=True)
        return path

    def _environ(self, method: str, raw_path: str, query_string: str, body: bytes, headers: Headers) -> Dict[str, Any]:
        from urllib.parse import unquote

        path_info = unquote(raw_path).encode("utf-8").decode("latin-1")
        target = raw_path + ("?" + query_string if query_string else "")
        environ: Dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path_info,
            "QUERY_STRING": query_string,
            "RAW_URI": target,
            "REQUEST_URI": target,
            "SERVER_NAME": MOTO_HOST,
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_HOST": MOTO_HOST,
            "HTTP_AUTHORIZATION": _FAKE_AUTH,
            "HTTP_X_MOTO_ACCOUNT_ID": self.account_id,
            "HTTP_X_AMZ_CONTENT_SHA256": "UNSIGNED-PAYLOAD",
        }
        for name, value in headers.items():
            lname = name.lower()
            if lname == "content-type":
                environ["CONTENT_TYPE"] = value
                continue
            if lname in _DROP_REQUEST_HEADERS or "_" in lname:
                continue
            key = "HTTP_" + lname.upper().replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    @staticmethod
    def _tidy(req: Request, method: str, resp: Response) -> Response:
        hdrs = resp.headers
        for name in ("server", "x-amzn-requestid", "x-amz-id-2", "access-control-allow-origin"):
            if name == "access-control-allow-origin" and req.header("origin"):
                continue
            hdrs.remove(name)
        if method == "HEAD":
            length = hdrs.get("content-length")
            resp.content_length = int(length) if length and length.isdigit() else 0
            resp.body = b""
        elif not resp.body and (hdrs.get("content-type") or "").startswith("text/html"):
            hdrs.remove("content-type")
        hdrs.remove("content-length")
        if resp.status >= 300 and resp.body.lstrip().startswith(b"<?xml") and b"<Error>" in resp.body[:200]:
            resp = cos_style_error(req, resp)
        hdrs = resp.headers
        hdrs.set("x-amz-request-id", req.request_id)
        hdrs.set("x-clv-request-id", req.request_id)
        return resp

