"""The router table: (method, level, sub-resource) -> the operation a request is.

A request is routed once, from its method, whether it names a bucket and a key, and the one
*sub-resource* in its query string (``?acl``, ``?uploads``, ``?legalHold`` ...). Everything the
COS layer decides afterwards -- authorization, Immutable Object Storage (WORM) rules, which
handler answers (``cos.HANDLERS``, built from the routes' ``handler`` names) -- is keyed by the
resulting :class:`Route`, never by re-reading the query.

* Query parameters that are neither a sub-resource nor a known parameter are ignored (as S3
  ignores them) and are not passed on to the engine, so they cannot change what it does.
* A known sub-resource without a route for the method is 405 ``MethodNotAllowed``; a
  sub-resource COS does not implement (``?torrent``, ``?select`` ...) is 501 ``NotImplemented``.
  Neither ever falls through to the plain object operation, and both pass the gate first (a
  caller from another instance gets 403 whatever the query says).
* Two different sub-resources in one query are 400 ``InvalidArgument``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

from .errors import CosError

SERVICE, BUCKET, OBJECT = "service", "bucket", "object"

# what an operation does to the object it names (the WORM gate looks at this)
READ, WRITE, OVERWRITE, DELETE = "read", "write", "overwrite", "delete"


@dataclass(frozen=True)
class Route:
    """One operation: how it is addressed, who answers it and what it does to data."""

    method: str
    level: str
    selector: Optional[str]  # the sub-resource query key; None for the plain form
    operation: str
    handler: Optional[str] = None  # the CosLayer method that answers; None: the engine (moto) as it is
    effect: str = READ  # OVERWRITE / DELETE are refused on retained or held objects
    copy: bool = False  # reads another object named by x-amz-copy-source
    supported: bool = True  # False: refused (``refusal``) after the gate has authorized the caller
    refusal: str = "NotImplemented"  # or "MethodNotAllowed"

    @property
    def key(self) -> Tuple[str, str, Optional[str]]:
        return (self.method, self.level, self.selector)

    @property
    def handler_key(self) -> Tuple[str, str, Optional[str], bool]:
        """The key of the COS layer's handler table (a copy is answered apart from a plain PUT)."""
        return (self.method, self.level, self.selector, self.copy)


def _r(method: str, level: str, selector: Optional[str], operation: str, handler: Optional[str] = None,
       effect: str = READ, copy: bool = False, supported: bool = True) -> Route:
    return Route(method, level, selector, operation, handler, effect, copy, supported)


# Bucket configuration kept by moto: GET/PUT/DELETE <name> -> Get/Put/Delete<Operation>
_BUCKET_CONFIG = {
    "acl": ("GetBucketAcl", "PutBucketAcl", None),
    "cors": ("GetBucketCors", "PutBucketCors", "DeleteBucketCors"),
    "lifecycle": ("GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle"),
    "website": ("GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"),
    "tagging": ("GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging"),
    "replication": ("GetBucketReplication", "PutBucketReplication", "DeleteBucketReplication"),
    "publicAccessBlock": ("GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock"),
    "encryption": ("GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption"),
    "policy": ("GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"),
    "ownershipControls": ("GetBucketOwnershipControls", "PutBucketOwnershipControls",
                          "DeleteBucketOwnershipControls"),
    "inventory": ("GetBucketInventoryConfiguration", "PutBucketInventoryConfiguration",
                  "DeleteBucketInventoryConfiguration"),
    "logging": ("GetBucketLogging", "PutBucketLogging", None),
    "notification": ("GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration", None),
    "accelerate": ("GetBucketAccelerateConfiguration", "PutBucketAccelerateConfiguration", None),
    "versioning": ("GetBucketVersioning", "PutBucketVersioning", None),
}


