"""The S3 engine: moto's S3 WSGI app, called in-process for one isolated moto account.

Requests reach moto path-style on a fixed host, without the caller's credentials (they
were checked already), tagged with this emulator's own moto account id so several
emulators in one process do not see each other's buckets.
"""
from __future__ import annotations

import io
import random
import sys
import threading
from typing import Any, Dict, List, Optional, Tuple

from .errors import error_response
from .sigv4 import uri_encode
from .wire import Headers, Request, Response

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


def _require_moto() -> None:
    try:
        import moto.s3  # noqa: F401
        import flask  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise RuntimeError(
            "ibm_cos_emulator needs moto's server components: pip install 'ibm-cos-sdk[emulator]' "
            "(or pip install 'moto[server]')"
        ) from exc


def new_account_id() -> str:
    return "".join(random.choice("0123456789") for _ in range(12))


class MotoEngine:
    """Forwards requests to moto's S3 app for one moto account and exposes its backend."""

    def __init__(self, account_id: Optional[str] = None) -> None:
        _require_moto()
        from moto.moto_server.werkzeug_app import create_backend_app

        self.account_id = account_id or new_account_id()
        with MOTO_LOCK:
            self._app = create_backend_app("s3")

    # -- backend access -----------------------------------------------------------------------
    @property
    def backend(self) -> Any:
        from moto.s3.models import s3_backends

        return s3_backends[self.account_id][PARTITION]

    def bucket(self, name: str) -> Any:
        """moto's bucket object, only if it belongs to this emulator."""
        return self.backend.buckets.get(name)

    def bucket_taken(self, name: str) -> bool:
        """Is the name used by any account (bucket names are global)?"""
        from moto.s3.models import s3_backends

        return name in self.backend.buckets or name in s3_backends.bucket_accounts

    def object(self, bucket: str, key: str, version_id: Optional[str] = None) -> Any:
        b = self.bucket(bucket)
        if b is None:
            return None
        try:
            found = b.keys.get(key)
            if version_id is not None:
                found = next((v for v in b.keys.getlist(key, []) if str(v.version_id) == version_id), None)
        except Exception:  # noqa: BLE001 - moto raises on some odd lookups
            return None
        if found is not None and type(found).__name__ == "FakeDeleteMarker":
            return None
        return found

    def has_upload(self, bucket: str, upload_id: str) -> bool:
        b = self.bucket(bucket)
        return b is not None and upload_id in b.multiparts

    def bucket_list(self) -> List[Tuple[str, Any]]:
        return [(name, b.creation_date) for name, b in sorted(self.backend.buckets.items())]

    def reset(self) -> None:
        """Forget every bucket of this account (other accounts in the process are untouched)."""
        from moto.core.base_backend import BaseBackend

        with MOTO_LOCK:
            backend = self.backend
            self._dispose(backend)
            BaseBackend.reset(backend)

    @staticmethod
    def _dispose(backend: Any) -> None:
        from moto.s3.models import s3_backends

        for name, bucket in list(backend.buckets.items()):
            for key in list(bucket.keys.values()):
                try:
                    key.dispose()
                except Exception:  # noqa: BLE001
                    pass
            for upload in list(bucket.multiparts.values()):
                try:
                    upload.dispose()
                except Exception:  # noqa: BLE001
                    pass
            s3_backends.bucket_accounts.pop(name, None)

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
            from .motofix import cos_style_error

            resp = cos_style_error(req, resp)
        hdrs = resp.headers
        hdrs.set("x-amz-request-id", req.request_id)
        hdrs.set("x-clv-request-id", req.request_id)
        return resp

