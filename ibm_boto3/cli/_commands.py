"""The ``cos`` commands. Each takes the run's :class:`Context` and returns nothing: failures of
single items are reported through ``ctx.out.error`` (exit status 1), fatal ones raise."""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from typing import Any, Callable, Dict, List, Optional

from . import _tree as tree
from ._client import Clients, CliError, describe
from ._output import Output, human_size, to_json
from ._paths import Local, Remote, Stream, UsageError, folder, parse, parse_remote


class Context:
    def __init__(self, args: Any, out: Output) -> None:
        self.args = args
        self.out = out
        self.clients = Clients(args)
        #: what a fatal error is about (named in its message)
        self.subject: Any = None

    @property
    def client(self) -> Any:
        return self.clients.client

    def config(self) -> Any:
        return self.clients.transfer_config()


# -- object options ---------------------------------------------------------------------------------
def _metadata(text: Optional[str]) -> Optional[Dict[str, str]]:
    if not text:
        return None
    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise UsageError("--metadata is not valid JSON: %s" % exc) from None
        if not isinstance(value, dict):
            raise UsageError("--metadata JSON must be an object")
        return {str(k): str(v) for k, v in value.items()}
    pairs = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise UsageError("--metadata wants KEY=VALUE[,KEY=VALUE...] or a JSON object, got %r" % part)
        pairs[key.strip()] = value
    return pairs


def object_args(args: Any) -> Dict[str, Any]:
    """ExtraArgs for new objects from the command's object options (no Content-Type guess)."""
    extra: Dict[str, Any] = {}
    metadata = _metadata(args.metadata)
    if metadata is not None:
        extra["Metadata"] = metadata
    for option, name in (("content_type", "ContentType"), ("cache_control", "CacheControl"),
                         ("content_disposition", "ContentDisposition"), ("storage_class", "StorageClass"),
                         ("sse", "ServerSideEncryption"),
                         ("retention_period", "RetentionPeriod"), ("retention_legal_hold_id", "RetentionLegalHoldId")):
        value = getattr(args, option, None)
        if value is not None:
            extra[name] = value
    if args.retention_expiration_date:
        extra["RetentionExpirationDate"] = _date(args.retention_expiration_date)
    return extra


def _date(text: str) -> Any:
    from dateutil import parser as dateparser

    try:
        return dateparser.parse(text)
    except (ValueError, OverflowError):
        raise UsageError("%r is not a date" % text) from None


def upload_args(args: Any, base: Dict[str, Any], name: str) -> Dict[str, Any]:
    extra = dict(base)
    if "ContentType" not in extra and not args.no_guess_mime_type:
        guessed = tree.guess_type(name)
        if guessed:
            extra["ContentType"] = guessed
    return extra


def copy_args(base: Dict[str, Any]) -> Dict[str, Any]:
    extra = dict(base)
    if "Metadata" in extra or "ContentType" in extra:
        extra["MetadataDirective"] = "REPLACE"
    return extra


# -- single transfers ---------------------------------------------------------------------------------
class _BarSubscriber:
    """Feeds a transfer's progress to a bar; learns the size once the manager knows it."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.sized = False

    def on_queued(self, future: Any = None, **kwargs: Any) -> None:
        pass

    def on_progress(self, future: Any = None, bytes_transferred: int = 0, **kwargs: Any) -> None:
        if not self.sized and future is not None and future.meta.size is not None:
            self.sized = True
            self.bar.total(future.meta.size)
        self.bar.advance(bytes_transferred)

    def on_done(self, future: Any = None, **kwargs: Any) -> None:
        pass


def _one(ctx: Context, description: str, size: Optional[int], start: Callable[[Any, List[Any]], Any]) -> Any:
    """One transfer on a TransferManager with a progress bar. Ctrl-C cancels it; leaving the
    manager's block waits until the multipart upload is aborted / the temporary file removed."""
    from ibm_s3transfer.manager import TransferManager

    bar = ctx.out.bar(description, size)
    try:
        with TransferManager(ctx.client, ctx.config()) as manager:
            future = start(manager, [_BarSubscriber(bar)])
            try:
                return future.result()
            except KeyboardInterrupt:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                raise
    finally:
        bar.close()


def _file_name(key: str) -> str:
    return key.rstrip("/").rsplit("/", 1)[-1]


