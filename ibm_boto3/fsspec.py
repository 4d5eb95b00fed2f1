"""``cos://bucket/key`` for the Python data stack: an fsspec filesystem on this SDK.

Install with the ``fsspec`` extra (``pip install 'ibm-cos-sdk[fsspec]'``). The class is
registered through the ``fsspec.specs`` entry point, so ``fsspec.filesystem("cos", ...)``,
``fsspec.open("cos://bucket/key")`` and ``pandas.read_csv("cos://bucket/key",
storage_options={...})`` find it without an import.

``storage_options`` (all optional):

``api_key``, ``instance_id``
    IBM IAM API key and service instance id (bearer tokens, refreshed by the SDK).
``key``, ``secret``, ``token``
    HMAC access key id / secret access key (the names s3fs uses), optional session token.
``endpoint_url``
    The COS endpoint (``https://s3.us-south.cloud-object-storage.appdomain.cloud``).
``config_kwargs``
    Keyword arguments for :class:`ibm_botocore.client.Config`.
``client_kwargs``
    Passed through to ``ibm_boto3.client("s3", ...)`` (e.g. ``ibm_auth_endpoint``).
``anon``
    Unsigned requests (public buckets).
``default_block_size``, ``max_concurrency``
    Read/write block size (default 8 MiB) and the number of parallel requests one file
    or one large range uses (default 4).

With no credentials given, the SDK's credentials chain applies (environment, shared
files, ``~/.bluemix/cos_credentials``).

Reads (``open(..., "rb")``) fetch ranges; read-ahead engages only while a file is read
sequentially (blocks are fetched ahead in the background), random reads fetch exactly the
range asked for, and ranges larger than a block are fetched in parallel parts. Writes
(``open(..., "wb")``) stream through multipart parts: at most ``max_concurrency`` parts are
in flight and one is being filled, so memory stays bounded whatever the object's size. A
write that fails, a ``with`` block left by an exception, or a file dropped without close
aborts the multipart upload: no object and no open upload is left behind.

The filesystem pickles as its constructor arguments; every process (Dask workers, forked
children) builds its own client and token manager on first use.
"""
# fsspec ships no type information, so its base classes are Any to mypy; subclassing them is the point here.
# mypy: allow-subclassing-any
from __future__ import annotations

import errno
import functools
import io
import os
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Dict, Iterable, List, Literal, NoReturn, Optional, Tuple, Union, overload

from fsspec.caching import BaseCache, register_cache
from fsspec.callbacks import NoOpCallback
from fsspec.spec import AbstractBufferedFile, AbstractFileSystem
from fsspec.utils import tokenize

__all__ = ["COSFileSystem", "COSFile"]

MiB = 1 << 20
MIN_PART_SIZE = 5 * MiB
MAX_PUT_SIZE = 5 * 1024 * MiB
DELETE_BATCH = 1000

# COS / S3 error codes -> the exception fsspec users expect
_NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "NotFound", "404", "NoSuchUpload", "NoSuchVersion"}
_DENIED = {"AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled",
           "InvalidToken", "ExpiredToken", "AccountProblem"}
_EXISTS = {"BucketAlreadyExists", "BucketAlreadyOwnedByYou"}
_NOT_EMPTY = {"BucketNotEmpty"}


def _error_code(exc: BaseException) -> Optional[str]:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    code = (response.get("Error") or {}).get("Code")
    if code is None:
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        code = str(status) if status else None
    return str(code) if code is not None else None


def os_error(code: str, message: str, path: str) -> OSError:
    """The Python exception for COS error ``code`` on ``path`` (the code leads its message)."""
    text = "%s: %s" % (code, message)
    if code in _NOT_FOUND:
        return FileNotFoundError(errno.ENOENT, text, path)
    if code in _DENIED:
        return PermissionError(errno.EACCES, text, path)
    if code in _EXISTS:
        return FileExistsError(errno.EEXIST, text, path)
    if code in _NOT_EMPTY:
        return OSError(errno.ENOTEMPTY, text, path)
    return OSError(errno.EIO, text, path)


def translate_error(exc: BaseException, path: str) -> BaseException:
    """``os_error`` for a failed SDK call (chained to it); other exceptions are returned as they are."""
    code = _error_code(exc)
    if code is None:
        return exc
    message = ((getattr(exc, "response", None) or {}).get("Error") or {}).get("Message") or str(exc)
    new = os_error(code, message, path)
    new.__cause__ = exc
    return new


def _reraise(exc: BaseException, path: str) -> NoReturn:
    new = translate_error(exc, path)
    if new is exc:
        raise exc
    raise new from exc


