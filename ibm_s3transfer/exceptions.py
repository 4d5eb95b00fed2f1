"""Exceptions of the transfer manager."""
from __future__ import annotations

from concurrent.futures import CancelledError

__all__ = [
    "CancelledError",
    "FatalError",
    "InvalidSubscriberMethodError",
    "RetriesExceededError",
    "S3DownloadFailedError",
    "S3UploadFailedError",
    "TransferNotDoneError",
    "ChecksumMismatchError",
    "NoResourcesAvailable",
]


class RetriesExceededError(Exception):
    """A part or range kept failing; ``last_exception`` is the final cause."""

    def __init__(self, last_exception: BaseException, msg: str = "Max Retries Exceeded") -> None:
        super().__init__(msg)
        self.last_exception = last_exception


class S3UploadFailedError(Exception):
    """An upload failed."""


class S3DownloadFailedError(Exception):
    """A download failed."""


class InvalidSubscriberMethodError(Exception):
    """A subscriber's ``on_*`` method does not accept ``**kwargs``."""


class TransferNotDoneError(Exception):
    """An operation that needs a finished transfer was called too early."""


class FatalError(CancelledError):
    """A transfer was cancelled because of an error outside of it (e.g. in a ``with`` block)."""


class ChecksumMismatchError(Exception):
    """Downloaded data did not match the checksum the server recorded for it."""


class NoResourcesAvailable(Exception):
    """A non-blocking submit found no free slot."""
