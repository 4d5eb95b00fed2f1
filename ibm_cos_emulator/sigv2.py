"""AWS Signature Version 2 (HMAC-SHA1) verification, which S3 SDKs still use for presigned
URLs and POST policies by default: ``Authorization: AWS <key>:<sig>``, query strings with
``AWSAccessKeyId``/``Signature``/``Expires``, and POST forms with ``AWSAccessKeyId``/``signature``.
"""
from __future__ import annotations

import base64
import hmac
import time
from email.utils import parsedate_to_datetime
from hashlib import sha1
from typing import Dict, List, Mapping, Tuple

from .sigv4 import KeyedVerifier, SigV4Error, signature_mismatch, uri_candidates

# query parameters that are part of the signed resource
SUBRESOURCES = frozenset("""
accelerate acl analytics cors defaultObjectAcl delete inventory lifecycle location logging metrics
notification object-lock partNumber policy replication requestPayment response-cache-control
response-content-disposition response-content-encoding response-content-language response-content-type
response-expires restore select select-type storageClass tagging torrent uploadId uploads versionId
versioning versions website
""".split())


def sign(secret: str, string_to_sign: str) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), sha1).digest()).decode()


def canonical_resource(path: str, query: List[Tuple[str, str]], bucket_prefix: str = "") -> str:
    subs = sorted((k, v) for k, v in query if k in SUBRESOURCES)
    out = bucket_prefix + path
    if subs:
        out += "?" + "&".join(f"{k}={v}" if v else k for k, v in subs)
    return out


def string_to_sign(method: str, headers: Mapping[str, str], date_line: str, resource: str) -> str:
    amz = sorted((k, v) for k, v in headers.items() if k.startswith("x-amz-"))
    amz_lines = "".join(f"{k}:{' '.join(v.strip().split())}\n" for k, v in amz)
    return (f"{method.upper()}\n{headers.get('content-md5', '')}\n{headers.get('content-type', '')}\n"
            f"{date_line}\n{amz_lines}{resource}")


class SigV2Verifier(KeyedVerifier):
    """Verifies V2 (HMAC-SHA1) signatures against a lookup of HMAC secret keys."""

    def _match(self, secret: str, method: str, headers: Mapping[str, str], date_line: str, raw_path: str,
               query: List[Tuple[str, str]], bucket_prefix: str, signature: str, access_key: str) -> None:
        first = ""
        paths = uri_candidates(raw_path)
        if raw_path.count("/") == 1 and raw_path != "/":
            # SDKs sign bucket-level requests as "/bucket/" while sending "/bucket"
            paths += [p + "/" for p in paths]
        for path in paths:
            sts = string_to_sign(method, headers, date_line, canonical_resource(path, query, bucket_prefix))
            if hmac.compare_digest(sign(secret, sts), signature):
                return
            first = first or sts
        raise signature_mismatch(AWSAccessKeyId=access_key, StringToSign=first, SignatureProvided=signature)

    def verify_header(self, method: str, raw_path: str, query: List[Tuple[str, str]],
                      headers: Mapping[str, str], bucket_prefix: str = "") -> str:
        """Check ``Authorization: AWS key:signature``; returns the access key id."""
        credential = headers.get("authorization", "")[4:].strip()
        access_key, sep, signature = credential.rpartition(":")
        if not sep or not access_key:
            raise SigV4Error(400, "InvalidArgument", "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")
        secret = self.secret(access_key)
        date_text = headers.get("x-amz-date") or headers.get("date") or ""
        if not date_text:
            raise SigV4Error(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
        if self.max_skew is not None:
            try:
                when = parsedate_to_datetime(date_text).timestamp()
            except (TypeError, ValueError):
                raise SigV4Error(403, "AccessDenied",
                                 "AWS authentication requires a valid Date or x-amz-date header") from None
            if abs(time.time() - when) > self.max_skew:
                raise SigV4Error(403, "RequestTimeTooSkewed",
                                 "The difference between the request time and the current time is too large.")
        date_line = "" if "x-amz-date" in headers else headers.get("date", "")
        self._match(secret, method, headers, date_line, raw_path, query, bucket_prefix, signature, access_key)
        return access_key

    def verify_query(self, method: str, raw_path: str, query: List[Tuple[str, str]],
                     headers: Mapping[str, str], bucket_prefix: str = "") -> str:
        """Check a V2 presigned URL; returns the access key id."""
        args: Dict[str, str] = {}
        for k, v in query:
            args.setdefault(k, v)
        access_key = args.get("AWSAccessKeyId", "")
        signature = args.get("Signature", "")
        expires = args.get("Expires", "")
        if not expires.isdigit():
            raise SigV4Error(403, "AccessDenied", "Query-string authentication requires the Signature, Expires "
                                                  "and AWSAccessKeyId parameters")
        secret = self.secret(access_key)
        if self._now() > int(expires):
            raise SigV4Error(403, "AccessDenied", "Request has expired")
        self._match(secret, method, headers, expires, raw_path, query, bucket_prefix, signature, access_key)
        return access_key

    def verify_policy(self, fields: Mapping[str, str]) -> str:
        """Check a V2 POST form (``AWSAccessKeyId``, ``policy``, ``signature``); returns the access key id."""
        lower = {k.lower(): v for k, v in fields.items()}
        access_key = lower.get("awsaccesskeyid", "")
        secret = self.secret(access_key)
        if not hmac.compare_digest(sign(secret, lower.get("policy", "")), lower.get("signature", "")):
            raise signature_mismatch()
        return access_key
