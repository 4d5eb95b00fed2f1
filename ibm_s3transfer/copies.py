"""Managed copies: CopyObject below the multipart threshold, parallel UploadPartCopy above.

The source size comes from a HeadObject on the source (through ``source_client`` when
given). Above the threshold the copy is a multipart upload whose parts are
UploadPartCopy requests with ``CopySourceRange``; like an upload, any failure or
cancellation aborts it. As in ibm-cos-sdk, a multipart copy does not carry the source's
metadata and content headers over (a CopyObject below the threshold does, on the server).
COS retention arguments go to CopyObject, or to CompleteMultipartUpload.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict

from ibm_s3transfer.constants import COPY_SOURCE_ARGS, CREATE_MULTIPART_BLOCKLIST
from ibm_s3transfer.parts import part_size, spans
from ibm_s3transfer.retry import RetryPolicy, call_with_retries
from ibm_s3transfer.tasks import ManagedSubmissionTask, ObjectRequestTask, TransferResources, TypedTask
from ibm_s3transfer.upload import MultipartJob, _drop
from ibm_s3transfer.utils import ProgressReporter, get_callbacks

logger = logging.getLogger(__name__)

_HEAD_FROM_COPY = {
    "CopySourceSSECustomerAlgorithm": "SSECustomerAlgorithm",
    "CopySourceSSECustomerKey": "SSECustomerKey",
    "CopySourceSSECustomerKeyMD5": "SSECustomerKeyMD5",
    "RequestPayer": "RequestPayer",
}
_PART_COPY_ARGS = COPY_SOURCE_ARGS + [
    "SSECustomerAlgorithm",
    "SSECustomerKey",
    "SSECustomerKeyMD5",
    "RequestPayer",
    "ExpectedBucketOwner",
]
_NOT_FOR_CREATE = COPY_SOURCE_ARGS + ["MetadataDirective", "TaggingDirective"] + CREATE_MULTIPART_BLOCKLIST
_ATTEMPTS = 3


class CopySubmissionTask(ManagedSubmissionTask):
    def _submit_requests(self, resources: TransferResources) -> None:
        coordinator = self._transfer_coordinator
        transfer_future = resources.transfer_future
        call_args = transfer_future.meta.call_args
        source = call_args.copy_source
        if isinstance(source, dict):
            source = dict(source)
        extra_args = dict(call_args.extra_args or {})
        size = transfer_future.meta.size
        if size is None:
            size = _source_size(call_args.source_client or resources.client, source, extra_args)
            transfer_future.meta.provide_transfer_size(size)
        progress = ProgressReporter(get_callbacks(transfer_future, "progress"))
        bucket, key = call_args.bucket, call_args.key
        if size < resources.config.multipart_threshold:
            task = CopyObjectTask(coordinator, resources.client, bucket, key, extra_args, source, size, progress)
            coordinator.submit(resources.request_executor, task)
            return
        job = MultipartJob(resources.client, coordinator, bucket, key, extra_args)
        # Like ibm-cos-sdk, CreateMultipartUpload gets only the caller's arguments: the
        # source's metadata and content headers are not carried over (pass them in
        # extra_args to keep them).
        job.create(_drop(extra_args, _NOT_FOR_CREATE))
        copy = _PartCopies(job, source, {k: v for k, v in extra_args.items() if k in _PART_COPY_ARGS}, progress)
        count = 0
        for start, length in spans(size, part_size(resources.config.multipart_chunksize, size)):
            if coordinator.done():
                return
            count += 1
            coordinator.submit(resources.request_executor, UploadPartCopyTask(coordinator, copy, count, start, start + length - 1))
        job.all_submitted(count)


def _source_size(source_client: Any, source: Any, extra_args: Dict[str, Any]) -> int:
    """The size of the copy's source (HeadObject with the source's SSE-C key and version)."""
    if not isinstance(source, dict):
        raise TypeError(
            'Expecting dictionary formatted: {"Bucket": bucket_name, "Key": key} but got %s or type %s.'
            % (source, type(source))
        )
    head_args = {new: extra_args[old] for old, new in _HEAD_FROM_COPY.items() if old in extra_args}
    if source.get("VersionId"):
        head_args["VersionId"] = source["VersionId"]
    head = source_client.head_object(Bucket=source["Bucket"], Key=source["Key"], **head_args)
    size: int = head["ContentLength"]
    return size


def _with_retries(coordinator: Any, call: Callable[[], Any]) -> Any:
    return call_with_retries(lambda _number: call(), RetryPolicy(_ATTEMPTS, coordinator.done), what="A copy request")


@dataclass(eq=False, repr=False)
class CopyObjectTask(ObjectRequestTask):
    final = True
    source: Any
    size: int
    progress: ProgressReporter

    def _run(self) -> None:
        client = self.client
        _with_retries(
            self._transfer_coordinator,
            lambda: client.copy_object(CopySource=self.source, Bucket=self.bucket, Key=self.key, **self.extra_args),
        )
        self.progress(self.size)


@dataclass(frozen=True)
class _PartCopies:
    """What the part copies of one multipart copy share."""

    job: MultipartJob
    source: Any
    part_args: Dict[str, Any]
    progress: ProgressReporter


@dataclass(eq=False, repr=False)
class UploadPartCopyTask(TypedTask):
    copy: _PartCopies
    number: int
    first: int
    last: int

    def _run(self) -> None:
        job, number = self.copy.job, self.number
        response = _with_retries(
            self._transfer_coordinator,
            lambda: job.client.upload_part_copy(
                Bucket=job.bucket, Key=job.key, UploadId=job.upload_id, PartNumber=number, CopySource=self.copy.source,
                CopySourceRange="bytes=%d-%d" % (self.first, self.last), **self.copy.part_args
            ),
        )
        result = response.get("CopyPartResult", {})
        entry: Dict[str, Any] = {"ETag": result.get("ETag"), "PartNumber": number}
        if "ChecksumAlgorithm" in job.extra_args:
            for name in ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumSHA1", "ChecksumSHA256"):
                if name in result:
                    entry[name] = result[name]
        self.copy.progress(self.last - self.first + 1)
        job.part_done(entry)
