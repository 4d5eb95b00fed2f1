"""A tiny standard-library S3/IAM client for the emulator tests.

Signing is done here, independently of the emulator's verifier, from the SigV4 description:
canonical request -> string to sign -> HMAC chain. Nothing from ibm_boto3/botocore is used.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple
from xml.etree import ElementTree

UNRESERVED = "-_.~"


def enc(text: str, slash: bool = False) -> str:
    return urllib.parse.quote(text, safe=UNRESERVED + ("/" if slash else ""))


def amz_now(offset_seconds: float = 0) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=offset_seconds)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def derive(secret: str, day: str, region: str) -> bytes:
    key = _hmac(("AWS4" + secret).encode(), day)
    key = _hmac(key, region)
    key = _hmac(key, "s3")
    return _hmac(key, "aws4_request")


def canonical_qs(pairs: Sequence[Tuple[str, str]]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted((enc(k), enc(v)) for k, v in pairs))


def sigv4_headers(method: str, host: str, path: str, query: Sequence[Tuple[str, str]], headers: Dict[str, str],
                  body: bytes, access_key: str, secret: str, region: str = "us-east-1",
                  payload_hash: Optional[str] = None, when: Optional[dt.datetime] = None) -> Dict[str, str]:
    """Return ``headers`` plus Host, X-Amz-Date, X-Amz-Content-SHA256 and Authorization."""
    when = when or amz_now()
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    out = dict(headers)
    out["Host"] = host
    out["X-Amz-Date"] = stamp
    out["X-Amz-Content-SHA256"] = payload_hash or hashlib.sha256(body).hexdigest()
    lower = {k.lower(): " ".join(str(v).split()) for k, v in out.items()}
    names = sorted(lower)
    creq = "\n".join([method, path, canonical_qs(query),
                      "".join(f"{n}:{lower[n]}\n" for n in names), ";".join(names), lower["x-amz-content-sha256"]])
    scope = f"{day}/{region}/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(creq.encode()).hexdigest()])
    sig = hmac.new(derive(secret, day, region), sts.encode(), hashlib.sha256).hexdigest()
    out["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                            f"SignedHeaders={';'.join(names)}, Signature={sig}")
    out["_seed_signature"] = sig
    out["_scope"] = scope
    return out


def presign_v4(method: str, host: str, path: str, access_key: str, secret: str, expires: int = 300,
               region: str = "us-east-1", when: Optional[dt.datetime] = None,
               extra: Sequence[Tuple[str, str]] = ()) -> str:
    when = when or amz_now()
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{stamp[:8]}/{region}/s3/aws4_request"
    query = list(extra) + [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", f"{access_key}/{scope}"),
                           ("X-Amz-Date", stamp), ("X-Amz-Expires", str(expires)), ("X-Amz-SignedHeaders", "host")]
    creq = "\n".join([method, path, canonical_qs(query), f"host:{host}\n", "host", "UNSIGNED-PAYLOAD"])
    sts = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(creq.encode()).hexdigest()])
    sig = hmac.new(derive(secret, stamp[:8], region), sts.encode(), hashlib.sha256).hexdigest()
    return path + "?" + canonical_qs(query) + "&X-Amz-Signature=" + sig


def sigv2_sign(secret: str, text: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha1).digest()).decode()


def aws_chunked(payload: bytes, chunk: int, trailer: Optional[Tuple[str, str]] = None,
                signer: Optional[Tuple[bytes, str, str, str]] = None) -> bytes:
    """Encode ``payload`` as aws-chunked; ``signer`` = (key, amz_date, scope, seed) adds chunk signatures."""
    pieces = [payload[i:i + chunk] for i in range(0, len(payload), chunk)] + [b""]
    out = b""
    previous = signer[3] if signer else ""
    for piece in pieces:
        if signer:
            key, stamp, scope, _ = signer
            sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", stamp, scope, previous,
                             hashlib.sha256(b"").hexdigest(), hashlib.sha256(piece).hexdigest()])
            previous = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
            out += f"{len(piece):x};chunk-signature={previous}\r\n".encode()
        else:
            out += f"{len(piece):x}\r\n".encode()
        if piece:
            out += piece + b"\r\n"
    if trailer:
        out += f"{trailer[0]}:{trailer[1]}\r\n".encode()
    out += b"\r\n"
    return out


@dataclass
class Resp:
    status: int
    headers: Dict[str, str]
    body: bytes

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    def xml(self) -> ElementTree.Element:
        root = ElementTree.fromstring(self.body)
        for el in root.iter():
            if "}" in el.tag:
                el.tag = el.tag.split("}", 1)[1]
        return root

    @property
    def code(self) -> Optional[str]:
        try:
            return self.xml().findtext("Code")
        except ElementTree.ParseError:
            return None

    @property
    def message(self) -> str:
        return self.xml().findtext("Message") or ""

    def json(self) -> dict:
        return json.loads(self.body)


class Client:
    """Sends raw HTTP requests to the emulator, authenticated by bearer token, SigV4 or nothing."""

    def __init__(self, endpoint_url: str, mode: str = "hmac", access_key: str = "", secret: str = "",
                 token: str = "", instance_id: Optional[str] = None) -> None:
        parsed = urllib.parse.urlsplit(endpoint_url)
        self.host = parsed.netloc
        self.hostname = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.mode = mode
        self.access_key = access_key
        self.secret = secret
        self.token = token
        self.instance_id = instance_id

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.hostname, self.port, timeout=30)

    def request(self, method: str, path: str, query: Sequence[Tuple[str, str]] = (),
                headers: Optional[Dict[str, str]] = None, body: bytes = b"",
                payload_hash: Optional[str] = None, host: Optional[str] = None,
                conn: Optional[http.client.HTTPConnection] = None) -> Resp:
        """``path`` is already percent-encoded (use :func:`obj_path`)."""
        hdrs = dict(headers or {})
        host = host or self.host
        if self.mode == "hmac":
            hdrs = sigv4_headers(method, host, path, query, hdrs, body, self.access_key, self.secret,
                                 payload_hash=payload_hash)
            hdrs.pop("_seed_signature")
            hdrs.pop("_scope")
        else:
            hdrs["Host"] = host
            if self.mode == "bearer":
                hdrs["Authorization"] = f"Bearer {self.token}"
        qs = "&".join(f"{enc(k)}={enc(v)}" if v != "" else enc(k) for k, v in query)
        return send(method, path + ("?" + qs if qs else ""), hdrs, body, self, conn)


def send(method: str, target: str, headers: Dict[str, str], body: bytes, client: Client,
         conn: Optional[http.client.HTTPConnection] = None) -> Resp:
    own = conn is None
    conn = conn or client.connection()
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        if body or method in ("PUT", "POST"):
            if not any(k.lower() == "content-length" for k in headers):
                conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if body else None)
        resp = conn.getresponse()
        data = resp.read()
        return Resp(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        if own:
            conn.close()


def obj_path(bucket: str, key: Optional[str] = None) -> str:
    path = "/" + enc(bucket)
    if key:
        path += "/" + enc(key, slash=True)
    return path


def iam_token(endpoint_url: str, form: Dict[str, str]) -> Resp:
    parsed = urllib.parse.urlsplit(endpoint_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        body = urllib.parse.urlencode(form).encode()
        conn.request("POST", "/identity/token", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
            "Authorization": "Basic Yng6Yng="})
        resp = conn.getresponse()
        return Resp(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def get_token(endpoint_url: str, api_key: str) -> str:
    resp = iam_token(endpoint_url, {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": api_key})
    assert resp.status == 200, resp.body
    return resp.json()["access_token"]


def protection_xml(minimum: int, default: int, maximum: int, permanent: Optional[bool] = None) -> bytes:
    extra = "" if permanent is None else f"<EnablePermanentRetention>{str(permanent).lower()}</EnablePermanentRetention>"
    return (f"<ProtectionConfiguration><Status>Retention</Status><MinimumRetention><Days>{minimum}</Days>"
            f"</MinimumRetention><DefaultRetention><Days>{default}</Days></DefaultRetention><MaximumRetention>"
            f"<Days>{maximum}</Days></MaximumRetention>{extra}</ProtectionConfiguration>").encode()


def keys_of(resp: Resp, tag: str = "Contents") -> List[str]:
    return [el.findtext("Key") or "" for el in resp.xml().iter(tag)]


def unique(prefix: str = "b") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def fingerprint_of(secret: str) -> str:
    """The emulator's documented stand-in for secrets in its IAM request records."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:16]