def _bucket_routes() -> List[Route]:
    """The service-level and bucket-level routes COS serves, in match order."""
    return [
        # service
        _r("GET", SERVICE, None, "ListBuckets", "list_buckets"),
        _r("GET", SERVICE, "extended", "ListBucketsExtended", "list_buckets_extended"),
        # buckets
        _r("PUT", BUCKET, None, "CreateBucket", "create_bucket", WRITE),
        _r("HEAD", BUCKET, None, "HeadBucket", "list_objects"),
        _r("GET", BUCKET, None, "ListObjects", "list_objects"),
        _r("DELETE", BUCKET, None, "DeleteBucket", "delete_bucket", DELETE),
        _r("POST", BUCKET, None, "PostObject", "post_object", OVERWRITE),
        _r("POST", BUCKET, "delete", "DeleteObjects", "delete_objects", DELETE),
        _r("GET", BUCKET, "uploads", "ListMultipartUploads"),
        _r("GET", BUCKET, "versions", "ListObjectVersions"),
        _r("GET", BUCKET, "location", "GetBucketLocation", "get_location"),
        _r("GET", BUCKET, "protection", "GetBucketProtectionConfiguration", "get_protection"),
        _r("PUT", BUCKET, "protection", "PutBucketProtectionConfiguration", "put_protection", WRITE),
        _r("GET", BUCKET, "faspConnectionInfo", "GetBucketAspera", "get_aspera"),
        _r("GET", BUCKET, "ibm-replication-failures", "ListBucketReplicationFailures",
           "list_replication_failures"),
        _r("PUT", BUCKET, "ibm-replication-reattempt", "PutBucketReplicationReattempt", "replication_reattempt",
           WRITE),
        _r("GET", BUCKET, "object-lock", "GetObjectLockConfiguration", "get_object_lock_configuration"),
        _r("PUT", BUCKET, "object-lock", "PutObjectLockConfiguration", None, WRITE),
        _r("GET", BUCKET, "policyStatus", "GetBucketPolicyStatus"),
        _r("PUT", BUCKET, "versioning", "PutBucketVersioning", "put_versioning", WRITE),
    ]


def _s3_only_bucket_routes() -> List[Route]:
    """The S3 bucket sub-resources COS does not offer (answered as unsupported)."""
    return [
        # S3 analytics / metrics / intelligent tiering / request payment: not in COS
        _r("GET", BUCKET, "analytics", "GetBucketAnalyticsConfiguration", supported=False),
        _r("PUT", BUCKET, "analytics", "PutBucketAnalyticsConfiguration", effect=WRITE, supported=False),
        _r("DELETE", BUCKET, "analytics", "DeleteBucketAnalyticsConfiguration", effect=WRITE, supported=False),
        _r("GET", BUCKET, "metrics", "GetBucketMetricsConfiguration", supported=False),
        _r("PUT", BUCKET, "metrics", "PutBucketMetricsConfiguration", effect=WRITE, supported=False),
        _r("DELETE", BUCKET, "metrics", "DeleteBucketMetricsConfiguration", effect=WRITE, supported=False),
        _r("GET", BUCKET, "intelligent-tiering", "GetBucketIntelligentTieringConfiguration", supported=False),
        _r("PUT", BUCKET, "intelligent-tiering", "PutBucketIntelligentTieringConfiguration", effect=WRITE,
           supported=False),
        _r("GET", BUCKET, "requestPayment", "GetBucketRequestPayment", supported=False),
        _r("PUT", BUCKET, "requestPayment", "PutBucketRequestPayment", effect=WRITE, supported=False),
    ]


def _object_routes() -> List[Route]:
    """The object-level routes, COS extensions and unsupported S3 ones included."""
    return [
        # objects
        _r("GET", OBJECT, None, "GetObject", "get_object"),
        _r("HEAD", OBJECT, None, "HeadObject", "get_object"),
        _r("PUT", OBJECT, None, "PutObject", "put_object", OVERWRITE),
        _r("DELETE", OBJECT, None, "DeleteObject", "delete_object", DELETE),
        _r("POST", OBJECT, "uploads", "CreateMultipartUpload", "create_multipart", WRITE),
        _r("PUT", OBJECT, "uploadId", "UploadPart", None, WRITE),
        _r("POST", OBJECT, "uploadId", "CompleteMultipartUpload", "complete_multipart", OVERWRITE),
        _r("DELETE", OBJECT, "uploadId", "AbortMultipartUpload", None, WRITE),
        _r("GET", OBJECT, "uploadId", "ListParts"),
        _r("GET", OBJECT, "acl", "GetObjectAcl"),
        _r("PUT", OBJECT, "acl", "PutObjectAcl", None, WRITE),
        _r("GET", OBJECT, "tagging", "GetObjectTagging"),
        _r("PUT", OBJECT, "tagging", "PutObjectTagging", None, WRITE),
        _r("DELETE", OBJECT, "tagging", "DeleteObjectTagging", None, WRITE),
        _r("GET", OBJECT, "legalHold", "ListLegalHolds", "list_legal_holds"),
        _r("POST", OBJECT, "legalHold", "AddLegalHold", "change_legal_hold", WRITE),
        _r("POST", OBJECT, "extendRetention", "ExtendObjectRetention", "extend_retention", WRITE),
        _r("GET", OBJECT, "retention", "GetObjectRetention", "get_object_retention"),
        _r("PUT", OBJECT, "retention", "PutObjectRetention", None, WRITE),
        _r("GET", OBJECT, "legal-hold", "GetObjectLegalHold"),
        _r("PUT", OBJECT, "legal-hold", "PutObjectLegalHold", None, WRITE),
        _r("POST", OBJECT, "restore", "RestoreObject", None, WRITE),
        _r("GET", OBJECT, "attributes", "GetObjectAttributes"),
        _r("GET", OBJECT, "torrent", "GetObjectTorrent", supported=False),
        _r("PUT", OBJECT, "torrent", "PutObjectTorrent", effect=WRITE, supported=False),
        _r("POST", OBJECT, "select", "SelectObjectContent", supported=False),
        _r("GET", OBJECT, "select", "SelectObjectContent", supported=False),
        _r("POST", OBJECT, "renameObject", "RenameObject", effect=OVERWRITE, supported=False),
    ]


