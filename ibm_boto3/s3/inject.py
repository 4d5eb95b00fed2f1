"""Transfer methods added to the S3 client and to Bucket/Object resources.

``upload_file``, ``download_file``, ``upload_fileobj``, ``download_fileobj`` and ``copy``
run through ``ibm_s3transfer`` (multipart above the threshold, parallel parts, retries,
integrity checks). ``Callback(bytes_amount)`` is called as bytes move.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from ibm_botocore.exceptions import ClientError

if TYPE_CHECKING:  # at run time imported inside _transfer, as before
    from ibm_boto3.s3.transfer import S3Transfer



def inject_s3_transfer_methods(class_attributes: Dict[str, Any], **kwargs: Any) -> None:
    class_attributes["upload_file"] = upload_file
    class_attributes["download_file"] = download_file
    class_attributes["copy"] = copy
    class_attributes["upload_fileobj"] = upload_fileobj
    class_attributes["download_fileobj"] = download_fileobj


def inject_bucket_methods(class_attributes: Dict[str, Any], **kwargs: Any) -> None:
    class_attributes["load"] = bucket_load
    class_attributes["upload_file"] = bucket_upload_file
    class_attributes["download_file"] = bucket_download_file
    class_attributes["copy"] = bucket_copy
    class_attributes["upload_fileobj"] = bucket_upload_fileobj
    class_attributes["download_fileobj"] = bucket_download_fileobj


def inject_object_methods(class_attributes: Dict[str, Any], **kwargs: Any) -> None:
    class_attributes["upload_file"] = object_upload_file
    class_attributes["download_file"] = object_download_file
    class_attributes["copy"] = object_copy
    class_attributes["upload_fileobj"] = object_upload_fileobj
    class_attributes["download_fileobj"] = object_download_fileobj


def inject_object_summary_methods(class_attributes: Dict[str, Any], **kwargs: Any) -> None:
    class_attributes["load"] = object_summary_load


# --- resource loads ---------------------------------------------------------------
def bucket_load(self: Any, *args: Any, **kwargs: Any) -> None:
    """Load the bucket's attributes from ListBuckets (there is no per-bucket read call)."""
    self.meta.data = {}
    try:
        response = self.meta.client.list_buckets()
        for bucket in response["Buckets"]:
            if bucket["Name"] == self.name:
                self.meta.data = bucket
                break
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "AccessDenied":
            raise


def object_summary_load(self: Any, *args: Any, **kwargs: Any) -> None:
    """Load an ObjectSummary's attributes with HeadObject (ContentLength becomes Size)."""
    response = self.meta.client.head_object(Bucket=self.bucket_name, Key=self.key)
    if "ContentLength" in response:
        response["Size"] = response.pop("ContentLength")
    self.meta.data = response


# --- client methods ---------------------------------------------------------------
def _check_filename(filename: Any) -> str:
    if isinstance(filename, (str, os.PathLike)):
        return os.fspath(filename)
    raise ValueError("Filename must be a string or a path-like object, not %s" % type(filename).__name__)


def _transfer(client: Any, config: Any) -> S3Transfer:
    from ibm_boto3.s3.transfer import S3Transfer, TransferConfig

    return S3Transfer(client, config or TransferConfig())


def upload_file(self: Any, Filename: Any, Bucket: str, Key: str, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, Config: Any = None) -> None:
    """Upload a local file to ``Bucket``/``Key`` (multipart and parallel when large)."""
    filename = _check_filename(Filename)
    with _transfer(self, Config) as transfer:
        transfer.upload_file(filename=filename, bucket=Bucket, key=Key, extra_args=ExtraArgs, callback=Callback)


def download_file(self: Any, Bucket: str, Key: str, Filename: Any, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, Config: Any = None) -> None:
    """Download ``Bucket``/``Key`` to a local file (written only once complete and verified)."""
    filename = _check_filename(Filename)
    with _transfer(self, Config) as transfer:
        transfer.download_file(bucket=Bucket, key=Key, filename=filename, extra_args=ExtraArgs, callback=Callback)


def upload_fileobj(self: Any, Fileobj: Any, Bucket: str, Key: str, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, Config: Any = None) -> Any:
    """Upload a readable binary file-like object to ``Bucket``/``Key``."""
    if not hasattr(Fileobj, "read"):
        raise ValueError("Fileobj must implement read")
    from ibm_boto3.s3.transfer import ProgressCallbackInvoker, TransferConfig, create_transfer_manager

    subscribers = [ProgressCallbackInvoker(Callback)] if Callback is not None else None
    with create_transfer_manager(self, Config or TransferConfig()) as manager:
        future = manager.upload(fileobj=Fileobj, bucket=Bucket, key=Key, extra_args=ExtraArgs, subscribers=subscribers)
        return future.result()


