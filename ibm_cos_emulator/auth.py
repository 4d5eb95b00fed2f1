"""Who is calling: bearer tokens from our IAM, SigV4 (header, presigned URL, POST policy).

Also normalizes the body: ``aws-chunked`` payloads are decoded (and their chunk signatures
checked), trailer checksums become headers, and payload checksums are verified, so the
engine behind only ever sees a plain body.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional, Tuple

from . import checksums, sigv2, sigv4
from .errors import CosError
from .iam import IamService
from .wire import Request

@dataclass
class Principal:
    """The authenticated caller. ``subject`` is an access key id or IAM id, never a secret."""

    kind: str  # "bearer", "hmac", "presigned", "post-policy", "anonymous"
    instance_id: Optional[str]
    subject: str = ""

    @property
    def is_bearer(self) -> bool:
        return self.kind == "bearer"


def _as_cos(err: sigv4.SigV4Error) -> CosError:
    return CosError(err.status, err.code, err.message, **err.extra)


class Authenticator:
    """Authenticates S3 requests and prepares their bodies."""

    def __init__(self, iam: IamService, hmac_keys: Dict[str, Tuple[str, str]], now: Callable[[], float],
                 default_instance: Callable[[], Optional[str]], verify_signatures: bool = True,
                 max_clock_skew: Optional[float] = 900.0, allow_anonymous: bool = False) -> None:
        self.iam = iam
        self.hmac_keys = hmac_keys
        self.verify_signatures = verify_signatures
        self.allow_anonymous = allow_anonymous
        self._default_instance = default_instance
        self.verifier = sigv4.SigV4Verifier(self._secret_for, now, max_clock_skew)
        self.verifier_v2 = sigv2.SigV2Verifier(self._secret_for, now, max_clock_skew)

    def _secret_for(self, access_key: str) -> Optional[str]:
        entry = self.hmac_keys.get(access_key)
        return entry[0] if entry else None

    def _instance_for(self, access_key: str) -> Optional[str]:
        entry = self.hmac_keys.get(access_key)
        return entry[1] if entry else self._default_instance()

    # -- entry points ------------------------------------------------------------------------
    def authenticate(self, req: Request) -> Principal:
        """Return the caller or raise a :class:`CosError` (403/400) for bad credentials.

        Uses the result of :meth:`authenticate_headers` when the server called it before reading
        the body; then checks the body (payload hash, aws-chunked signatures, checksums).
        """
        early = req.auth
        identified = early if early is not None else self._identify(req, req.headers.lower_dict(), with_body=True)
        assert identified is not None
        principal, verified = identified
        try:
            declared = req.headers.get("x-amz-content-sha256") or ""
            if early is not None and verified is not None and not verified.presigned and len(declared) == 64:
                actual = req.body_sha256 or hashlib.sha256(req.body).hexdigest()
                sigv4.check_payload_hash(declared, actual)
            self._prepare_body(req, req.headers.lower_dict(), verified)
        except sigv4.SigV4Error as err:
            raise _as_cos(err) from None
        return principal

    def authenticate_headers(self, req: Request) -> bool:
        """Authenticate from the request line and headers alone, before the body is read.

        Returns True when the caller is known (kept on ``req.auth``); False when only the body
        can tell (a browser POST form, or SigV4 without ``x-amz-content-sha256`` from a known
        access key). Raises :class:`CosError` for a request that must be refused unread.
        """
        identified = self._identify(req, req.headers.lower_dict(), with_body=False)
        if identified is None:
            return False
        req.auth = identified
        return True

    def _identify(self, req: Request, headers: Dict[str, str],
                  with_body: bool) -> Optional[Tuple[Principal, Optional[sigv4.Verified]]]:
        auth = headers.get("authorization", "")
        verified: Optional[sigv4.Verified] = None
        try:
            if auth[:7].lower() == "bearer ":
                principal = self._bearer(auth[7:].strip())
            elif auth.startswith(sigv4.ALGORITHM):
                if not self.verify_signatures:
                    access_key = sigv4.parse_authorization(auth).credential.access_key
                    principal = Principal("hmac", self._instance_for(access_key), access_key)
                elif not with_body and not headers.get("x-amz-content-sha256"):
                    self.verifier.secret(sigv4.parse_authorization(auth).credential.access_key)
                    return None  # the payload hash is part of the signature: needs the body
                else:
                    verified = self.verifier.verify_header(req.method, req.raw_path, req.query, headers,
                                                           req.body if with_body else None)
                    principal = Principal("hmac", self._instance_for(verified.access_key), verified.access_key)
            elif auth.startswith("AWS "):
                access_key = auth[4:].strip().rpartition(":")[0]
                if self.verify_signatures:
                    access_key = self.verifier_v2.verify_header(req.method, req.raw_path, req.query, headers,
                                                                self._v2_prefix(req))
                principal = Principal("hmac", self._instance_for(access_key), access_key)
            elif auth:
                raise CosError(400, "InvalidArgument", "Unsupported Authorization Type")
            elif req.has_arg("X-Amz-Signature") or req.has_arg("X-Amz-Credential"):
                if self.verify_signatures:
                    verified = self.verifier.verify_query(req.method, req.raw_path, req.query, headers)
                    principal = Principal("presigned", self._instance_for(verified.access_key), verified.access_key)
                else:
                    access_key = sigv4.parse_credential(req.args.get("X-Amz-Credential", "")).access_key
                    principal = Principal("presigned", self._instance_for(access_key), access_key)
            elif req.has_arg("AWSAccessKeyId") and req.has_arg("Signature"):
                access_key = req.args["AWSAccessKeyId"]
                if self.verify_signatures:
                    access_key = self.verifier_v2.verify_query(req.method, req.raw_path, req.query, headers,
                                                               self._v2_prefix(req))
                principal = Principal("presigned", self._instance_for(access_key), access_key)
            elif self._is_post_form(req, headers):
                # verified later, against the policy inside the form (see cos.post_object)
                principal = Principal("post-policy", None)
            elif self.allow_anonymous:
                principal = Principal("anonymous", self._default_instance())
            else:
                raise CosError(403, "AccessDenied", "Access Denied")
        except sigv4.SigV4Error as err:
            raise _as_cos(err) from None
        return principal, verified

    @staticmethod
    def _v2_prefix(req: Request) -> str:
        from .sigv4 import uri_encode

        return "/" + uri_encode(req.bucket or "") if req.virtual_host else ""

    def _bearer(self, token: str) -> Principal:
        check = self.iam.check(token)
        if check.status == "expired":
            raise CosError(403, "AccessDenied",
                           "Access Denied: the IAM token has expired (token expired); request a new token.")
        if check.status != "valid" or check.record is None:
            raise CosError(403, "AccessDenied", "Access Denied")
        return Principal("bearer", check.record.instance_id, check.record.iam_id)

    @staticmethod
    def _is_post_form(req: Request, headers: Mapping[str, str]) -> bool:
        return (req.method == "POST" and req.bucket is not None and not req.key
                and headers.get("content-type", "").lower().startswith("multipart/form-data"))

    def verify_post_policy(self, fields: Mapping[str, str]) -> Principal:
        """Authenticate a browser-style POST upload (SigV4 or V2 policy signature) from its form fields."""
        lower = {k.lower(): v for k, v in fields.items()}
        v2 = "awsaccesskeyid" in lower and "x-amz-credential" not in lower
        if v2:
            access_key = lower.get("awsaccesskeyid", "")
        else:
            access_key = (lower.get("x-amz-credential") or "").split("/")[0]
        if self.verify_signatures:
            try:
                if v2:
                    access_key = self.verifier_v2.verify_policy(fields)
                else:
                    access_key = self.verifier.verify_policy(fields).access_key
            except sigv4.SigV4Error as err:
                raise _as_cos(err) from None
        return Principal("post-policy", self._instance_for(access_key), access_key)

    # -- body normalization ------------------------------------------------------------------
    def _prepare_body(self, req: Request, headers: Dict[str, str], verified: Optional[sigv4.Verified]) -> None:
        payload_hash = headers.get("x-amz-content-sha256", "")
        encoding = [e.strip() for e in headers.get("content-encoding", "").split(",") if e.strip()]
        if sigv4.is_streaming(payload_hash) or "aws-chunked" in encoding:
            signed_stream = payload_hash.upper() in (sigv4.STREAMING_SIGNED, sigv4.STREAMING_SIGNED_TRAILER)
            decoded = sigv4.decode_aws_chunked(req.body, verified, verify=signed_stream and verified is not None)
            req.body = decoded.payload
            for name, value in decoded.trailers.items():
                req.headers.set(name, value)
            remaining = [e for e in encoding if e != "aws-chunked"]
            if remaining:
                req.headers.set("Content-Encoding", ",".join(remaining))
            else:
                req.headers.remove("Content-Encoding")
            req.headers.remove("x-amz-decoded-content-length")
            req.headers.remove("x-amz-trailer")
            req.headers.set("x-amz-content-sha256", sigv4.UNSIGNED_PAYLOAD)
            headers = req.headers.lower_dict()
        if self._carries_object_data(req, headers) and any(
                h == "content-md5" or h.startswith("x-amz-checksum-") for h in headers):
            checksums.verify_payload(headers, req.body)  # (reads a spooled body into memory)

    @staticmethod
    def _carries_object_data(req: Request, headers: Mapping[str, str]) -> bool:
        if req.method == "POST" and req.has_arg("uploadId"):
            return False  # CompleteMultipartUpload: checksums describe the object, not the XML body
        if "x-amz-copy-source" in headers:
            return False
        return req.method in ("PUT", "POST")
