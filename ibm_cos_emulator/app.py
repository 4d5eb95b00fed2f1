"""The request pipeline: faults -> IAM or (addressing -> auth -> COS layer -> moto) -> faults.

:class:`EmulatorApp` works on :class:`~ibm_cos_emulator.wire.Request` values (used by the
built-in HTTP server, which can also damage responses on the wire) and is a WSGI app too.
"""
from __future__ import annotations

import json
import logging
import time
import traceback
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import unquote

from .auth import Authenticator
from .cos import CosLayer
from .errors import CosError, error_response
from .faults import FaultRule, Faults
from .iam import TOKEN_PATH, IamService
from .wire import Headers, Request, Response, WireFault, reason_phrase

log = logging.getLogger("ibm_cos_emulator")
MUTATING = {"PUT", "POST", "DELETE"}
MAX_IAM_BODY = 64 * 1024
MAX_UNAUTHENTICATED_BODY = 16 * 1024 * 1024


class EmulatorApp:
    """Glue between the HTTP server and the emulator's layers."""

    def __init__(self, iam: IamService, auth: Authenticator, cos: CosLayer, faults: Faults,
                 virtual_host_bases: Sequence[str] = ("localhost",),
                 on_change: Optional[Callable[[Request], None]] = None) -> None:
        self.iam = iam
        self.auth = auth
        self.cos = cos
        self.faults = faults
        self.virtual_host_bases = [b.lower() for b in virtual_host_bases if b]
        self.on_change = on_change

    # -- pipeline ------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        try:
            return self._handle(req)
        except Exception:  # noqa: BLE001 - the emulator must answer, whatever happened
            log.error("internal error on %s %s\n%s", req.method, req.path, traceback.format_exc())
            return error_response(500, "InternalError", "We encountered an internal error. Please try again.", req)

    def begin(self, req: Request) -> Optional[Response]:
        """Before the body is read: address the request, apply upload faults and authenticate it
        from its headers. A response means "answer this now, without reading the body"."""
        declared = req.header("content-length")
        length = int(declared) if declared and declared.isdigit() else None
        if self._target(req) == "iam":
            if (length or 0) > MAX_IAM_BODY or "transfer-encoding" in req.headers:
                return error_response(413, "EntityTooLarge",
                                      "A token request carries a small form body with a Content-Length.", req)
            return None
        self.address(req)
        if self.faults.rules:
            rule = self.faults.take_upload_drop(req, "s3")
            if rule is not None:
                return Response(status=0, wire_fault=WireFault("drop-upload", rule.after_bytes or 0))
        try:
            known = self.auth.authenticate_headers(req)
        except CosError as err:
            return err.to_response(req)
        if not known and (length is None or length > MAX_UNAUTHENTICATED_BODY):
            # a browser POST form (or SigV4 without x-amz-content-sha256): the body must be read
            # to know the caller, so it is small and has a declared length
            return error_response(400, "EntityTooLarge" if length else "MissingContentLength",
                                  f"A request authenticated by its body is limited to "
                                  f"{MAX_UNAUTHENTICATED_BODY} bytes with a Content-Length.", req)
        return None

    @staticmethod
    def _target(req: Request) -> str:
        return "iam" if req.path == TOKEN_PATH and not req.query else "s3"

    def _handle(self, req: Request) -> Response:
        target = self._target(req)
        is_iam = target == "iam"
        if not is_iam:
            self.address(req)
        delays, rule = self.faults.take(req, target)
        for delay in delays:
            time.sleep(delay.seconds)
        if rule is not None and (rule.action == "error" or (rule.action == "drop" and not rule.process)):
            forced = self._fault_response(req, rule, target)
            if is_iam:
                self.iam.handle(req, forced=forced)
            return forced
        if is_iam:
            resp = self.iam.handle(req)
        else:
            resp = self._s3(req)
        if rule is not None:
            self._damage(resp, rule)
        return resp

    def _s3(self, req: Request) -> Response:
        try:
            principal = self.auth.authenticate(req)
        except CosError as err:
            return err.to_response(req)
        resp = self.cos.handle(req, principal)
        resp.headers.setdefault("x-amz-request-id", req.request_id)
        if req.method in MUTATING and resp.status < 300 and self.on_change:
            self.on_change(req)
        return resp

    def address(self, req: Request) -> None:
        """Set ``req.bucket`` / ``req.key`` from a virtual-host or path-style request."""
        host = req.host.lower()
        if host.startswith("["):
            hostname = host.split("]")[0] + "]"
        else:
            hostname = host.rsplit(":", 1)[0] if ":" in host else host
        for base in self.virtual_host_bases:
            suffix = "." + base
            if hostname.endswith(suffix) and len(hostname) > len(suffix):
                req.bucket = hostname[: -len(suffix)]
                req.virtual_host = True
                raw_key = req.raw_path[1:]
                req.key = unquote(raw_key) if raw_key else None
                return
        raw = req.raw_path[1:]
        if not raw:
            req.bucket, req.key = None, None
            return
        raw_bucket, sep, raw_key = raw.partition("/")
        req.bucket = unquote(raw_bucket)
        req.key = unquote(raw_key) if sep and raw_key else None

    # -- faults -----------------------------------------------------------------------------------
    @staticmethod
    def _fault_response(req: Request, rule: FaultRule, target: str) -> Response:
        if rule.action == "drop":
            return Response(status=0, wire_fault=WireFault("drop"))
        if rule.body is not None:
            resp = Response(rule.status, body=rule.body)
        elif target == "iam":
            payload = {"errorCode": rule.code, "errorMessage": rule.message,
                       "context": {"requestId": req.request_id, "requestType": "incoming.Identity_Token"}}
            resp = Response(rule.status, body=json.dumps(payload).encode("utf-8"))
            resp.headers.set("Content-Type", "application/json")
        else:
            resp = error_response(rule.status, rule.code, rule.message, req)
        for name, value in rule.headers.items():
            resp.headers.set(name, value)
        return resp

    @staticmethod
    def _damage(resp: Response, rule: FaultRule) -> None:
        if rule.action == "drop":
            resp.wire_fault = WireFault("drop")
        elif rule.action == "cut":
            resp.wire_fault = WireFault("cut", max(0, rule.after_bytes or 0))
        elif rule.action == "corrupt" and resp.body:
            body = bytearray(resp.body)
            pos = rule.offset if rule.offset is not None else len(body) // 2
            pos = min(max(pos, 0), len(body) - 1)
            body[pos] ^= 0xFF
            resp.body = bytes(body)

    # -- WSGI ---------------------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        """WSGI entry point (wire faults degrade to an empty 502 answer here)."""
        headers = Headers()
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers.add(key[5:].replace("_", "-").title(), value)
        if environ.get("CONTENT_TYPE"):
            headers.add("Content-Type", environ["CONTENT_TYPE"])
        if environ.get("CONTENT_LENGTH"):
            headers.add("Content-Length", environ["CONTENT_LENGTH"])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if not target:
            from urllib.parse import quote

            path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8")
            target = quote(path, safe="/~") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        req = Request(environ.get("REQUEST_METHOD", "GET"), target, headers, body)
        resp = self.handle(req)
        if resp.wire_fault is not None:
            start_response("502 Bad Gateway", [("Content-Length", "0")])
            return [b""]
        out: List[Tuple[str, str]] = [(k, v) for k, v in resp.headers.items() if k.lower() != "content-length"]
        length_out = resp.content_length if req.method == "HEAD" and resp.content_length is not None else len(resp.body)
        out.append(("Content-Length", str(length_out)))
        start_response(f"{resp.status} {reason_phrase(resp.status)}", out)
        return [resp.body if req.method != "HEAD" else b""]