def download_fileobj(self: Any, Bucket: str, Key: str, Fileobj: Any, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, Config: Any = None) -> Any:
    """Download ``Bucket``/``Key`` into a writable binary file-like object."""
    if not hasattr(Fileobj, "write"):
        raise ValueError("Fileobj must implement write")
    from ibm_boto3.s3.transfer import ProgressCallbackInvoker, TransferConfig, create_transfer_manager

    subscribers = [ProgressCallbackInvoker(Callback)] if Callback is not None else None
    with create_transfer_manager(self, Config or TransferConfig()) as manager:
        future = manager.download(bucket=Bucket, key=Key, fileobj=Fileobj, extra_args=ExtraArgs, subscribers=subscribers)
        return future.result()


def copy(self: Any, CopySource: Dict[str, Any], Bucket: str, Key: str, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, SourceClient: Any = None, Config: Any = None) -> None:
    """Managed copy (multipart UploadPartCopy for large objects) of ``CopySource`` to ``Bucket``/``Key``."""
    from ibm_boto3.s3.transfer import ProgressCallbackInvoker, TransferConfig, create_transfer_manager

    subscribers = [ProgressCallbackInvoker(Callback)] if Callback is not None else None
    with create_transfer_manager(self, Config or TransferConfig()) as manager:
        future = manager.copy(copy_source=CopySource, bucket=Bucket, key=Key, extra_args=ExtraArgs, subscribers=subscribers, source_client=SourceClient)
        future.result()


# --- Bucket resource ----------------------------------------------------------------
def bucket_upload_file(self: Any, Filename: Any, Key: str, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, Config: Any = None) -> Any:
    return self.meta.client.upload_file(Filename=Filename, Bucket=self.name, Key=Key, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config)


def bucket_download_file(self: Any, Key: str, Filename: Any, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, Config: Any = None) -> Any:
    return self.meta.client.download_file(Bucket=self.name, Key=Key, Filename=Filename, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config)


def bucket_copy(self: Any, CopySource: Dict[str, Any], Key: str, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, SourceClient: Any = None, Config: Any = None) -> Any:
    return self.meta.client.copy(CopySource=CopySource, Bucket=self.name, Key=Key, ExtraArgs=ExtraArgs, Callback=Callback, SourceClient=SourceClient, Config=Config)


def bucket_upload_fileobj(self: Any, Fileobj: Any, Key: str, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, Config: Any = None) -> Any:
    return self.meta.client.upload_fileobj(Fileobj=Fileobj, Bucket=self.name, Key=Key, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config)


def bucket_download_fileobj(self: Any, Key: str, Fileobj: Any, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, Config: Any = None) -> Any:
    return self.meta.client.download_fileobj(Bucket=self.name, Key=Key, Fileobj=Fileobj, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config)


# --- Object resource ----------------------------------------------------------------
def object_upload_file(self: Any, Filename: Any, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, Config: Any = None) -> Any:
    return self.meta.client.upload_file(Filename=Filename, Bucket=self.bucket_name, Key=self.key, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config)


def object_download_file(self: Any, Filename: Any, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, Config: Any = None) -> Any:
    return self.meta.client.download_file(Bucket=self.bucket_name, Key=self.key, Filename=Filename, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config)


def object_copy(self: Any, CopySource: Dict[str, Any], ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, SourceClient: Any = None, Config: Any = None) -> Any:
    return self.meta.client.copy(CopySource=CopySource, Bucket=self.bucket_name, Key=self.key, ExtraArgs=ExtraArgs, Callback=Callback, SourceClient=SourceClient, Config=Config)


def object_upload_fileobj(self: Any, Fileobj: Any, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, Config: Any = None) -> Any:
    return self.meta.client.upload_fileobj(Fileobj=Fileobj, Bucket=self.bucket_name, Key=self.key, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config)


def object_download_fileobj(self: Any, Fileobj: Any, ExtraArgs: Optional[Dict[str, Any]] = None, Callback: Optional[Callable[[int], Any]] = None, Config: Any = None) -> Any:
    return self.meta.client.download_fileobj(Bucket=self.bucket_name, Key=self.key, Fileobj=Fileobj, ExtraArgs=ExtraArgs, Callback=Callback, Config=Config)