def _target_key(dest: Remote, name: str) -> str:
    return dest.key + name if (not dest.key or dest.key.endswith("/")) else dest.key


def _target_path(dest: Local, name: str) -> str:
    path = dest.path
    if path.endswith(("/", os.sep)) or os.path.isdir(path):
        path = os.path.join(path, name)
    return path


def copy_single(ctx: Context, src: Any, dst: Any, move: bool) -> None:
    args, out = ctx.args, ctx.out
    base = object_args(args)
    ctx.subject = dst if isinstance(dst, Remote) else src
    if isinstance(src, Local):
        if os.path.isdir(src.path):
            raise UsageError("%s is a directory (use --recursive)" % src.path)
        if not os.path.isfile(src.path):
            out.error("no such file", src.path)
            return
        target = Remote(dst.bucket, _target_key(dst, os.path.basename(src.path)))
        size = os.path.getsize(src.path)
        action = "move" if move else "upload"
        if not args.dryrun:
            extra = upload_args(args, base, src.path)
            _one(ctx, action, size, lambda m, s: m.upload(src.path, target.bucket, target.key, extra_args=extra, subscribers=s))
            if move:
                os.remove(src.path)
        out.event(action, src.path, target, size, dryrun=args.dryrun)
    elif isinstance(src, Stream):
        if move:
            raise UsageError("mv cannot read stdin (use cp)")
        if not dst.key or dst.key.endswith("/"):
            raise UsageError("uploading stdin needs a full destination key, not %s" % dst)
        if not args.dryrun:
            stream = sys.stdin.buffer
            _one(ctx, "upload", None, lambda m, s: m.upload(stream, dst.bucket, dst.key, extra_args=base or None, subscribers=s))
        out.event("upload", "-", dst, dryrun=args.dryrun)
    elif isinstance(dst, Stream):
        if move:
            raise UsageError("mv cannot write to stdout (use cp)")
        _require_key(src)
        download_to_stdout(ctx, src)
    elif isinstance(dst, Local):
        _require_key(src)
        path = _target_path(dst, _file_name(src.key))
        action = "move" if move else "download"
        if not args.dryrun:
            parent = os.path.dirname(os.path.abspath(path))
            os.makedirs(parent, exist_ok=True)
            _one(ctx, action, None, lambda m, s: m.download(src.bucket, src.key, path, subscribers=s))
            if move:
                ctx.subject = src
                ctx.client.delete_object(Bucket=src.bucket, Key=src.key)
        out.event(action, src, path, dryrun=args.dryrun)
    else:
        _require_key(src)
        target = Remote(dst.bucket, _target_key(dst, _file_name(src.key)))
        action = "move" if move else "copy"
        if not args.dryrun:
            extra = copy_args(base)
            _one(ctx, action, None, lambda m, s: m.copy({"Bucket": src.bucket, "Key": src.key}, target.bucket,
                                                      target.key, extra_args=extra or None, subscribers=s))
            if move:
                ctx.subject = src
                ctx.client.delete_object(Bucket=src.bucket, Key=src.key)
        out.event(action, src, target, dryrun=args.dryrun)


def download_to_stdout(ctx: Context, src: Remote) -> None:
    stdout = sys.stdout.buffer
    sys.stdout.flush()
    _one(ctx, "download", None, lambda m, s: m.download(src.bucket, src.key, stdout, subscribers=s))
    stdout.flush()


def _require_key(remote: Remote) -> None:
    if not remote.key or remote.key.endswith("/"):
        raise UsageError("%s names a prefix, not an object (use --recursive for trees)" % remote)


def _pair(args: Any) -> Any:
    src, dst = parse(args.source), parse(args.destination)
    if not isinstance(src, Remote) and not isinstance(dst, Remote):
        raise UsageError("at least one of SOURCE and DESTINATION must be cos://BUCKET/...")
    return src, dst


# -- cp / mv ---------------------------------------------------------------------------------------------
def cmd_cp(ctx: Context, move: bool = False) -> None:
    src, dst = _pair(ctx.args)
    if not ctx.args.recursive:
        if ctx.args.filters:
            raise UsageError("--include/--exclude need --recursive")
        copy_single(ctx, src, dst, move)
        return
    if isinstance(src, Stream) or isinstance(dst, Stream):
        raise UsageError("- (stdin/stdout) cannot be used with --recursive")
    transfer_tree(ctx, src, dst, move=move, sync=False)


