"""Deletes through the transfer manager (one DeleteObject)."""
from __future__ import annotations

from dataclasses import dataclass

from ibm_s3transfer.tasks import ManagedSubmissionTask, ObjectRequestTask, TransferResources


class DeleteSubmissionTask(ManagedSubmissionTask):
    def _submit_requests(self, resources: TransferResources) -> None:
        call_args = resources.transfer_future.meta.call_args
        task = DeleteObjectTask(self._transfer_coordinator, resources.client, call_args.bucket, call_args.key, call_args.extra_args or {})
        self._transfer_coordinator.submit(resources.request_executor, task)


@dataclass(eq=False, repr=False)
class DeleteObjectTask(ObjectRequestTask):
    final = True

    def _run(self) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key, **self.extra_args)
