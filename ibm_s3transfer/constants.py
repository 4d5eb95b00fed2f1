"""Sizes, user agents and the lists of extra arguments each transfer accepts."""
from __future__ import annotations

from typing import List

KB = 1024
MB = KB * KB
GB = MB * KB

ALLOWED_DOWNLOAD_ARGS: List[str] = [
    "ChecksumMode",
    "VersionId",
    "SSECustomerAlgorithm",
    "SSECustomerKey",
    "SSECustomerKeyMD5",
    "RequestPayer",
    "ExpectedBucketOwner",
]

FULL_OBJECT_CHECKSUM_ARGS: List[str] = [
    "ChecksumCRC32",
    "ChecksumCRC32C",
    "ChecksumCRC64NVME",
    "ChecksumSHA1",
    "ChecksumSHA256",
]

# IBM COS immutable-object arguments. COS takes them on PutObject, CopyObject and
# CompleteMultipartUpload (not on CreateMultipartUpload).
RETENTION_ARGS: List[str] = [
    "RetentionExpirationDate",
    "RetentionLegalHoldId",
    "RetentionPeriod",
]

ALLOWED_SHARED_ARGS: List[str] = [
    "ACL",
    "CacheControl",
    "ChecksumAlgorithm",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "ContentType",
    "ExpectedBucketOwner",
    "Expires",
    "GrantFullControl",
    "GrantRead",
    "GrantReadACP",
    "GrantWriteACP",
    "Metadata",
    "ObjectLockLegalHoldStatus",
    "ObjectLockMode",
    "ObjectLockRetainUntilDate",
    "RequestPayer",
    "RetentionExpirationDate",
    "RetentionLegalHoldId",
    "RetentionPeriod",
    "ServerSideEncryption",
    "StorageClass",
    "SSECustomerAlgorithm",
    "SSECustomerKey",
    "SSECustomerKeyMD5",
    "SSEKMSKeyId",
    "SSEKMSEncryptionContext",
    "Tagging",
    "WebsiteRedirectLocation",
]

ALLOWED_UPLOAD_ARGS: List[str] = ALLOWED_SHARED_ARGS + ["ChecksumType", "MpuObjectSize"] + FULL_OBJECT_CHECKSUM_ARGS

# Arguments of a copy that describe the source, not the new object.
COPY_SOURCE_ARGS: List[str] = [
    "CopySourceIfMatch",
    "CopySourceIfModifiedSince",
    "CopySourceIfNoneMatch",
    "CopySourceIfUnmodifiedSince",
    "CopySourceSSECustomerAlgorithm",
    "CopySourceSSECustomerKey",
    "CopySourceSSECustomerKeyMD5",
]

ALLOWED_COPY_ARGS: List[str] = ALLOWED_SHARED_ARGS + COPY_SOURCE_ARGS + ["MetadataDirective", "TaggingDirective"]

ALLOWED_DELETE_ARGS: List[str] = [
    "MFA",
    "VersionId",
    "RequestPayer",
    "ExpectedBucketOwner",
]

# Routing of upload arguments onto the multipart operations.
UPLOAD_PART_ARGS: List[str] = [
    "ChecksumAlgorithm",
    "SSECustomerKey",
    "SSECustomerAlgorithm",
    "SSECustomerKeyMD5",
    "RequestPayer",
    "ExpectedBucketOwner",
]

COMPLETE_MULTIPART_ARGS: List[str] = [
    "SSECustomerKey",
    "SSECustomerAlgorithm",
    "SSECustomerKeyMD5",
    "RequestPayer",
    "ExpectedBucketOwner",
    "ChecksumType",
    "MpuObjectSize",
] + FULL_OBJECT_CHECKSUM_ARGS + RETENTION_ARGS

PUT_OBJECT_BLOCKLIST: List[str] = ["ChecksumType", "MpuObjectSize"]
CREATE_MULTIPART_BLOCKLIST: List[str] = FULL_OBJECT_CHECKSUM_ARGS + ["MpuObjectSize"] + RETENTION_ARGS
# Kept under the name ibm-cos-sdk uses for the same list.
CREATE_MULTIPART_ARGS_BLACKLIST: List[str] = list(RETENTION_ARGS)


# S3 limits that bound the part size.
MAX_PARTS = 10000
MIN_PART_SIZE = 5 * MB
MAX_PART_SIZE = 5 * GB
MAX_SINGLE_UPLOAD_SIZE = 5 * GB

USER_AGENT = "ibm_s3transfer/2.16.2"
PROCESS_USER_AGENT = "%s processpool" % USER_AGENT