def cmd_mv(ctx: Context) -> None:
    cmd_cp(ctx, move=True)


def cmd_sync(ctx: Context) -> None:
    src, dst = _pair(ctx.args)
    if isinstance(src, Stream) or isinstance(dst, Stream):
        raise UsageError("sync works on directories and prefixes, not on - (stdin/stdout)")
    transfer_tree(ctx, src, dst, move=False, sync=True)


def transfer_tree(ctx: Context, src: Any, dst: Any, move: bool, sync: bool) -> None:
    """cp/mv --recursive and sync: local → COS and COS → local on the directory engine,
    COS → COS as server-side copies."""
    ctx.subject = src if isinstance(src, Remote) else dst
    if isinstance(src, Local):
        _upload_tree(ctx, src, dst, move, sync)
    elif isinstance(dst, Local):
        _download_tree(ctx, src, dst, move, sync)
    else:
        _copy_tree(ctx, src, dst, move, sync)


def _skip_by_content(ctx: Context, bucket: str) -> Callable[[Any], bool]:
    from ibm_s3transfer.directory import already_complete

    return already_complete(ctx.client, bucket)


def _report(ctx: Context, result: tree.TreeResult, action: str, source: Callable[[Any], Any],
            dest: Callable[[Any], Any], size: Callable[[Any], int]) -> None:
    for item in result.done:
        ctx.out.event(action, source(item), dest(item), size(item))
    for item, exc in result.failed:
        ctx.out.error("%s failed: %s" % (action, describe(exc)), source(item))


def _upload_tree(ctx: Context, src: Local, dst: Remote, move: bool, sync: bool) -> None:
    from ibm_s3transfer.directory import plan_upload

    args, out = ctx.args, ctx.out
    if not os.path.isdir(src.path):
        raise UsageError("%s is not a directory" % src.path)
    accept = tree.path_filter(args.filters)
    existing: Dict[str, Dict[str, Any]] = {}
    skip = None
    if sync:
        existing = tree.remote_files(ctx.client, dst, None)
        by_content = _skip_by_content(ctx, dst.bucket) if args.checksum else None

        def skip(item: Any) -> bool:
            entry = existing.get(item.relative)
            if entry is None:
                return False
            if by_content is not None:
                return by_content(tree.with_remote(item, entry))
            return tree.unchanged(item.local.size, item.local.mtime, int(entry.get("Size") or 0),
                                  tree.timestamp(entry.get("LastModified")), args.size_only)

    plan = plan_upload(src.path, dst.bucket, dst.key, include=accept, skip=skip)
    action = "move" if move else "upload"
    if plan.items and not sync and not args.dryrun:
        _check_bucket(ctx, dst.bucket)  # one clear error, not one per file
    base = object_args(args)
    if args.dryrun:
        for item in plan.items:
            out.event(action, item.path, Remote(dst.bucket, item.key), item.size, dryrun=True)
    else:
        result = tree.run_directory(ctx.client, plan, config=ctx.config(), out=out, description=action,
                                    processes=args.processes,
                                    extra_args=lambda item: upload_args(args, base, item.relative))
        _report(ctx, result, action, lambda i: i.path, lambda i: Remote(dst.bucket, i.key), lambda i: i.size)
        if move:
            for item in result.done:
                os.remove(item.path)
    if sync and args.delete:
        present = {item.relative for item in plan.items} | {item.relative for item in plan.skipped}
        gone = [rel for rel in sorted(existing) if rel not in present and (accept is None or accept(rel))]
        _delete_remote(ctx, dst.bucket, [existing[rel]["Key"] for rel in gone])


def _check_bucket(ctx: Context, bucket: str) -> None:
    """Fail once for a missing bucket or an unreachable endpoint (other refusals, such as no
    permission for HeadBucket, are left to the transfers themselves)."""
    from ibm_botocore.exceptions import ClientError

    try:
        ctx.client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code"))
        if code in ("404", "NoSuchBucket"):
            raise CliError("the bucket does not exist (NoSuchBucket)") from None