class _Client:
    """The SDK client of one process, built on first use (after fork or unpickling: anew)."""

    def __init__(self, options: Dict[str, Any], concurrency: int) -> None:
        self._options = options
        self._concurrency = concurrency
        self._lock = threading.Lock()
        self._pid: Optional[int] = None
        self._client: Any = None
        self._manager: Any = None
        self._pool: Optional[ThreadPoolExecutor] = None

    def _check_pid(self) -> None:
        if self._pid != os.getpid():
            self._client = self._manager = self._pool = None
            self._pid = os.getpid()

    @property
    def client(self) -> Any:
        with self._lock:
            self._check_pid()
            if self._client is None:
                self._client = self._build()
            return self._client

    def _build(self) -> Any:
        from ibm_boto3.session import Session
        from ibm_botocore.client import Config

        opts = self._options
        kwargs: Dict[str, Any] = {}
        config_kwargs = dict(opts.get("config_kwargs") or {})
        if opts.get("api_key"):
            kwargs["ibm_api_key_id"] = opts["api_key"]
            if opts.get("instance_id"):
                kwargs["ibm_service_instance_id"] = opts["instance_id"]
        elif opts.get("key") or opts.get("secret"):
            kwargs["aws_access_key_id"] = opts.get("key")
            kwargs["aws_secret_access_key"] = opts.get("secret")
            if opts.get("token"):
                kwargs["aws_session_token"] = opts["token"]
        if opts.get("anon"):
            from ibm_botocore import UNSIGNED

            config_kwargs["signature_version"] = UNSIGNED
        if opts.get("endpoint_url"):
            kwargs["endpoint_url"] = opts["endpoint_url"]
        config_kwargs.setdefault("max_pool_connections", max(10, 2 * self._concurrency + 2))
        kwargs.update(opts.get("client_kwargs") or {})
        if config_kwargs:
            config = Config(**config_kwargs)
            given = kwargs.get("config")
            kwargs["config"] = given.merge(config) if given is not None else config
        return Session().client("s3", **kwargs)

    @property
    def manager(self) -> Any:
        client = self.client
        with self._lock:
            if self._manager is None:
                from ibm_s3transfer.manager import TransferConfig, TransferManager

                config = TransferConfig(max_request_concurrency=max(self._concurrency, 4))
                self._manager = TransferManager(client, config)
            return self._manager

    @property
    def pool(self) -> ThreadPoolExecutor:
        with self._lock:
            self._check_pid()
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=2 * self._concurrency, thread_name_prefix="cos-fsspec")
            return self._pool


def _fill(body: Any, view: memoryview, path: str) -> None:
    """Read a response body into ``view`` (exactly its length)."""
    filled = 0
    while filled < len(view):
        count = body.readinto(view[filled:])
        if not count:
            raise OSError(errno.EIO, "the response ended early", path)
        filled += count


