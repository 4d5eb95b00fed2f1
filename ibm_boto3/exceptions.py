"""Exceptions raised by ibm_boto3 itself (service errors are ibm_botocore ClientErrors)."""
from __future__ import annotations

from typing import Any, Iterable

from ibm_botocore.exceptions import DataNotFoundError


class Boto3Error(Exception):
    """Base class of the errors ibm_boto3 raises itself."""


class _ResourceProblem(Boto3Error):
    """Problems of the resource layer."""


class _TransferProblem(Boto3Error):
    """Problems of managed transfers."""


class _DynamoCompat(Boto3Error):
    """Names kept from boto3 for code that imports them; never raised by this SDK."""


class ResourceLoadException(_ResourceProblem):
    """A resource could not load its attributes (it has no load action)."""


class NoVersionFound(_ResourceProblem):
    """No usable API version of a model exists."""


class RetriesExceededError(_TransferProblem):
    """A download kept failing after every allowed attempt; ``last_exception`` says why."""

    def __init__(self, last_exception: BaseException, msg: str = "Max Retries Exceeded") -> None:
        super().__init__(msg)
        self.last_exception = last_exception


class S3TransferFailedError(_TransferProblem):
    """A managed transfer failed."""


class S3UploadFailedError(_TransferProblem):
    """upload_file / upload_fileobj failed; the message names the file, bucket and key."""


class DynamoDBOperationNotSupportedError(_DynamoCompat):
    """Kept for API compatibility (DynamoDB conditions are not part of this SDK)."""

    def __init__(self, operation: str, value: Any) -> None:
        super().__init__("%s cannot be applied directly to %r (%s); build a condition first." % (operation, value, type(value)))


DynanmoDBOperationNotSupportedError = DynamoDBOperationNotSupportedError


class DynamoDBNeedsConditionError(_DynamoCompat):
    """Kept for API compatibility (DynamoDB conditions are not part of this SDK)."""

    def __init__(self, value: Any) -> None:
        super().__init__("A condition object was expected, got %r (%s)." % (value, type(value)))


class DynamoDBNeedsKeyConditionError(_DynamoCompat):
    """Kept for API compatibility (DynamoDB conditions are not part of this SDK)."""


class PythonDeprecationWarning(Warning):
    """Warns that the running Python version will stop being supported."""


class ResourceNotExistsError(_ResourceProblem, DataNotFoundError):
    """resource() was asked for a service that has no resource model."""

    def __init__(self, service_name: str, available_services: Iterable[str], has_low_level_client: bool) -> None:
        text = "There is no '%s' resource. Resources available: %s." % (service_name, ", ".join(available_services))
        if has_low_level_client:
            text += " A low-level client exists: ibm_boto3.client('%s')." % service_name
        Boto3Error.__init__(self, text)
        self.kwargs = {}


class UnknownAPIVersionError(_ResourceProblem, DataNotFoundError):
    """resource() was asked for an API version that has no resource model."""

    def __init__(self, service_name: str, bad_api_version: str, available_api_versions: str) -> None:
        Boto3Error.__init__(
            self,
            "The '%s' resource has no API version %s; available: %s" % (service_name, bad_api_version, available_api_versions),
        )
        self.kwargs = {}