def _download_tree(ctx: Context, src: Remote, dst: Local, move: bool, sync: bool) -> None:
    from ibm_s3transfer.directory import plan_download

    args, out = ctx.args, ctx.out
    if os.path.exists(dst.path) and not os.path.isdir(dst.path):
        raise UsageError("%s is not a directory" % dst.path)
    accept = tree.path_filter(args.filters)
    skip = None
    if sync:
        by_content = _skip_by_content(ctx, src.bucket) if args.checksum else None

        def skip(item: Any) -> bool:
            if item.local is None:
                return False
            if by_content is not None:
                return by_content(item)
            return tree.unchanged(item.remote.size, tree.timestamp(item.remote.last_modified),
                                  item.local.size, item.local.mtime, args.size_only)

    try:
        plan = plan_download(ctx.client, src.bucket, src.key, dst.path, include=accept, skip=skip)
    except ValueError as exc:  # UnsafeKeyError: nothing has been written
        raise CliError(str(exc)) from None
    action = "move" if move else "download"
    if args.dryrun:
        for item in plan.items:
            out.event(action, Remote(src.bucket, item.key), item.path, item.size, dryrun=True)
    else:
        os.makedirs(dst.path, exist_ok=True)
        result = tree.run_directory(ctx.client, plan, config=ctx.config(), out=out, description=action,
                                    processes=args.processes)
        tree.set_mtimes(result.done)
        _report(ctx, result, action, lambda i: Remote(src.bucket, i.key), lambda i: i.path, lambda i: i.size)
        if move:
            _delete_remote(ctx, src.bucket, [item.key for item in result.done], quiet=True)
    if sync and args.delete:
        present = {item.relative for item in plan.items} | {item.relative for item in plan.skipped}
        local = tree.local_files(dst.path, accept) if os.path.isdir(dst.path) else {}
        for rel in sorted(local):
            if rel not in present:
                if not args.dryrun:
                    try:
                        os.remove(local[rel])
                    except OSError as exc:
                        out.error("delete failed: %s" % describe(exc), local[rel])
                        continue
                out.event("delete", local[rel], dryrun=args.dryrun)


def _copy_tree(ctx: Context, src: Remote, dst: Remote, move: bool, sync: bool) -> None:
    args, out = ctx.args, ctx.out
    accept = tree.path_filter(args.filters)
    sources = tree.remote_files(ctx.client, src, accept)
    existing = tree.remote_files(ctx.client, dst, None) if sync else {}
    pairs = []
    for rel in sorted(sources):
        entry = sources[rel]
        size = int(entry.get("Size") or 0)
        other = existing.get(rel)
        if other is not None:
            if args.checksum:
                if other.get("ETag") == entry.get("ETag"):
                    continue
            elif tree.unchanged(size, tree.timestamp(entry.get("LastModified")), int(other.get("Size") or 0),
                                tree.timestamp(other.get("LastModified")), args.size_only):
                continue
        pairs.append((Remote(src.bucket, entry["Key"]), dst.child(rel), size))
    action = "move" if move else "copy"
    if args.dryrun:
        for source, target, size in pairs:
            out.event(action, source, target, size, dryrun=True)
    else:
        base = copy_args(object_args(args))
        result = tree.copy_objects(ctx.client, pairs, config=ctx.config(), out=out, extra_args=lambda target: base)
        _report(ctx, result, action, lambda p: p[0], lambda p: p[1], lambda p: p[2])
        if move:
            _delete_remote(ctx, src.bucket, [p[0].key for p in result.done], quiet=True)
    if sync and args.delete:
        gone = [existing[rel]["Key"] for rel in sorted(existing) if rel not in sources and (accept is None or accept(rel))]
        _delete_remote(ctx, dst.bucket, gone)


def _delete_remote(ctx: Context, bucket: str, keys: List[str], quiet: bool = False) -> None:
    if not keys:
        return
    if getattr(ctx.args, "dryrun", False):
        for key in keys:
            ctx.out.event("delete", Remote(bucket, key), dryrun=True)
        return
    deleted, failed = tree.delete_objects(ctx.client, bucket, [{"Key": k} for k in keys])
    if not quiet:
        for obj in deleted:
            ctx.out.event("delete", Remote(bucket, obj["Key"]))
    for key, message in sorted(failed.items()):
        ctx.out.error("delete failed: %s" % message, Remote(bucket, key))