def _add_bucket_config_routes(routes: List[Route]) -> None:
    """Append generic GET/PUT/DELETE routes for each _BUCKET_CONFIG selector not already routed."""
    have = {r.key for r in routes}
    for selector, (get_op, put_op, delete_op) in _BUCKET_CONFIG.items():
        for method, op, effect in (("GET", get_op, READ), ("PUT", put_op, WRITE), ("DELETE", delete_op, WRITE)):
            if op and (method, BUCKET, selector) not in have:
                routes.append(_r(method, BUCKET, selector, op, None, effect))


def _table() -> List[Route]:
    """Every route in match order: bucket, S3-only bucket, object, then generic bucket configs."""
    routes = _bucket_routes() + _s3_only_bucket_routes() + _object_routes()
    _add_bucket_config_routes(routes)
    return routes


ROUTES: Tuple[Route, ...] = tuple(_table())
_BY_KEY: Dict[Tuple[str, str, Optional[str]], Route] = {r.key: r for r in ROUTES}
# CopyObject and UploadPartCopy are PutObject / UploadPart with an x-amz-copy-source header
COPY_OBJECT = _r("PUT", OBJECT, None, "CopyObject", "copy_object", OVERWRITE, copy=True)
UPLOAD_PART_COPY = _r("PUT", OBJECT, "uploadId", "UploadPartCopy", None, WRITE, copy=True)

SELECTORS = frozenset(r.selector for r in ROUTES if r.selector) | {"session", "website-redirect"}

# query parameters that modify an operation without selecting another one
PARAMETERS = frozenset({
    "versionId", "partNumber", "prefix", "delimiter", "marker", "max-keys", "encoding-type", "list-type",
    "continuation-token", "start-after", "fetch-owner", "key-marker", "version-id-marker", "upload-id-marker",
    "max-uploads", "max-parts", "part-number-marker", "add", "remove", "id", "select-type", "x-id",
    "first-sync-attempted-before", "response-content-type", "response-content-language", "response-expires",
    "response-cache-control", "response-content-disposition", "response-content-encoding",
    "optional-object-attributes",
    # query-string authentication (checked before routing, never passed on)
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
    "X-Amz-Signature", "X-Amz-Security-Token", "AWSAccessKeyId", "Signature", "Expires",
})


def level_of(bucket: Optional[str], key: Optional[str]) -> str:
    if bucket is None:
        return SERVICE
    return BUCKET if key is None else OBJECT


def selector_of(query: Iterable[Tuple[str, str]]) -> Optional[str]:
    found: List[str] = []
    for name, _ in query:
        if name in SELECTORS and name not in found:
            found.append(name)
    if len(found) > 1:
        raise CosError(400, "InvalidArgument", "A request can name only one sub-resource.",
                       ArgumentName=found[1], ArgumentValue="")
    return found[0] if found else None


def route(method: str, bucket: Optional[str], key: Optional[str], query: Iterable[Tuple[str, str]],
          has_copy_source: bool) -> Route:
    """The operation a request is, or a CosError (405/501/400) when it is none we answer."""
    query = list(query)
    level = level_of(bucket, key)
    selector = selector_of(query)
    found = _BY_KEY.get((method, level, selector))
    if found is None:  # still gated (authorization first), then refused
        known = selector is None or any(r.selector == selector and r.level == level for r in ROUTES)
        return Route(method, level, selector, "Unsupported", supported=False,
                     refusal="MethodNotAllowed" if known else "NotImplemented")
    if has_copy_source and found.operation == "PutObject":
        return COPY_OBJECT
    if has_copy_source and found.operation == "UploadPart":
        return UPLOAD_PART_COPY
    return found


def engine_query(query: Iterable[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """The query the engine may see: sub-resources and known parameters only."""
    return [(k, v) for k, v in query if k in SELECTORS or k in PARAMETERS]


def refusal(route_: Route) -> CosError:
    """The error for a route COS does not answer (raised once the gate has let the caller through)."""
    if route_.refusal == "MethodNotAllowed":
        return CosError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
                        Method=route_.method, ResourceType=route_.level.upper())
    if route_.operation == "Unsupported":
        return CosError(501, "NotImplemented", "A header or query you provided implies functionality that is "
                        "not implemented.")
    return CosError(501, "NotImplemented", f"{route_.operation} is not implemented by IBM COS.")
