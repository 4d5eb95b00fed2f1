"""Deletes through the transfer manager (one DeleteObject)."""
from __future__ import annotations

from typing import Any, Dict

from ibm_s3transfer.tasks import SubmissionTask, Task


class DeleteSubmissionTask(SubmissionTask):
    def _submit(self, client: Any, request_executor: Any, transfer_future: Any, **kwargs: Any) -> None:  # type: ignore[override]
        call_args = transfer_future.meta.call_args
        self._transfer_coordinator.submit(
            request_executor,
            DeleteObjectTask(
                self._transfer_coordinator,
                {"client": client, "bucket": call_args.bucket, "key": call_args.key, "extra_args": call_args.extra_args or {}},
                is_final=True,
            ),
        )


class DeleteObjectTask(Task):
    def _main(self, client: Any, bucket: str, key: str, extra_args: Dict[str, Any]) -> None:  # type: ignore[override]
        client.delete_object(Bucket=bucket, Key=key, **extra_args)