# -- rm / mb / rb ----------------------------------------------------------------------------------------
def cmd_rm(ctx: Context) -> None:
    args = ctx.args
    target = parse_remote(args.path)
    ctx.subject = target
    if not args.recursive:
        if args.filters:
            raise UsageError("--include/--exclude need --recursive")
        _require_key(target)
        if not args.dryrun:
            ctx.client.delete_object(Bucket=target.bucket, Key=target.key)
        ctx.out.event("delete", target, dryrun=args.dryrun)
        return
    accept = tree.path_filter(args.filters)
    prefix = folder(target.key)
    keys = [entry["Key"] for entry in tree.list_objects(ctx.client, target.bucket, prefix)
            if accept is None or accept(entry["Key"][len(prefix):])]
    _delete_remote(ctx, target.bucket, keys)


def _bucket_arg(ctx: Context, command: str) -> Remote:
    target = parse_remote(ctx.args.path, "bucket")
    ctx.subject = "cos://" + target.bucket
    if target.key:
        raise UsageError("%s takes a bucket (cos://BUCKET), not %s" % (command, ctx.args.path))
    return target


def cmd_mb(ctx: Context) -> None:
    args = ctx.args
    target = _bucket_arg(ctx, "mb")
    params: Dict[str, Any] = {"Bucket": target.bucket}
    if args.location:
        params["CreateBucketConfiguration"] = {"LocationConstraint": args.location}
    if args.kms_root_key_crn:
        params["IBMSSEKPCustomerRootKeyCrn"] = args.kms_root_key_crn
        params["IBMSSEKPEncryptionAlgorithm"] = args.kms_encryption_algorithm or "AES256"
    elif args.kms_encryption_algorithm:
        raise UsageError("--kms-encryption-algorithm needs --kms-root-key-crn")
    if args.instance_id:
        params["IBMServiceInstanceId"] = args.instance_id
    ctx.client.create_bucket(**params)
    ctx.out.event("make_bucket", target.bucket)


def cmd_rb(ctx: Context) -> None:
    args = ctx.args
    target = _bucket_arg(ctx, "rb")
    client = ctx.client
    if args.force:
        _empty_bucket(ctx, target.bucket)
    client.delete_bucket(Bucket=target.bucket)
    ctx.out.event("remove_bucket", target.bucket)


def _empty_bucket(ctx: Context, bucket: str) -> None:
    client = ctx.client
    keys = [entry["Key"] for entry in tree.list_objects(client, bucket, "")]
    _delete_remote(ctx, bucket, keys)
    from ibm_botocore.exceptions import ClientError

    try:
        versions = []
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for entry in list(page.get("Versions", ())) + list(page.get("DeleteMarkers", ())):
                versions.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
        if versions:
            deleted, failed = tree.delete_objects(client, bucket, versions)
            for key, message in sorted(failed.items()):
                ctx.out.error("delete failed: %s" % message, Remote(bucket, key))
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
            for upload in page.get("Uploads", ()):
                client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    except ClientError as exc:  # a server without versioning or multipart listings: nothing more to empty
        code = exc.response.get("Error", {}).get("Code")
        if code not in ("NotImplemented", "MethodNotAllowed", "InvalidRequest"):
            raise


# -- ls ------------------------------------------------------------------------------------------------
def _when(value: Any) -> str:
    if hasattr(value, "astimezone"):
        text: str = value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        return text
    return str(value)


def cmd_ls(ctx: Context) -> None:
    args, out = ctx.args, ctx.out
    if not args.path or args.path.rstrip("/") in ("cos:", "s3:"):
        for bucket in ctx.client.list_buckets().get("Buckets", ()):
            out.record({"type": "bucket", "name": bucket["Name"], "created": bucket.get("CreationDate")},
                       "%s %s" % (_when(bucket.get("CreationDate")), bucket["Name"]))
        return
    target = parse_remote(args.path)
    ctx.subject = target
    params: Dict[str, Any] = {"Bucket": target.bucket, "Prefix": target.key}
    if not args.recursive:
        params["Delimiter"] = "/"
    shown = target.key.rsplit("/", 1)[0] + "/" if "/" in target.key else ""
    count = total = 0
    size_text = human_size if args.human_readable else str
    for page in ctx.client.get_paginator("list_objects_v2").paginate(**params):
        for common in page.get("CommonPrefixes", ()):
            name = common["Prefix"]
            out.record({"type": "prefix", "prefix": name}, "%30s %s" % ("PRE", name[len(shown):]))
        for entry in page.get("Contents", ()):
            count += 1
            total += int(entry.get("Size") or 0)
            key = entry["Key"] if args.recursive else entry["Key"][len(shown):]
            out.record({"type": "object", "key": entry["Key"], "size": entry.get("Size"),
                        "last_modified": entry.get("LastModified"), "etag": (entry.get("ETag") or "").strip('"'),
                        "storage_class": entry.get("StorageClass")},
                       "%s %10s %s" % (_when(entry.get("LastModified")), size_text(entry.get("Size") or 0), key))
    if args.summarize:
        out.record({"type": "summary", "objects": count, "size": total},
                   "\nTotal Objects: %d\n   Total Size: %s" % (count, size_text(total)))


