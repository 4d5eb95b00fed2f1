"""The COS layer in front of moto: COS-only operations, retention enforcement, instances,
Key Protect, and the fixes where moto answers differently from COS.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import re
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import unquote

from . import motofix, routes
from . import retention as rules
from .auth import Principal
from .clock import Clock
from .engine import MotoEngine
from .errors import (CosError, access_denied, invalid_argument, invalid_request, malformed_xml, request_document,
                     no_such_bucket, no_such_key, protected_object)
from .postform import check_policy, parse_form
from .state import BucketMeta, CosState, Retention
from .wire import Headers, Request, Response, xml_response
from .xmlutil import child_text, render

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_LIKE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_LOCATION = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_TIERS = {"standard", "vault", "cold", "flex", "smart", "onerate_active", "accelerated"}
SERVICE_INSTANCE_HEADER = "ibm-service-instance-id"
KP_ALGORITHM_HEADER = "ibm-sse-kp-encryption-algorithm"
KP_CRN_HEADER = "ibm-sse-kp-customer-root-key-crn"


def instance_guid(instance_id: str) -> str:
    """The GUID of a COS instance CRN (``crn:v1:...:a/<account>:<guid>::``), else the value itself."""
    if instance_id.startswith("crn:"):
        parts = instance_id.split(":")
        if len(parts) > 7 and parts[7]:
            return parts[7]
    return instance_id


def same_instance(a: Optional[str], b: Optional[str]) -> bool:
    if not a or not b:
        return False
    return a == b or instance_guid(a) == instance_guid(b)


class CosLayer:
    """Routes S3 requests: COS-only operations here, everything else to moto with COS rules."""

    def __init__(self, engine: MotoEngine, state: CosState, clock: Clock, region: str,
                 default_instance: Callable[[], Optional[str]],
                 verify_post_policy: Callable[[Dict[str, str]], Principal]) -> None:
        self.engine = engine
        self.state = state
        self.clock = clock
        self.region = region
        self._default_instance = default_instance
        self._verify_post_policy = verify_post_policy

    # -- entry ----------------------------------------------------------------------------------
    def handle(self, req: Request, principal: Principal) -> Response:
        try:
            op = routes.route(req.method, req.bucket, req.key, req.query, "x-amz-copy-source" in req.headers)
            req.operation = op.operation
            req.query = routes.engine_query(req.query)
            with self.state.lock:
                meta = self.gate(req, op, principal)
                if req.method == "PUT" and op.level == routes.OBJECT:
                    motofix.add_lock_bucket_md5(self.engine, req)
                handler = HANDLERS.get(op.handler_key)
                return handler(self, req, meta, principal) if handler is not None else self.engine.forward(req)
        except CosError as err:
            return err.to_response(req)

    def gate(self, req: Request, op: routes.Route, principal: Principal) -> Optional[BucketMeta]:
        """Authorization and WORM, decided once per request from its route (bucket, key).

        Returns the bucket's metadata (None for service-level operations and CreateBucket).
        """
        if principal.kind == "post-policy" and op.operation != "PostObject":
            raise access_denied()
        if op.level == routes.SERVICE or op.operation == "CreateBucket":
            if not op.supported:
                raise routes.refusal(op)
            return None
        if op.operation == "PostObject" and principal.kind == "post-policy":
            return None  # the caller is known once the form's policy is verified (post_object)
        meta = self._bucket_for(req, principal)
        if "x-amz-copy-source" in req.headers:
            self._authorize_copy_source(req, principal)
        if op.level == routes.OBJECT and op.effect in (routes.OVERWRITE, routes.DELETE):
            self._guard_overwrite(meta.name, req.key or "")
        if not op.supported:
            raise routes.refusal(op)
        return meta

    # -- buckets: access -----------------------------------------------------------------------
    def _bucket_for(self, req: Request, principal: Principal) -> BucketMeta:
        name = req.bucket or ""
        meta = self.state.buckets.get(name)
        if not self.engine.has_bucket(name):
            if meta is not None:
                self.state.drop_bucket(name)
            raise no_such_bucket(name)
        if meta is None:  # a bucket made behind the layer's back: adopt it
            meta = BucketMeta(name, self._default_instance() or "", f"{self.region}-standard", self.clock.now())
            self.state.buckets[name] = meta
        if not same_instance(principal.instance_id, meta.instance_id):
            raise access_denied()
        return meta

    def _authorize_copy_source(self, req: Request, principal: Principal) -> Tuple[str, str]:
        """The copy source (bucket, key) of CopyObject/UploadPartCopy, which the caller must own."""
        source = unquote((req.header("x-amz-copy-source") or "").split("?", 1)[0]).lstrip("/")
        src_bucket, _, src_key = source.partition("/")
        if not src_bucket or not src_key:
            raise invalid_argument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                                   ArgumentName="x-amz-copy-source", ArgumentValue=source)
        probe = Request("GET", "/", Headers(), request_id=req.request_id)
        probe.bucket = src_bucket
        self._bucket_for(probe, principal)
        return src_bucket, src_key

    def _requested_instance(self, req: Request, principal: Principal, required: bool, op: str) -> str:
        header = (req.header(SERVICE_INSTANCE_HEADER) or "").strip()
        if principal.is_bearer and required and not header:
            if op == "CreateBucket":
                raise invalid_argument("The ibm-service-instance-id header is required to create a bucket "
                                       "with an IAM token.", ArgumentName=SERVICE_INSTANCE_HEADER,
                                       ArgumentValue="")
            raise access_denied("Access Denied: the ibm-service-instance-id header is required to list "
                                "buckets with an IAM token.")
        own = principal.instance_id or self._default_instance() or ""
        if header:
            if not same_instance(header, own):
                raise access_denied()
            return own
        return own

    # -- service-level operations --------------------------------------------------------------
    def _buckets_of(self, instance: str) -> List[Tuple[str, BucketMeta, _dt.datetime]]:
        out = []
        for name, created in self.engine.bucket_list():
            meta = self.state.buckets.get(name)
            if meta is None:
                meta = BucketMeta(name, self._default_instance() or "", f"{self.region}-standard", created)
                self.state.buckets[name] = meta
            if not instance or same_instance(meta.instance_id, instance):
                out.append((name, meta, created))
        return out

    @staticmethod
    def _owner(instance: str) -> Dict[str, str]:
        guid = instance_guid(instance)
        return {"ID": guid, "DisplayName": guid}

    def list_buckets(self, req: Request, meta: Optional[BucketMeta], principal: Principal) -> Response:
        instance = self._requested_instance(req, principal, True, "ListBuckets")
        buckets = [{"Name": n, "CreationDate": c} for n, _, c in self._buckets_of(instance)]
        body = render("ListAllMyBucketsResult", {"Owner": self._owner(instance),
                                                 "Buckets": {"Bucket": buckets}})
        return xml_response(200, body)

    def list_buckets_extended(self, req: Request, meta: Optional[BucketMeta], principal: Principal) -> Response:
        instance = self._requested_instance(req, principal, False, "ListBucketsExtended")
        args = req.args
        prefix = args.get("prefix", "")
        marker = args.get("marker", "")
        try:
            max_keys = int(args.get("max-keys") or 1000)
        except ValueError:
            raise invalid_argument("Provided max-keys not an integer or within integer range",
                                   ArgumentName="max-keys", ArgumentValue=args.get("max-keys", "")) from None
        max_keys = max(0, min(max_keys, 1000))
        matching = [(n, m, c) for n, m, c in self._buckets_of(instance)
                    if n.startswith(prefix) and (not marker or n > marker)]
        page = matching[:max_keys]
        truncated = len(matching) > len(page)
        content: Dict[str, object] = {
            "Owner": self._owner(instance),
            "IsTruncated": truncated,
            "Marker": marker,
            "Prefix": prefix,
            "MaxKeys": max_keys,
        }
        if truncated and page:
            content["NextMarker"] = page[-1][0]
        content["Buckets"] = {"Bucket": [
            {"Name": n, "CreationDate": c, "LocationConstraint": m.location} for n, m, c in page]}
        return xml_response(200, render("ListAllMyBucketsResult", content))

    # -- bucket creation ---------------------------------------------------------------------------
    def create_bucket(self, req: Request, meta: Optional[BucketMeta], principal: Principal) -> Response:
        name = req.bucket or ""
        if not _BUCKET_NAME.match(name) or ".." in name or ".-" in name or "-." in name or _IP_LIKE.match(name):
            raise CosError(400, "InvalidBucketName", "The specified bucket is not valid.", BucketName=name)
        instance = self._requested_instance(req, principal, True, "CreateBucket")
        location = f"{self.region}-standard"
        if req.body.strip():
            root = request_document(req.body, "CreateBucketConfiguration")
            given = child_text(root, "LocationConstraint")
            if given:
                if not _LOCATION.match(given):
                    raise CosError(400, "InvalidLocationConstraint",
                                   "The specified location-constraint is not valid.", LocationConstraint=given)
                location = given
        algorithm = (req.header(KP_ALGORITHM_HEADER) or "").strip()
        crn = (req.header(KP_CRN_HEADER) or "").strip()
        if algorithm or crn:
            if algorithm and algorithm.upper() != "AES256":
                raise invalid_argument("ibm-sse-kp-encryption-algorithm must be AES256.",
                                       ArgumentName=KP_ALGORITHM_HEADER, ArgumentValue=algorithm)
            if not crn or not crn.startswith("crn:"):
                raise invalid_argument("ibm-sse-kp-customer-root-key-crn must be the CRN of a root key.",
                                       ArgumentName=KP_CRN_HEADER, ArgumentValue="")
            algorithm = "AES256"
        if self.engine.bucket_taken(name):
            raise CosError(409, "BucketAlreadyExists",
                           "The requested bucket name is not available. The bucket namespace is shared by all "
                           "users of the system. Please select a different name and try again.", BucketName=name)
        resp = motofix.create_bucket(self.engine, req, (KP_ALGORITHM_HEADER, KP_CRN_HEADER,
                                                        SERVICE_INSTANCE_HEADER))
        if resp.ok:
            self.state.buckets[name] = BucketMeta(name, instance, location, self.clock.now(),
                                                  algorithm or None, crn or None)
        return resp

    # -- bucket operations ------------------------------------------------------------------------
    def list_objects(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        """ListObjects (V1/V2) and HeadBucket, with the bucket's Key Protect headers."""
        resp = self.engine.forward(req, query=motofix.list_query(req))
        if resp.ok:
            self._kp_headers(resp, meta)
        return resp

    def delete_bucket(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        resp = self.engine.forward(req)
        if resp.ok:
            self.state.drop_bucket(meta.name)
        return resp

    def put_versioning(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        if meta.protection is not None and b"<Status>Enabled</Status>" in req.body.replace(b" ", b""):
            raise invalid_request("Versioning cannot be enabled on a bucket with a protection configuration.")
        return self.engine.forward(req)

    def get_location(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        return xml_response(200, render("LocationConstraint", meta.location))

    def get_protection(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        return xml_response(200, rules.render_protection(meta.protection))

    def replication_reattempt(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        return Response(200)

    def get_object_lock_configuration(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        resp = self.engine.forward(req)
        if resp.ok:
            motofix.drop_zero_lock_period(resp)
        return resp

    @staticmethod
    def _kp_headers(resp: Response, meta: BucketMeta) -> None:
        if meta.kp_root_key_crn:
            resp.headers.set("ibm-sse-kp-enabled", "true")
            resp.headers.set("ibm-sse-kp-crk-id", meta.kp_root_key_crn)

    def put_protection(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        prot = rules.parse_protection(req.body)
        rules.check_protection_change(meta.protection, prot)
        if self.engine.versioning_enabled(meta.name):
            raise invalid_request("Protection cannot be configured on a bucket with versioning enabled.")
        meta.protection = prot
        return Response(200)

    def get_aspera(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        digest = hashlib.sha256(f"aspera:{self.engine.account_id}:{meta.name}".encode()).hexdigest()
        region, _, tier = meta.location.rpartition("-")
        if tier not in _TIERS or not region:
            region = self.region
        body = render("FASPConnectionInfo", {
            "AccessKey": {"Id": "emu" + digest[:21], "Secret": digest[21:61]},
            "ATSEndpoint": f"https://ats-sl-{region}.aspera.io:443",
        })
        return xml_response(200, body)

    def list_replication_failures(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        args = req.args
        content: Dict[str, object] = {
            "Name": meta.name,
            "FirstSyncAttemptedBefore": args.get("first-sync-attempted-before") or None,
            "MaxKeys": args.get("max-keys") or 1000,
            "IsTruncated": False,
            "EncodingType": args.get("encoding-type") or None,
            "KeyCount": 0,
            "ContinuationToken": args.get("continuation-token") or None,
        }
        return xml_response(200, render("ListReplicationFailureResult", content))

    # -- multi-object delete -------------------------------------------------------------------------
    def delete_objects(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        root = request_document(req.body, "Delete")
        quiet = (child_text(root, "Quiet") or "").lower() == "true"
        objects = []
        for obj in root.findall("Object"):
            key = obj.findtext("Key")
            if key is None:
                raise malformed_xml()
            objects.append((key, obj.findtext("VersionId")))
        if not objects or len(objects) > 1000:
            raise malformed_xml()
        now = self.clock.now()
        errors: List[Dict[str, object]] = []
        allowed = []
        for key, version in objects:
            ret = self.state.retention.get((meta.name, key))
            if ret is not None and ret.locked(now) and self.engine.has_object(meta.name, key):
                errors.append({"Key": key, "VersionId": version, "Code": "AccessDenied",
                               "Message": protected_object().message})
            else:
                allowed.append((key, version))
        req.touched = [key for key, _ in allowed]
        resp, gone = motofix.delete_objects(self.engine, req, allowed, quiet, errors)
        for key in gone:
            self.state.retention.pop((meta.name, key), None)
        return resp

    # -- object operations -------------------------------------------------------------------------------
    _ECHOED = ("x-amz-content-sha256", "x-amz-sdk-checksum-algorithm", "x-amz-decoded-content-length",
               "x-amz-trailer", "content-md5")

    def get_object(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        """GetObject / HeadObject: moto's answer plus COS retention headers, minus echoed upload headers."""
        resp = self.engine.forward(req)
        for name in self._ECHOED:
            resp.headers.remove(name)
        motofix.show_checksum(self.engine, req, resp)
        if resp.status in (200, 206, 304):
            ret = self.state.retention.get((meta.name, req.key or ""))
            if ret is not None:
                for name, value in rules.retention_headers(ret):
                    resp.headers.set(name, value)
        return resp

    def create_multipart(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        resp = self.engine.forward(req)
        motofix.created_multipart(self.engine, req, resp)
        return resp

    def get_object_retention(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        """GetObjectRetention (S3 Object Lock): the object's mode and retain-until date."""
        obj = self.engine.stored_object(meta.name, req.key or "", req.args.get("versionId") or None)
        if obj is None:
            raise no_such_key(req.key or "")
        mode, until = obj.lock_mode, obj.lock_until
        if not mode:
            raise CosError(404, "NoSuchObjectLockConfiguration",
                           "The specified object does not have a ObjectLock configuration")
        return xml_response(200, render("Retention", {"Mode": mode, "RetainUntilDate": until or None}))

    def _guard_overwrite(self, bucket: str, key: str) -> None:
        ret = self.state.retention.get((bucket, key))
        if ret is None:
            return
        if not self.engine.has_object(bucket, key):
            self.state.retention.pop((bucket, key), None)
            return
        if ret.locked(self.clock.now()):
            raise protected_object()

    def _store(self, bucket: str, key: str, ret: Optional[Retention]) -> None:
        if ret is None:
            self.state.retention.pop((bucket, key), None)
        else:
            self.state.retention[(bucket, key)] = ret

    def put_object(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        key = req.key or ""
        ret = rules.retention_for_write(meta, req.headers.lower_dict(), self.clock.now())
        resp = self.engine.forward(req)
        if resp.ok:
            self._store(meta.name, key, ret)
        return resp

    def copy_object(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        key = req.key or ""
        src_bucket, src_key = self._authorize_copy_source(req, principal)
        headers = req.headers.lower_dict()
        directive = (headers.get(rules.H_DIRECTIVE) or "COPY").upper()
        if directive not in ("COPY", "REPLACE"):
            raise invalid_argument("Unknown Retention-Directive: use COPY or REPLACE.",
                                   ArgumentName="Retention-Directive", ArgumentValue=directive)
        now = self.clock.now()
        if directive == "COPY":
            inherited = self.state.retention.get((src_bucket, src_key))
            if meta.protection is None:
                ret = None
            else:
                ret = rules.retention_for_write(meta, {}, now, inherited=inherited)
        else:
            ret = rules.retention_for_write(meta, headers, now)
        composite = motofix.composite_source(self.engine, src_bucket, src_key)
        resp = self.engine.forward(req)
        if resp.ok:
            self._store(meta.name, key, ret)
            if composite:
                motofix.full_object_checksum_for_copy(self.engine, meta.name, key, resp)
        return resp

    def complete_multipart(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        key = req.key or ""
        if not motofix.require_upload(self.engine, meta.name, key, req.args.get("uploadId", "")):
            return self.engine.forward(req)
        ret = rules.retention_for_write(meta, req.headers.lower_dict(), self.clock.now())
        checksum = motofix.CompletionChecksum.before(self.engine, meta.name, req.args.get("uploadId", ""), req.body)
        resp = self.engine.forward(req)
        if resp.ok:
            self._store(meta.name, key, ret)
            if checksum is not None:
                checksum.apply(self.engine, meta.name, key)
        return resp

    def delete_object(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        key = req.key or ""
        resp = self.engine.forward(req)
        if resp.ok and not self.engine.has_object(meta.name, key):
            self.state.retention.pop((meta.name, key), None)
        return resp

    # -- retention operations ------------------------------------------------------------------------------
    def _retention_of(self, meta: BucketMeta, key: str, missing_status: int) -> Retention:
        if not self.engine.has_object(meta.name, key):
            raise no_such_key(key)
        ret = self.state.retention.get((meta.name, key))
        if ret is None:
            if missing_status == 404:
                raise CosError(404, "NoSuchObjectRetention",
                               "The object does not have retention metadata.", Key=key)
            raise invalid_request("The object does not have retention metadata; legal holds cannot be "
                                  "added or removed.")
        return ret

    def change_legal_hold(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        args = req.args
        ret = self._retention_of(meta, req.key or "", 400)
        if "add" in args:
            rules.add_legal_hold(ret, args["add"], self.clock.now())
        elif "remove" in args:
            rules.remove_legal_hold(ret, args["remove"])
        else:
            raise invalid_argument("A legal hold request needs add=<id> or remove=<id>.",
                                   ArgumentName="legalHold", ArgumentValue="")
        return Response(200)

    def list_legal_holds(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        ret = self._retention_of(meta, req.key or "", 404)
        return xml_response(200, rules.render_legal_holds(ret))

    def extend_retention(self, req: Request, meta: BucketMeta, principal: Principal) -> Response:
        ret = self._retention_of(meta, req.key or "", 400)
        rules.extend_retention(ret, meta, req.headers.lower_dict(), self.clock.now())
        return Response(200)

    # -- browser-style POST upload -------------------------------------------------------------------------
    def post_object(self, req: Request, meta: Optional[BucketMeta], principal: Principal) -> Response:
        form = parse_form(req.header("content-type") or "", req.body)
        principal = self._verify_post_policy(form.fields)
        meta = self._bucket_for(req, principal)
        key = form.get("key") or ""
        if not key:
            raise invalid_argument("Bucket POST must contain a field named 'key'.", ArgumentName="key",
                                   ArgumentValue="")
        key = key.replace("${filename}", form.filename)
        check_policy(form, meta.name, key, self.clock.time())
        self._guard_overwrite(meta.name, key)
        headers = Headers()
        passthrough = ("content-type", "cache-control", "content-disposition", "content-encoding", "expires",
                       "x-amz-storage-class", "x-amz-acl", "x-amz-tagging", "x-amz-website-redirect-location",
                       "x-amz-server-side-encryption", "retention-period", "retention-expiration-date",
                       "retention-legal-hold-id")
        for name, value in form.fields.items():
            lname = name.lower()
            if lname in passthrough or lname.startswith("x-amz-meta-"):
                headers.set(name, value)
        if "content-type" not in headers and form.file_content_type:
            headers.set("Content-Type", form.file_content_type)
        if "acl" in {k.lower() for k in form.fields}:
            headers.set("x-amz-acl", form.get("acl") or "private")
        put = Request("PUT", req.raw_path, headers, form.file or b"", request_id=req.request_id)
        put.bucket, put.key = meta.name, key
        req.touched = [key]
        resp = self.put_object(put, meta, principal)
        if not resp.ok:
            return resp
        etag = resp.header("ETag") or ""
        location = f"/{meta.name}/{key}"
        redirect = form.get("success_action_redirect") or form.get("redirect")
        if redirect:
            sep = "&" if "?" in redirect else "?"
            from urllib.parse import quote

            out = Response(303)
            out.headers.set("Location", f"{redirect}{sep}bucket={quote(meta.name)}&key={quote(key)}&etag={quote(etag)}")
            return out
        status = form.get("success_action_status") or "204"
        if status == "201":
            out = xml_response(201, render("PostResponse", {"Location": location, "Bucket": meta.name,
                                                            "Key": key, "ETag": etag}, xmlns=None))
        else:
            out = Response(200 if status == "200" else 204)
        out.headers.set("ETag", etag)
        out.headers.set("Location", location)
        return out


def _handler_table() -> Dict[Tuple[str, str, Optional[str], bool], Callable[..., Response]]:
    """(method, level, sub-resource, copy) -> the CosLayer method a route names (routes.py).

    Built once at import, so a route naming a method that does not exist fails there.
    """
    table: Dict[Tuple[str, str, Optional[str], bool], Callable[..., Response]] = {}
    for route in routes.ROUTES + (routes.COPY_OBJECT, routes.UPLOAD_PART_COPY):
        if route.handler:
            table[route.handler_key] = getattr(CosLayer, route.handler)
    return table


HANDLERS = _handler_table()