class COSFileSystem(AbstractFileSystem):
    """IBM Cloud Object Storage as an fsspec filesystem (protocol ``cos``)."""

    protocol = ("cos",)
    root_marker = ""
    default_block_size = 8 * MiB

    def __init__(
        self,
        api_key: Optional[str] = None,
        instance_id: Optional[str] = None,
        key: Optional[str] = None,
        secret: Optional[str] = None,
        token: Optional[str] = None,
        endpoint_url: Optional[str] = None,
        anon: bool = False,
        config_kwargs: Optional[Dict[str, Any]] = None,
        client_kwargs: Optional[Dict[str, Any]] = None,
        default_block_size: Optional[int] = None,
        max_concurrency: int = 4,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if default_block_size:
            self.default_block_size = int(default_block_size)
        self.max_concurrency = max(1, int(max_concurrency))
        self._conn = _Client({
            "api_key": api_key, "instance_id": instance_id, "key": key, "secret": secret, "token": token,
            "endpoint_url": endpoint_url, "anon": anon, "config_kwargs": config_kwargs,
            "client_kwargs": client_kwargs,
        }, self.max_concurrency)

    def __repr__(self) -> str:  # never shows credentials
        return "<COSFileSystem %s>" % (self._conn._options.get("endpoint_url") or "default endpoint")

    # -- plumbing ---------------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The ``ibm_boto3`` S3 client of this process."""
        return self._conn.client

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        path = str(path)
        if path.startswith("cos://"):
            path = path[len("cos://"):]
        return path.strip("/")

    @staticmethod
    def split_path(path: str) -> Tuple[str, str]:
        """``"bucket/a/b"`` -> ``("bucket", "a/b")``."""
        path = COSFileSystem._strip_protocol(path)
        bucket, _, key = path.partition("/")
        return bucket, key

    def _call(self, method: str, path: str, **params: Any) -> Any:
        try:
            return getattr(self.client, method)(**params)
        except Exception as exc:
            _reraise(exc, path)

    def invalidate_cache(self, path: Optional[str] = None) -> None:
        if path is None:
            self.dircache.clear()
            return
        path = self._strip_protocol(path)
        for cached in list(self.dircache):
            if cached.startswith(path + "/"):
                self.dircache.pop(cached, None)
        while True:
            self.dircache.pop(path, None)
            if not path:
                break
            path = self._parent(path)

    # -- listing ----------------------------------------------------------------------------------
    @staticmethod
    def _file_entry(bucket: str, obj: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "name": "%s/%s" % (bucket, obj["Key"]),
            "size": obj.get("Size", obj.get("ContentLength", 0)),
            "type": "file",
            "ETag": obj.get("ETag"),
            "LastModified": obj.get("LastModified"),
            "StorageClass": obj.get("StorageClass", "STANDARD"),
        }

    @staticmethod
    def _dir_entry(name: str) -> Dict[str, Any]:
        return {"name": name, "size": 0, "type": "directory", "StorageClass": "DIRECTORY"}

    def _list_pages(self, bucket: str, prefix: str, delimiter: str = "", path: str = "") -> Iterable[Dict[str, Any]]:
        params: Dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if delimiter:
            params["Delimiter"] = delimiter
        while True:
            page = self._call("list_objects_v2", path or bucket, **params)
            yield page
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return
            params["ContinuationToken"] = token

    def _list_buckets(self) -> List[Dict[str, Any]]:
        response = self._call("list_buckets", "")
        return [dict(self._dir_entry(b["Name"]), CreationDate=b.get("CreationDate")) for b in response.get("Buckets", [])]

    def _lsdir(self, path: str, refresh: bool = False) -> List[Dict[str, Any]]:
        if not refresh and path in self.dircache:
            listed: List[Dict[str, Any]] = self.dircache[path]
            return listed
        if not path:
            entries = self._list_buckets()
        else:
            bucket, key = self.split_path(path)
            prefix = key + "/" if key else ""
            entries = []
            for page in self._list_pages(bucket, prefix, "/", path):
                for common in page.get("CommonPrefixes", ()):
                    entries.append(self._dir_entry("%s/%s" % (bucket, common["Prefix"].rstrip("/"))))
                for obj in page.get("Contents", ()):
                    if obj["Key"] == prefix:  # a "folder" marker object
                        continue
                    entries.append(self._file_entry(bucket, obj))
        if entries or not path or "/" not in path:
            self.dircache[path] = entries
        return entries

    def ls(self, path: str, detail: bool = True, refresh: bool = False, **kwargs: Any) -> List[Any]:
        path = self._strip_protocol(path)
        entries = self._lsdir(path, refresh=refresh)
        if not entries and path and "/" in path:
            info = self.info(path)  # FileNotFoundError when nothing is there
            entries = [] if info["type"] == "directory" else [info]
        return entries if detail else sorted(e["name"] for e in entries)

    def find(self, path: str, maxdepth: Optional[int] = None, withdirs: bool = False, detail: bool = False,
             **kwargs: Any) -> Any:
        """All files below ``path`` from one flat (paginated) listing, not a walk."""
        path = self._strip_protocol(path)
        if maxdepth is not None and maxdepth < 1:
            raise ValueError("maxdepth must be at least 1")
        bucket, key = self.split_path(path)
        if not bucket:
            return super().find(path, maxdepth=maxdepth, withdirs=withdirs, detail=detail, **kwargs)
        prefix = key + "/" if key else ""
        found: Dict[str, Dict[str, Any]] = {}
        base_depth = path.count("/") + 1
        try:
            for page in self._list_pages(bucket, prefix, path=path):
                for obj in page.get("Contents", ()):
                    name = "%s/%s" % (bucket, obj["Key"])
                    is_marker = obj["Key"].endswith("/")
                    name = name.rstrip("/")
                    if name == path:
                        continue
                    depth = name.count("/") + 1 - base_depth
                    if withdirs:
                        parent = self._parent(name)
                        while len(parent) > len(path):
                            if maxdepth is None or parent.count("/") + 1 - base_depth <= maxdepth:
                                found.setdefault(parent, self._dir_entry(parent))
                            parent = self._parent(parent)
                    if maxdepth is not None and depth > maxdepth:
                        continue
                    if is_marker:
                        if withdirs:
                            found.setdefault(name, self._dir_entry(name))
                        continue
                    found[name] = self._file_entry(bucket, obj)
        except FileNotFoundError:
            if key:
                raise
            return {} if detail else []
        if not found and key:
            try:
                info = self.info(path)
            except FileNotFoundError:
                info = None
            if info is not None and info["type"] == "file":
                found[path] = info
        elif withdirs and key and found:
            found.setdefault(path, self._dir_entry(path))
        if withdirs and not key:
            found.setdefault(path, self._dir_entry(path))
        names = sorted(found)
        if detail:
            return {n: found[n] for n in names}
        return names

    def info(self, path: str, **kwargs: Any) -> Dict[str, Any]:
        path = self._strip_protocol(path)
        bucket, key = self.split_path(path)
        if not bucket:
            return self._dir_entry("")
        if kwargs.get("refresh") is not True:
            try:
                cached: Optional[List[Dict[str, Any]]] = self._ls_from_cache(path)
            except FileNotFoundError:
                raise FileNotFoundError(errno.ENOENT, "NoSuchKey: not in the cached listing of its parent", path)
            if cached is not None:
                for entry in cached:
                    if entry["name"].rstrip("/") == path:
                        return entry
                if self._parent(path) != path and path in self.dircache:
                    return self._dir_entry(path)
        if not key:
            self._call("head_bucket", path, Bucket=bucket)
            return self._dir_entry(bucket)
        try:
            head = self._call("head_object", path, Bucket=bucket, Key=key)
        except FileNotFoundError:
            head = None
        if head is not None:
            entry = self._file_entry(bucket, dict(head, Key=key))
            entry["ContentType"] = head.get("ContentType")
            entry["Metadata"] = head.get("Metadata", {})
            return entry
        page = self._call("list_objects_v2", path, Bucket=bucket, Prefix=key + "/", Delimiter="/", MaxKeys=1)
        if page.get("Contents") or page.get("CommonPrefixes"):
            return self._dir_entry(path)
        raise FileNotFoundError(errno.ENOENT, "NoSuchKey: The specified key does not exist.", path)

    def exists(self, path: str, **kwargs: Any) -> bool:
        path = self._strip_protocol(path)
        if not path:
            return True
        try:
            self.info(path)
            return True
        except FileNotFoundError:
            return False
        except PermissionError:
            # a bucket of another account exists; a key we may not read is reported missing
            return "/" not in path

    def isdir(self, path: str) -> bool:
        try:
            kind: str = self.info(path)["type"]
            return kind == "directory"
        except (FileNotFoundError, PermissionError):
            return False

    def modified(self, path: str) -> Any:
        info = self.info(path)
        if "LastModified" not in info:
            raise IsADirectoryError(errno.EISDIR, "directories have no modification time", path)
        return info["LastModified"]

    def created(self, path: str) -> Any:
        """COS keeps one timestamp per object version: its last-modified time."""
        return self.modified(path)

    def checksum(self, path: str) -> int:
        info = self.info(path)
        etag = (info.get("ETag") or "").strip('"')
        return int(tokenize(etag, info.get("size")), 16)

    def ukey(self, path: str) -> str:
        info = self.info(path)
        key: str = tokenize(info.get("ETag"), info.get("size"), info.get("LastModified"))
        return key

    # -- buckets ----------------------------------------------------------------------------------
    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Create the bucket of ``path`` (``kwargs`` go to CreateBucket); prefixes need no creating."""
        path = self._strip_protocol(path)
        bucket, key = self.split_path(path)
        if not bucket:
            raise ValueError("mkdir needs a bucket name")
        if key:
            if not create_parents and not self.exists(bucket):
                raise FileNotFoundError(errno.ENOENT, "NoSuchBucket: the bucket does not exist", bucket)
            if create_parents and not self.exists(bucket):
                self._call("create_bucket", bucket, Bucket=bucket, **kwargs)
                self.invalidate_cache("")
            return
        self._call("create_bucket", bucket, Bucket=bucket, **kwargs)
        self.invalidate_cache("")

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        path = self._strip_protocol(path)
        bucket, key = self.split_path(path)
        try:
            self.mkdir(bucket)
        except FileExistsError:
            if not exist_ok and not key:
                raise

    def rmdir(self, path: str) -> None:
        """Delete an (empty) bucket; prefixes vanish with their last object."""
        path = self._strip_protocol(path)
        bucket, key = self.split_path(path)
        if key:
            if self.find(path):
                raise OSError(errno.ENOTEMPTY, "directory not empty", path)
            return
        self._call("delete_bucket", bucket, Bucket=bucket)
        self.invalidate_cache(bucket)
        self.invalidate_cache("")

    # -- reading ----------------------------------------------------------------------------------
    def _get_range(self, bucket: str, key: str, start: int, end: Optional[int], etag: Optional[str] = None,
                   path: str = "") -> bytes:
        """Bytes ``[start, end)`` of an object in one GET (``end`` None: to the end)."""
        params: Dict[str, Any] = {"Bucket": bucket, "Key": key}
        if start or end is not None:
            params["Range"] = "bytes=%d-%s" % (start, "" if end is None else end - 1)
        if etag:
            params["IfMatch"] = etag
        try:
            response = self.client.get_object(**params)
        except Exception as exc:
            if _error_code(exc) == "InvalidRange":
                return b""
            _reraise(exc, path or "%s/%s" % (bucket, key))
        body = response["Body"]
        length = response.get("ContentLength")
        try:
            if length is None:
                data: bytes = body.read()
                return data
            # readinto straight from the socket is several times cheaper than read()
            out = bytearray(length)
            _fill(body, memoryview(out), path or "%s/%s" % (bucket, key))
            return bytes(out)
        finally:
            body.close()

    def _get_range_into(self, bucket: str, key: str, start: int, view: memoryview, etag: Optional[str] = None) -> None:
        params: Dict[str, Any] = {"Bucket": bucket, "Key": key, "Range": "bytes=%d-%d" % (start, start + len(view) - 1)}
        if etag:
            params["IfMatch"] = etag
        body = self._call("get_object", "%s/%s" % (bucket, key), **params)["Body"]
        try:
            _fill(body, view, "%s/%s" % (bucket, key))
        finally:
            body.close()

    def _fetch(self, bucket: str, key: str, start: int, end: int, etag: Optional[str] = None) -> bytes:
        """Bytes ``[start, end)`` (``end`` within the object): in parallel parts when large."""
        if end - start <= 2 * self.default_block_size or self.max_concurrency == 1:
            return self._get_range(bucket, key, start, end, etag)
        fetch = functools.partial(self._get_range_into, bucket, key, etag=etag)
        pending = _Range(fetch, self._conn.pool, start, end, self.default_block_size, bytearray(end - start))
        return bytes(pending.view(start, end))

    def cat_file(self, path: str, start: Optional[int] = None, end: Optional[int] = None, **kwargs: Any) -> bytes:
        path = self._strip_protocol(path)
        bucket, key = self.split_path(path)
        if not key:
            raise IsADirectoryError(errno.EISDIR, "a bucket is not a file", path)
        if (start is not None and start < 0) or (end is not None and end < 0):
            size = self.info(path)["size"]
            start = max(0, size + start) if start is not None and start < 0 else start
            end = max(0, size + end) if end is not None and end < 0 else end
        start = start or 0
        if end is not None:
            if end <= start:
                return b""
            return self._fetch(bucket, key, start, end)
        return self._get_range(bucket, key, start, None, path=path)

    def _open(self, path: str, mode: str = "rb", block_size: Any = None, autocommit: bool = True,
              cache_options: Optional[Dict[str, Any]] = None, **kwargs: Any) -> "COSFile":
        if block_size in (None, "default"):
            block_size = self.default_block_size
        kwargs.setdefault("cache_type", "cos-readahead")
        return COSFile(self, path, mode, block_size=block_size, autocommit=autocommit,
                       cache_options=cache_options, **kwargs)

    # -- writing ----------------------------------------------------------------------------------
    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        path = self._strip_protocol(path)
        bucket, key = self.split_path(path)
        if not key:
            raise IsADirectoryError(errno.EISDIR, "a bucket is not a file", path)
        if mode == "create" and self.exists(path):
            raise FileExistsError(errno.EEXIST, "file exists", path)
        if len(value) > 8 * self.default_block_size:
            with self.open(path, "wb", **kwargs) as f:
                f.write(value)
            return
        self._call("put_object", path, Bucket=bucket, Key=key, Body=value, **kwargs)
        self.invalidate_cache(path)

    def touch(self, path: str, truncate: bool = True, **kwargs: Any) -> None:
        if not truncate and self.exists(path):
            return
        self.pipe_file(path, b"", **kwargs)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        kwargs.pop("onerror", None)  # older fsspec passes its copy() error policy down; not a request parameter
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        src_bucket, src_key = self.split_path(path1)
        bucket, key = self.split_path(path2)
        info = self.info(path1)
        if info["type"] == "directory":
            return  # prefixes exist through their objects
        source = {"Bucket": src_bucket, "Key": src_key}
        if info["size"] <= MAX_PUT_SIZE:
            self._call("copy_object", path1, Bucket=bucket, Key=key, CopySource=source, **kwargs)
        else:
            try:
                self._conn.manager.copy(source, bucket, key, extra_args=kwargs or None).result()
            except Exception as exc:
                _reraise(exc, path1)
        self.invalidate_cache(path2)

    def put_file(self, lpath: str, rpath: str, callback: Any = None, mode: str = "overwrite",
                 **kwargs: Any) -> None:
        rpath = self._strip_protocol(rpath)
        if os.path.isdir(lpath):
            return  # prefixes exist through their objects
        bucket, key = self.split_path(rpath)
        if not key:
            raise IsADirectoryError(errno.EISDIR, "a bucket is not a file", rpath)
        if mode == "create" and self.exists(rpath):
            raise FileExistsError(errno.EEXIST, "file exists", rpath)
        if callback is not None:
            callback.set_size(os.path.getsize(lpath))
        self._transfer("upload", rpath, lpath, bucket, key, kwargs, callback)
        self.invalidate_cache(rpath)

    def get_file(self, rpath: str, lpath: str, callback: Any = None, outfile: Any = None,
                 **kwargs: Any) -> None:
        rpath = self._strip_protocol(rpath)
        if isinstance(lpath, str) and self.isdir(rpath):
            os.makedirs(lpath, exist_ok=True)
            return
        bucket, key = self.split_path(rpath)
        if outfile is not None:
            lpath = outfile
        elif isinstance(lpath, str) and os.path.dirname(lpath):
            os.makedirs(os.path.dirname(lpath), exist_ok=True)
        self._transfer("download", rpath, lpath, bucket, key, kwargs, callback)

    def _transfer(self, direction: str, rpath: str, local: Any, bucket: str, key: str,
                  extra_args: Dict[str, Any], callback: Any) -> None:
        from ibm_s3transfer.subscribers import BaseSubscriber

        if callback is None:
            callback = NoOpCallback()

        class _Progress(BaseSubscriber):
            def on_queued(self, future: Any, **kw: Any) -> None:
                size = getattr(future.meta, "size", None)
                if size is not None:
                    callback.set_size(size)

            def on_progress(self, future: Any, bytes_transferred: int, **kw: Any) -> None:
                callback.relative_update(bytes_transferred)

        manager = self._conn.manager
        try:
            if direction == "upload":
                future = manager.upload(local, bucket, key, extra_args=extra_args or None, subscribers=[_Progress()])
            else:
                future = manager.download(bucket, key, local, extra_args=extra_args or None, subscribers=[_Progress()])
            future.result()
        except Exception as exc:
            _reraise(exc, rpath)

    # -- deleting ---------------------------------------------------------------------------------
    def rm_file(self, path: str) -> None:
        path = self._strip_protocol(path)
        bucket, key = self.split_path(path)
        self._call("delete_object", path, Bucket=bucket, Key=key)
        self.invalidate_cache(path)

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: Optional[int] = None) -> None:
        """Delete files (DeleteObjects, 1,000 keys per call); with ``recursive``, also buckets named."""
        by_bucket: Dict[str, List[str]] = {}
        buckets = []
        for p in self.expand_path(path, recursive=False):
            bucket, key = self.split_path(p)
            if recursive:
                names = self.find(p, maxdepth=maxdepth)
                if not key:
                    buckets.append(bucket)
            else:
                names = [p] if key else []
            for name in names:
                by_bucket.setdefault(bucket, []).append(self.split_path(name)[1])
        for bucket, keys in by_bucket.items():
            for i in range(0, len(keys), DELETE_BATCH):
                batch = keys[i:i + DELETE_BATCH]
                response = self._call("delete_objects", bucket, Bucket=bucket,
                                      Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
                for k in batch:
                    self.invalidate_cache("%s/%s" % (bucket, k))
                errors = [e for e in response.get("Errors", ()) if e.get("Code") not in _NOT_FOUND]
                if errors:
                    first = errors[0]
                    raise os_error(first.get("Code") or "InternalError", first.get("Message") or "",
                                   "%s/%s" % (bucket, first.get("Key")))
        for bucket in buckets:
            self.rmdir(bucket)

    # -- URLs -------------------------------------------------------------------------------------
    def sign(self, path: str, expiration: int = 100, **kwargs: Any) -> str:
        """A presigned GET URL (needs HMAC keys: ``key``/``secret``)."""
        bucket, key = self.split_path(path)
        url: str = self.client.generate_presigned_url(
            "get_object", Params=dict(kwargs, Bucket=bucket, Key=key), ExpiresIn=int(expiration))
        return url


def _send_part(fs: COSFileSystem, path: str, bucket: str, key: str, upload_id: str, number: int,
               view: memoryview) -> Dict[str, Any]:
    """UploadPart of one part (a plain function: a pending part keeps no reference to its file)."""
    response = fs._call("upload_part", path, Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                        Body=view, ChecksumAlgorithm="CRC32")
    part = {"PartNumber": number, "ETag": response["ETag"]}
    if response.get("ChecksumCRC32"):
        part["ChecksumCRC32"] = response["ChecksumCRC32"]
    return part


def _reopen(fs: COSFileSystem, path: str, block_size: int, cache_type: str, loc: int) -> "COSFile":
    """Unpickle a file open for reading: open it again at the same position."""
    f: COSFile = fs.open(path, "rb", block_size=block_size, cache_type=cache_type)
    f.seek(loc)
    return f


class COSFile(AbstractBufferedFile):
    """A COS object opened for reading (ranged GETs) or writing (streamed multipart upload)."""

    fs: COSFileSystem
    # set by AbstractBufferedFile for writing: the unsent bytes, and how many were sent before them
    buffer: io.BytesIO
    offset: Optional[int]

    def __init__(self, fs: COSFileSystem, path: str, mode: str = "rb", block_size: int = 8 * MiB,
                 autocommit: bool = True, cache_type: str = "cos-readahead",
                 cache_options: Optional[Dict[str, Any]] = None, size: Optional[int] = None, **kwargs: Any) -> None:
        path = fs._strip_protocol(path)
        self.bucket, self.key = fs.split_path(path)
        if not self.key:
            raise IsADirectoryError(errno.EISDIR, "a bucket is not a file", path)
        if mode == "ab":
            raise NotImplementedError("COS objects cannot be appended to; write a new object")
        self.extra_args = kwargs.pop("extra_args", None) or {}
        self.upload_id: Optional[str] = None
        self.parts: List[Dict[str, Any]] = []
        self._inflight: List[Future[Any]] = []
        self._pending: Optional[bytes] = None
        self._committed = False
        self.etag: Optional[str] = None
        if mode == "rb":
            info = fs.info(path)
            if info["type"] == "directory":
                raise IsADirectoryError(errno.EISDIR, "is a directory", path)
            self.details = info
            self.etag = info.get("ETag")
            size = info["size"]
            cache_options = dict(cache_options or {})
            if cache_type == "cos-readahead":
                cache_options.setdefault("pool", fs._conn.pool)
                cache_options.setdefault("depth", 2)
                cache_options.setdefault("fetch_into", functools.partial(
                    fs._get_range_into, self.bucket, self.key, etag=self.etag))
        elif mode == "xb" and fs.exists(path):
            raise FileExistsError(errno.EEXIST, "file exists", path)
        if mode != "rb" and block_size < MIN_PART_SIZE:
            block_size = MIN_PART_SIZE
        super().__init__(fs, path, mode, block_size=block_size, autocommit=autocommit, cache_type=cache_type,
                         cache_options=cache_options, size=size, **kwargs)

    # -- reading ----------------------------------------------------------------------------------
    def _fetch_range(self, start: int, end: int) -> bytes:
        end = min(end, self.size)
        if end <= start:
            return b""
        return self.fs._fetch(self.bucket, self.key, start, end, self.etag)

    def __reduce__(self) -> Any:
        if self.mode != "rb":
            raise RuntimeError("a file open for writing cannot be pickled")
        return _reopen, (self.fs, self.path, self.blocksize, self.cache.name if self.cache else "none", self.loc)

    def read_buffer(self, length: int = -1) -> Any:
        """``read()`` returning a buffer object (bytes or a memoryview) that may avoid a copy.

        PyArrow's ``PythonFile`` (how pandas and PyArrow read fsspec files) uses this method
        when the file has it, and wraps the buffer without copying it."""
        if not self.readable():
            raise ValueError("File not in read mode")
        if length < 0:
            length = self.size - self.loc
        length = min(self.size - self.loc, length)
        if length <= 0:
            return b""
        cache = self.cache
        if isinstance(cache, COSReadAhead):
            out = cache.read_buffer(self.loc, self.loc + length)
        else:
            out = cache._fetch(self.loc, self.loc + length)
        self.loc += len(out)
        return out

    # -- writing ----------------------------------------------------------------------------------
    def _initiate_upload(self) -> None:
        pass  # the multipart upload starts with the first full part

    def _create_upload(self) -> str:
        response = self.fs._call("create_multipart_upload", self.path, Bucket=self.bucket, Key=self.key,
                                 ChecksumAlgorithm="CRC32", **self.extra_args)
        upload_id: str = response["UploadId"]
        self.upload_id = upload_id
        return upload_id

    def _collect(self, block: bool, limit: int) -> None:
        """Wait until at most ``limit`` parts are in flight; raise the first failure."""
        while self._inflight and (len(self._inflight) > limit or not block):
            done, _ = wait(self._inflight, return_when=FIRST_COMPLETED) if block else (
                [f for f in self._inflight if f.done()], None)
            if not done:
                return
            for future in done:
                self._inflight.remove(future)
                self.parts.append(future.result())

    def _upload_chunk(self, final: bool = False) -> bool:
        data = self.buffer.getvalue()
        self.buffer = io.BytesIO()
        try:
            if final and self.upload_id is None:
                self._pending = data  # one PutObject, now or at commit
                if self.autocommit:
                    self.commit()
                return True
            upload_id = self.upload_id if self.upload_id is not None else self._create_upload()
            view = memoryview(data)
            step = self.blocksize
            full = len(data) if final else (len(data) // step) * step
            offset = 0
            pool = self.fs._conn.pool
            while offset < full:
                take = min(step, full - offset)
                if final and full - (offset + take) < MIN_PART_SIZE and offset + take < full:
                    take = full - offset  # no undersized part before the last one
                self._collect(True, self.fs.max_concurrency - 1)
                number = len(self.parts) + len(self._inflight) + 1
                self._inflight.append(pool.submit(_send_part, self.fs, self.path, self.bucket, self.key, upload_id,
                                                  number, view[offset:offset + take]))
                offset += take
            if not final:
                self.offset = (self.offset or 0) + full
                self.buffer.write(view[full:])
                self._collect(False, 0)
                return False
            self._collect(True, 0)
            if self.autocommit:
                self.commit()
            return True
        except BaseException:
            self.discard()
            raise

    def commit(self) -> None:
        if self._committed:
            return
        if self.upload_id is None:
            data = self._pending if self._pending is not None else b""
            self.fs._call("put_object", self.path, Bucket=self.bucket, Key=self.key, Body=data, **self.extra_args)
        else:
            self._collect(True, 0)
            parts = sorted(self.parts, key=lambda p: p["PartNumber"])
            try:
                self.fs._call("complete_multipart_upload", self.path, Bucket=self.bucket, Key=self.key,
                              UploadId=self.upload_id, MultipartUpload={"Parts": parts})
            except BaseException:
                self.discard()
                raise
        self._committed = True
        self._pending = None
        self.fs.invalidate_cache(self.path)

    def discard(self) -> None:
        """Abort the multipart upload (uploaded parts are dropped; no object is created)."""
        for future in self._inflight:
            future.cancel()
        for future in self._inflight:
            try:
                future.result()
            except BaseException:
                pass
        self._inflight = []
        self._pending = None
        if self.upload_id is not None:
            upload_id, self.upload_id = self.upload_id, None
            for _ in range(3):
                try:
                    self.fs.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)
                    break
                except Exception as exc:
                    if _error_code(exc) == "NoSuchUpload":
                        break
        self._committed = True

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self.writable():
            self.discard()
            self.closed = True
            return
        self.close()

    def __del__(self) -> None:
        if not self.closed and self.writable():
            self.discard()  # dropped without close: nothing half-written becomes visible
            self.closed = True
            return
        super().__del__()


class _Range:
    """Bytes ``[start, end)`` of an object arriving into ``buffer`` in parallel parts of ``part`` bytes."""

    def __init__(self, fetch_into: Any, pool: Optional[ThreadPoolExecutor], start: int, end: int, part: int,
                 buffer: bytearray, background: bool = False) -> None:
        self.start, self.end, self.buffer = start, end, buffer
        self._view = memoryview(buffer)[:end - start]
        if pool is None or (end - start <= part and not background):
            fetch_into(start, self._view)  # one request: in the calling thread
            self.futures: List[Future[Any]] = []
        else:
            self.futures = [pool.submit(fetch_into, start + off, self._view[off:off + part])
                            for off in range(0, end - start, part)]

    def view(self, start: int, end: int) -> memoryview:
        """The bytes ``[start, end)`` (within this range), once they have arrived."""
        while self.futures:
            self.futures[0].result()
            self.futures.pop(0)
        return self._view[start - self.start:end - self.start]

    def idle(self) -> bool:
        """Whether no request writes into the buffer any more (so it may be reused)."""
        for future in self.futures:
            future.cancel()
        return all(f.done() for f in self.futures)


class COSReadAhead(BaseCache):
    """Read-ahead that engages only on sequential access.

    A read that starts where the previous one ended is sequential: the bytes come from ranges
    of at least one block, and ranges covering the next ``depth`` blocks (or the next read's
    length, if larger) are requested in the background, in parallel block-sized parts. Any
    other read fetches exactly the bytes asked for, so random 1 MiB reads cost 1 MiB. Receive
    buffers are reused; each read returns its bytes as a new ``bytes`` object."""

    name = "cos-readahead"

    def __init__(self, blocksize: int, fetcher: Any, size: int, pool: Optional[ThreadPoolExecutor] = None,
                 depth: int = 2, fetch_into: Any = None, **kwargs: Any) -> None:
        super().__init__(blocksize, fetcher, size)
        self.hit_count = self.miss_count = self.total_requested_bytes = 0  # (older fsspec has no counters)
        self.pool = pool
        self.depth = max(0, depth)
        self.fetch_into = fetch_into or self._copy_into
        self.ranges: List[_Range] = []
        self.spare: List[bytearray] = []
        self.last_end: Optional[int] = None

    def _copy_into(self, start: int, view: memoryview) -> None:
        view[:] = self.fetcher(start, start + len(view))

    def _buffer(self, length: int) -> bytearray:
        for i, buf in enumerate(self.spare):
            if len(buf) >= length:
                return self.spare.pop(i)
        return bytearray(length)

    def _add(self, start: int, end: int, background: bool = False) -> _Range:
        pending = _Range(self.fetch_into, self.pool, start, end, self.blocksize, self._buffer(end - start),
                         background)
        self.ranges.append(pending)
        self.total_requested_bytes += end - start
        return pending

    def _release(self, keep: Any) -> None:
        kept = []
        for pending in self.ranges:
            if keep(pending):
                kept.append(pending)
            elif pending.idle() and len(self.spare) < 2 + self.depth:
                self.spare.append(pending.buffer)
        self.ranges = kept

    def _fetch(self, start: Optional[int], stop: Optional[int]) -> bytes:
        return self._read(start, stop, False)

    def read_buffer(self, start: int, stop: int) -> Union[bytes, memoryview]:
        """Like ``_fetch``, but a range fetched for exactly these bytes is handed over without a copy."""
        return self._read(start, stop, True)

    @overload
    def _read(self, start: Optional[int], stop: Optional[int], hand_over: Literal[False]) -> bytes: ...

    @overload
    def _read(self, start: Optional[int], stop: Optional[int], hand_over: bool) -> Union[bytes, memoryview]: ...

    def _read(self, start: Optional[int], stop: Optional[int], hand_over: bool) -> Union[bytes, memoryview]:
        start = 0 if start is None else start
        stop = self.size if stop is None else min(stop, self.size)
        if start >= stop:
            return b""
        sequential = start == self.last_end
        self.last_end = stop
        covered = any(r.start <= start < r.end for r in self.ranges)
        if not sequential:
            # a jump: what was read ahead is of no use, unless it holds this read
            self._release(lambda r: r.start < stop and start < r.end)
        if covered:
            self.hit_count += 1
        else:
            self.miss_count += 1
        chunk = max(self.blocksize, stop - start) if sequential else stop - start
        pieces = []
        pos = start
        while pos < stop:
            held = next((r for r in self.ranges if r.start <= pos < r.end), None)
            pending = self._add(pos, min(self.size, pos + chunk)) if held is None else held
            end = min(stop, pending.end)
            pieces.append(pending.view(pos, end))
            pos = end
        out: Union[bytes, memoryview]
        if hand_over and len(pieces) == 1 and (pending.start, pending.end) == (start, stop):
            out = pieces[0]
            self.ranges.remove(pending)  # its buffer now belongs to the caller
        else:
            out = bytes(pieces[0]) if len(pieces) == 1 else b"".join(pieces)
        # keep the range holding the next byte and everything after it
        self._release(lambda r: r.end > stop)
        if sequential and self.depth:
            horizon = min(self.size, stop + max(self.depth * self.blocksize, stop - start))
            pos = max([stop] + [r.end for r in self.ranges])
            while pos < horizon:
                end = min(self.size, pos + chunk)
                self._add(pos, end, background=True)
                pos = end
        return out

    def close(self) -> None:
        self._release(lambda r: False)
        self.spare = []


register_cache(COSReadAhead, clobber=True)