# -- presign / cat / head ----------------------------------------------------------------------------------
def cmd_presign(ctx: Context) -> None:
    target = parse_remote(ctx.args.path)
    ctx.subject = target
    _require_key(target)
    if not 1 <= ctx.args.expires_in <= 604800:
        raise UsageError("--expires-in must be between 1 and 604800 seconds")
    from ibm_botocore.exceptions import UnsupportedSignatureVersionError

    try:
        url = ctx.client.generate_presigned_url("get_object", Params={"Bucket": target.bucket, "Key": target.key},
                                                ExpiresIn=ctx.args.expires_in)
    except UnsupportedSignatureVersionError:
        raise CliError("presigned URLs need HMAC keys (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or "
                       "cos_hmac_keys in ~/.bluemix/cos_credentials); an API key cannot presign") from None
    ctx.out.record({"url": url, "expires_in": ctx.args.expires_in}, url)


def cmd_cat(ctx: Context) -> None:
    targets = [parse_remote(path) for path in ctx.args.paths]
    for target in targets:
        _require_key(target)
    for target in targets:
        ctx.subject = target
        download_to_stdout(ctx, target)


def cmd_head(ctx: Context) -> None:
    target = parse_remote(ctx.args.path)
    ctx.subject = target
    if target.key:
        response = ctx.client.head_object(Bucket=target.bucket, Key=target.key)
    else:
        response = ctx.client.head_bucket(Bucket=target.bucket)
    response.pop("ResponseMetadata", None)
    ctx.out.write(to_json(response, indent=None if ctx.args.json else 2))


# -- emulator --------------------------------------------------------------------------------------------
def cmd_emulator(ctx: Context) -> None:
    try:
        from ibm_cos_emulator.server import Emulator

        emulator = Emulator(host=ctx.args.host, port=ctx.args.port, data_dir=ctx.args.data_dir)
        emulator.start()
    except (ImportError, RuntimeError) as exc:
        raise CliError("the emulator needs the [emulator] extra: pip install 'ibm-cos-sdk[emulator]' (%s)" % exc) from None
    try:
        info = {"endpoint_url": emulator.endpoint_url, "auth_endpoint": emulator.auth_endpoint,
                "api_key": emulator.api_key, "instance_id": emulator.instance_id,
                "access_key_id": emulator.access_key_id, "secret_access_key": emulator.secret_access_key,
                "region": emulator.region}
        if ctx.args.json:
            ctx.out.write(to_json(info))
        else:
            ctx.out.write("\n".join([
                "COS emulator listening on %s" % emulator.endpoint_url,
                "# HMAC keys:",
                "export COS_ENDPOINT_URL=%s" % emulator.endpoint_url,
                "export AWS_ACCESS_KEY_ID=%s" % emulator.access_key_id,
                "export AWS_SECRET_ACCESS_KEY=%s" % emulator.secret_access_key,
                "# or an API key (IAM tokens from the emulator):",
                "export IBM_API_KEY_ID=%s" % emulator.api_key,
                "export IBM_SERVICE_INSTANCE_ID=%s" % emulator.instance_id,
                "export IBM_AUTH_ENDPOINT=%s" % emulator.auth_endpoint,
                "# Press Ctrl-C to stop.",
            ]))
        sys.stdout.flush()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


COMMANDS: Dict[str, Callable[[Context], None]] = {
    "ls": cmd_ls, "cp": cmd_cp, "mv": cmd_mv, "sync": cmd_sync, "rm": cmd_rm, "mb": cmd_mb, "rb": cmd_rb,
    "presign": cmd_presign, "cat": cmd_cat, "head": cmd_head, "emulator": cmd_emulator,
}
