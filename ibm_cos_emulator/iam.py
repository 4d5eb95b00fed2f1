"""The IAM token service: ``POST /identity/token`` for API keys and refresh tokens.

Access tokens are JWT-shaped (HS256 with a per-emulator secret) and also kept in a table,
so they can be expired on demand. Secrets (API keys, tokens) are never logged or stored in
clear in the request record: :func:`fingerprint` stands in for them.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import uuid
from dataclasses import dataclass
from dataclasses import asdict
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qsl

from .clock import Clock
from .wire import Request, Response

TOKEN_PATH = "/identity/token"
APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
REFRESH_GRANT = "refresh_token"
DEFAULT_REFRESH_TTL = 30 * 24 * 3600
MAX_REQUEST_HISTORY = 10000  # token requests remembered for ``Emulator.iam_requests``
MAX_TOKENS = 10000  # issued access (and refresh) tokens kept; expired ones go first
EXPIRED_GRACE = 24 * 3600  # an expired token is still recognized (403 "expired") this long
_MAX_RECORDED_HEADER = 256


def fingerprint(secret: str) -> str:
    """A stable, non-reversible stand-in for a secret: ``sha256:<16 hex digits>``."""
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def account_of(instance_id: str) -> str:
    """The account part (``a/<id>``) of a COS instance CRN, or a hash of the id."""
    for part in instance_id.split(":"):
        if part.startswith("a/"):
            return part[2:]
    return hashlib.sha256(instance_id.encode()).hexdigest()[:32]


@dataclass
class TokenRecord:
    jti: str
    key_fp: str
    instance_id: str
    iam_id: str
    issued_at: float
    expires_at: float


@dataclass
class RefreshRecord:
    key_fp: str
    instance_id: str
    iam_id: str
    expires_at: float


@dataclass
class TokenCheck:
    """Outcome of checking a bearer token: ``status`` is "valid", "expired" or "invalid"."""

    status: str
    record: Optional[TokenRecord] = None


class IamService:
    """Issues and validates IAM tokens for a fixed set of API keys."""

    def __init__(self, api_keys: Mapping[str, str], clock: Clock, token_ttl: int = 3600,
                 refresh_ttl: int = DEFAULT_REFRESH_TTL) -> None:
        self.clock = clock
        self.token_ttl = int(token_ttl)
        self.refresh_ttl = int(refresh_ttl)
        self._keys: Dict[str, str] = dict(api_keys)
        self._secret = os.urandom(32)
        self._access: Dict[str, TokenRecord] = {}
        self._refresh: Dict[str, RefreshRecord] = {}
        self._lock = threading.Lock()
        self.requests: List[Dict[str, Any]] = []
        # called with (new token rows, dropped (kind, id) pairs) after tokens are issued or pruned
        self.listener: Optional[Callable[[List[Tuple[str, str, str, float]], List[Tuple[str, str]]], None]] = None

    # -- configuration -----------------------------------------------------------------
    def add_api_key(self, api_key: str, instance_id: str) -> None:
        with self._lock:
            self._keys[api_key] = instance_id

    # -- HTTP ----------------------------------------------------------------------------
    def handle(self, req: Request, forced: Optional[Response] = None) -> Response:
        """Answer a token request (or record a forced/faulted answer)."""
        form = self._form(req)
        if forced is not None:
            self._record(req, form, forced.status if forced.wire_fault is None else None, "fault")
            return forced
        status, payload = self._answer(req, form)
        self._record(req, form, status, payload.get("errorCode"))
        body = json.dumps(payload).encode("utf-8")
        resp = Response(status=status, body=body)
        resp.headers.set("Content-Type", "application/json")
        resp.headers.set("Cache-Control", "no-cache, no-store, must-revalidate")
        resp.headers.set("Transaction-Id", req.request_id)
        return resp

    @staticmethod
    def _form(req: Request) -> Dict[str, str]:
        try:
            text = req.body.decode("utf-8")
        except UnicodeDecodeError:
            return {}
        form: Dict[str, str] = {}
        for name, value in parse_qsl(text, keep_blank_values=True):
            form.setdefault(name, value)
        # IAM also reads parameters from the query string
        for name, value in req.query:
            form.setdefault(name, value)
        return form

    def _record(self, req: Request, form: Mapping[str, str], status: Optional[int], error_code: Optional[str]) -> None:
        auth = req.header("authorization") or ""
        basic_user = None
        if auth.lower().startswith("basic "):
            try:
                basic_user = base64.b64decode(auth[6:].strip()).decode("utf-8").split(":", 1)[0]
            except Exception:  # noqa: BLE001 - malformed header is just recorded as unknown
                basic_user = "?"
        entry: Dict[str, Any] = {
            "grant_type": form.get("grant_type"),
            "response_type": form.get("response_type"),
            "apikey": fingerprint(form["apikey"]) if form.get("apikey") else None,
            "refresh_token": fingerprint(form["refresh_token"]) if form.get("refresh_token") else None,
            "status": status,
            "error_code": error_code,
            "time": self.clock.time(),
            "content_type": _clip(req.header("content-type")),
            "accept": _clip(req.header("accept")),
            "basic_auth_user": _clip(basic_user),
            "user_agent": _clip(req.header("user-agent")),
        }
        with self._lock:
            self.requests.append(entry)
            if len(self.requests) > MAX_REQUEST_HISTORY:
                del self.requests[: len(self.requests) - MAX_REQUEST_HISTORY]

    def _error(self, req: Request, status: int, code: str, message: str) -> Tuple[int, Dict[str, Any]]:
        now = self.clock.time()
        return status, {
            "errorCode": code,
            "errorMessage": message,
            "context": {
                "requestId": req.request_id,
                "requestType": "incoming.Identity_Token",
                "userAgent": req.header("user-agent") or "",
                "url": "ibm-cos-emulator",
                "instanceId": "iamid-ibm-cos-emulator",
                "threadId": hex(threading.get_ident())[2:],
                "host": "ibm-cos-emulator",
                "startTime": str(int(now * 1000)),
                "endTime": str(int(now * 1000)),
                "elapsedTime": "0",
                "locale": "en_US",
                "clusterName": "ibm-cos-emulator",
            },
        }

    def _answer(self, req: Request, form: Mapping[str, str]) -> Tuple[int, Dict[str, Any]]:
        if req.method != "POST":
            return self._error(req, 405, "BXNIM0101E", f"Method {req.method} is not allowed, use POST.")
        ctype = (req.header("content-type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return self._error(req, 400, "BXNIM0109E",
                               "Unsupported Content-Type, use application/x-www-form-urlencoded.")
        grant = form.get("grant_type", "")
        if not grant:
            return self._error(req, 400, "BXNIM0109E", "Property missing or empty. Property name: 'grant_type'.")
        if grant == APIKEY_GRANT:
            api_key = form.get("apikey", "")
            if not api_key:
                return self._error(req, 400, "BXNIM0109E", "Property missing or empty. Property name: 'apikey'.")
            instance = self._keys.get(api_key)
            if instance is None:
                return self._error(req, 400, "BXNIM0415E", "Provided API key could not be found.")
            key_fp = fingerprint(api_key)
            iam_id = "iam-ServiceId-" + str(uuid.UUID(hashlib.md5(key_fp.encode()).hexdigest()))
            return 200, self._issue(key_fp, instance, iam_id, grant, form.get("response_type", ""))
        if grant == REFRESH_GRANT:
            token = form.get("refresh_token", "")
            if not token:
                return self._error(req, 400, "BXNIM0109E",
                                   "Property missing or empty. Property name: 'refresh_token'.")
            with self._lock:
                rec = self._refresh.get(hashlib.sha256(token.encode()).hexdigest())
            if rec is None or rec.expires_at <= self.clock.time():
                return self._error(req, 400, "BXNIM0407E",
                                   "Provided refresh token is invalid: the supplied token failed to validate.")
            return 200, self._issue(rec.key_fp, rec.instance_id, rec.iam_id, grant, form.get("response_type", ""))
        return self._error(req, 400, "BXNIM0103E", f"Unsupported grant_type '{grant}'.")

    def _issue(self, key_fp: str, instance: str, iam_id: str, grant: str, response_type: str) -> Dict[str, Any]:
        now = int(self.clock.time())
        jti = str(uuid.uuid4())
        claims = {
            "iam_id": iam_id,
            "id": iam_id,
            "realmid": "iam",
            "jti": jti,
            "identifier": iam_id[len("iam-"):],
            "sub": iam_id[len("iam-"):],
            "sub_type": "ServiceId",
            "account": {"valid": True, "bss": account_of(instance)},
            "iat": now,
            "exp": now + self.token_ttl,
            "iss": "ibm-cos-emulator/identity",
            "grant_type": grant,
            "scope": "ibm openid",
            "client_id": "default",
            "acr": 1,
            "amr": ["pwd"],
        }
        header = _b64url(json.dumps({"kid": "ibm-cos-emulator", "alg": "HS256"}).encode())
        body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        sig = _b64url(hmac.new(self._secret, f"{header}.{body}".encode(), hashlib.sha256).digest())
        access = f"{header}.{body}.{sig}"
        refresh = "emu-refresh-" + _b64url(os.urandom(48))
        access_rec = TokenRecord(jti, key_fp, instance, iam_id, now, now + self.token_ttl)
        refresh_id = hashlib.sha256(refresh.encode()).hexdigest()
        refresh_rec = RefreshRecord(key_fp, instance, iam_id, now + self.refresh_ttl)
        with self._lock:
            self._access[jti] = access_rec
            self._refresh[refresh_id] = refresh_rec
            dropped = self._prune(now)
        if self.listener is not None:
            self.listener([("access", jti, json.dumps(asdict(access_rec)), access_rec.expires_at),
                           ("refresh", refresh_id, json.dumps(asdict(refresh_rec)), refresh_rec.expires_at)], dropped)
        payload: Dict[str, Any] = {
            "access_token": access,
            "refresh_token": refresh,
            "ims_user_id": 0,
            "token_type": "Bearer",
            "expires_in": self.token_ttl,
            "expiration": now + self.token_ttl,
            "scope": "ibm openid",
        }
        if "delegated_refresh_token" in response_type:
            payload["delegated_refresh_token"] = "emu-delegated-" + _b64url(os.urandom(32))
        return payload

    # -- validation ----------------------------------------------------------------------
    def check(self, token: str) -> TokenCheck:
        """Is ``token`` a live access token issued here?"""
        parts = token.strip().split(".")
        if len(parts) != 3:
            return TokenCheck("invalid")
        expected = _b64url(hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, parts[2]):
            return TokenCheck("invalid")
        try:
            claims = json.loads(_b64url_decode(parts[1]))
        except ValueError:
            return TokenCheck("invalid")
        with self._lock:
            rec = self._access.get(str(claims.get("jti")))
        if rec is None:
            return TokenCheck("invalid")
        if rec.expires_at <= self.clock.time():
            return TokenCheck("expired", rec)
        return TokenCheck("valid", rec)

    def _prune(self, now: float) -> List[Tuple[str, str]]:
        """Forget tokens expired for longer than the grace period, and the oldest beyond MAX_TOKENS."""
        dropped: List[Tuple[str, str]] = []
        for kind, table in (("access", self._access), ("refresh", self._refresh)):
            if len(table) <= MAX_TOKENS and not (len(table) % 256 == 0):
                continue  # a full scan every 256 tokens keeps issuing O(1) on average
            for tid in [t for t, r in table.items() if r.expires_at + EXPIRED_GRACE <= now]:
                del table[tid]
                dropped.append((kind, tid))
            excess = len(table) - MAX_TOKENS
            if excess > 0:
                for tid in sorted(table, key=lambda t: table[t].expires_at)[:excess]:
                    del table[tid]
                    dropped.append((kind, tid))
        return dropped

    def token_counts(self) -> Tuple[int, int]:
        """(access tokens, refresh tokens) currently remembered."""
        with self._lock:
            return len(self._access), len(self._refresh)

    def expire_tokens(self, refresh_tokens: bool = False) -> int:
        """Make every issued access token (and optionally refresh token) expired now."""
        now = self.clock.time()
        with self._lock:
            count = 0
            for rec in self._access.values():
                if rec.expires_at > now:
                    rec.expires_at = now
                    count += 1
            if refresh_tokens:
                for rrec in self._refresh.values():
                    rrec.expires_at = min(rrec.expires_at, now)
            rows = self._rows()
        if self.listener is not None:
            self.listener(rows, [])
        return count

    def _rows(self) -> List[Tuple[str, str, str, float]]:
        rows = [("access", j, json.dumps(asdict(r)), r.expires_at) for j, r in self._access.items()]
        rows += [("refresh", h, json.dumps(asdict(r)), r.expires_at) for h, r in self._refresh.items()]
        return rows

    def reset(self) -> None:
        with self._lock:
            self._access.clear()
            self._refresh.clear()
            self.requests.clear()

    # -- persistence -----------------------------------------------------------------------
    def export_secret(self) -> bytes:
        return self._secret

    def import_state(self, state: Mapping[str, Any]) -> None:
        """Restore the signing ``secret`` and the stored token ``rows`` (kind, id, record JSON, expiry)."""
        with self._lock:
            self._secret = state["secret"]
            self._access, self._refresh = {}, {}
            for kind, tid, record, _ in state["rows"]:
                data = json.loads(record)
                if kind == "access":
                    self._access[tid] = TokenRecord(**data)
                else:
                    self._refresh[tid] = RefreshRecord(**data)


def _clip(value: Optional[str]) -> Optional[str]:
    return value[:_MAX_RECORDED_HEADER] if value is not None else None
