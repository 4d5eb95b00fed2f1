"""The public API surface: configs, validation, futures, subscribers, helpers, legacy API."""
from __future__ import annotations

import io
import os
import random
import zlib

import pytest

from transfer_helpers import MB

import ibm_boto3
import ibm_s3transfer
from ibm_boto3.s3.transfer import S3Transfer, TransferConfig, create_transfer_manager
from ibm_s3transfer import constants
from ibm_s3transfer.bandwidth import (
    BandwidthLimitedStream,
    BandwidthLimiter,
    BandwidthRateTracker,
    LeakyBucket,
    RequestExceededException,
    RequestToken,
)
from ibm_s3transfer.exceptions import InvalidSubscriberMethodError, TransferNotDoneError
from ibm_s3transfer.futures import NonThreadedExecutor, TransferCoordinator, TransferFuture, TransferMeta
from ibm_s3transfer.manager import TransferConfig as ManagerConfig
from ibm_s3transfer.manager import TransferManager
from ibm_s3transfer.subscribers import BaseSubscriber
from ibm_s3transfer.utils import ChunksizeAdjuster, composite_crc32, crc32_combine, crc32_combine_all


# -- configuration -----------------------------------------------------------------------------
def test_manager_config_defaults():
    config = ManagerConfig()
    assert (config.multipart_threshold, config.multipart_chunksize) == (8 * MB, 8 * MB)
    assert (config.max_request_concurrency, config.max_submission_concurrency) == (10, 5)
    assert (config.max_request_queue_size, config.max_submission_queue_size, config.max_io_queue_size) == (1000, 1000, 1000)
    assert (config.io_chunksize, config.num_download_attempts) == (256 * 1024, 5)
    assert (config.max_in_memory_upload_chunks, config.max_in_memory_download_chunks, config.max_bandwidth) == (10, 10, None)


@pytest.mark.parametrize("name", ["multipart_threshold", "max_request_concurrency", "num_download_attempts", "max_bandwidth"])
def test_manager_config_rejects_non_positive(name):
    with pytest.raises(ValueError):
        ManagerConfig(**{name: 0})
    with pytest.raises(ValueError):
        ManagerConfig(**{name: -5})


def test_boto3_config_names_and_aliases():
    config = TransferConfig()
    assert (config.multipart_threshold, config.max_concurrency, config.multipart_chunksize) == (8 * MB, 10, 8 * MB)
    assert (config.num_download_attempts, config.max_io_queue, config.io_chunksize) == (5, 100, 256 * 1024)
    assert config.use_threads is True and config.max_bandwidth is None
    assert config.max_request_concurrency == 10 and config.max_io_queue_size == 100
    config.max_concurrency = 3
    assert config.max_request_concurrency == 3
    config.max_request_concurrency = 7
    assert config.max_concurrency == 7
    config.max_io_queue_size = 42
    assert config.max_io_queue == 42
    assert isinstance(config, ManagerConfig)


def test_create_transfer_manager_executor(client):
    threaded = create_transfer_manager(client, TransferConfig())
    inline = create_transfer_manager(client, TransferConfig(use_threads=False))
    try:
        assert inline._requests._executor.__class__ is NonThreadedExecutor
        assert threaded._requests._executor.__class__ is not NonThreadedExecutor
        assert isinstance(threaded, ibm_boto3.s3.transfer.TransferManager)
    finally:
        threaded.shutdown()
        inline.shutdown()


def test_allowed_args_lists():
    assert constants.ALLOWED_DOWNLOAD_ARGS == TransferManager.ALLOWED_DOWNLOAD_ARGS
    for name in ("RetentionPeriod", "RetentionExpirationDate", "RetentionLegalHoldId", "Metadata", "ChecksumAlgorithm"):
        assert name in TransferManager.ALLOWED_UPLOAD_ARGS and name in TransferManager.ALLOWED_COPY_ARGS
    assert "MetadataDirective" in TransferManager.ALLOWED_COPY_ARGS and "MetadataDirective" not in TransferManager.ALLOWED_UPLOAD_ARGS
    assert "ChecksumCRC32" in TransferManager.ALLOWED_UPLOAD_ARGS
    assert TransferManager.ALLOWED_DELETE_ARGS == ["MFA", "VersionId", "RequestPayer", "ExpectedBucketOwner"]
    assert constants.USER_AGENT == "ibm_s3transfer/2.16.2"
    assert ibm_s3transfer.__version__ == "2.16.2"


def test_unknown_extra_args_are_rejected(client, bucket, tmp_path):
    with TransferManager(client) as manager:
        with pytest.raises(ValueError) as info:
            manager.upload(io.BytesIO(b"x"), bucket, "k", extra_args={"Bogus": 1})
        assert str(info.value).startswith("Invalid extra_args key 'Bogus', must be one of: ACL, CacheControl")
        with pytest.raises(ValueError, match="Invalid extra_args key 'ACL'"):
            manager.download(bucket, "k", io.BytesIO(), extra_args={"ACL": "private"})
        with pytest.raises(ValueError, match="Invalid extra_args key"):
            manager.delete(bucket, "k", extra_args={"Metadata": {}})
    with pytest.raises(ValueError, match="Invalid extra_args key 'Nope'"):
        client.upload_file(str(tmp_path / "missing"), bucket, "k", ExtraArgs={"Nope": 1})


def test_object_lambda_arns_are_rejected(client):
    arn = "arn:aws:s3-object-lambda:us-east-1:123456789012:accesspoint/my-ap"
    with TransferManager(client) as manager:
        with pytest.raises(ValueError, match="S3 Object Lambda"):
            manager.download(arn, "k", io.BytesIO())


def test_filename_must_be_str_or_pathlike(client, bucket):
    with pytest.raises(ValueError):
        client.upload_file(123, bucket, "k")
    with pytest.raises(ValueError):
        client.download_file(bucket, "k", object())


def test_checksum_defaults_in_extra_args(client, bucket):
    with TransferManager(client) as manager:
        plain = manager.upload(io.BytesIO(b"abc"), bucket, "a")
        full = manager.upload(io.BytesIO(b"abc"), bucket, "b", extra_args={"ChecksumCRC32": "NSRBwg=="})
        plain.result()
        full.result()
    assert plain.meta.call_args.extra_args == {"ChecksumAlgorithm": "CRC32"}
    assert full.meta.call_args.extra_args == {"ChecksumCRC32": "NSRBwg==", "ChecksumType": "FULL_OBJECT", "ChecksumAlgorithm": "CRC32"}
    assert client.head_object(Bucket=bucket, Key="b", ChecksumMode="ENABLED")["ChecksumCRC32"] == "NSRBwg=="


# -- subscribers and futures -------------------------------------------------------------------
def test_subscriber_methods_must_accept_kwargs():
    class Bad(BaseSubscriber):
        def on_progress(self, future, bytes_transferred):
            pass

    with pytest.raises(InvalidSubscriberMethodError):
        Bad()

    class Good(BaseSubscriber):
        def on_done(self, future, **kwargs):
            pass

    Good()
    assert BaseSubscriber.VALID_SUBSCRIBER_TYPES == ("queued", "progress", "done")


def test_future_meta_and_set_exception():
    meta = TransferMeta(call_args="args", transfer_id=7)
    assert (meta.call_args, meta.transfer_id, meta.size, meta.user_context) == ("args", 7, None, {})
    meta.provide_transfer_size(42)
    assert meta.size == 42
    coordinator = TransferCoordinator(transfer_id=7)
    future = TransferFuture(meta, coordinator)
    assert coordinator.status == "not-started"
    with pytest.raises(TransferNotDoneError):
        future.set_exception(RuntimeError("x"))
    coordinator.set_status_to_queued()
    assert coordinator.status == "queued"
    coordinator.task_submitted()
    coordinator.set_result("ok")
    assert future.done() and coordinator.status == "success"
    coordinator.task_finished()
    assert future.result() == "ok"
    future.set_exception(RuntimeError("replaced"))
    with pytest.raises(RuntimeError, match="replaced"):
        future.result()


def test_cancel_of_unstarted_future_runs_cleanups():
    coordinator = TransferCoordinator()
    cleaned = []
    coordinator.add_failure_cleanup(cleaned.append, "cleanup")
    coordinator.add_done_callback(cleaned.append, "done")
    future = TransferFuture(TransferMeta(), coordinator)
    future.cancel()
    assert coordinator.status == "cancelled"
    assert cleaned == ["cleanup", "done"]
    from ibm_s3transfer.exceptions import CancelledError

    with pytest.raises(CancelledError) as info:
        future.result()
    assert type(info.value) is CancelledError


# -- helpers ------------------------------------------------------------------------------------
def test_crc32_combine_matches_zlib():
    rng = random.Random(5)
    data = bytes(rng.getrandbits(8) for _ in range(70_000))
    for cut in (0, 1, 13, 4096, 65_535, len(data)):
        a, b = data[:cut], data[cut:]
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(data)
    pieces = [data[i : i + 9_999] for i in range(0, len(data), 9_999)]
    assert crc32_combine_all((zlib.crc32(p), len(p)) for p in pieces) == zlib.crc32(data)
    # S3's composite checksum of two parts
    expected = zlib.crc32(zlib.crc32(b"ab").to_bytes(4, "big") + zlib.crc32(b"cd").to_bytes(4, "big"))
    assert composite_crc32([zlib.crc32(b"ab"), zlib.crc32(b"cd")]) == expected


def test_chunksize_adjuster():
    adjuster = ChunksizeAdjuster()
    assert adjuster.adjust_chunksize(1, 100) == 5 * MB
    assert adjuster.adjust_chunksize(8 * MB, 8 * MB * 10_000) == 8 * MB
    assert adjuster.adjust_chunksize(8 * MB, 8 * MB * 10_001) == 16 * MB
    assert adjuster.adjust_chunksize(10 * 1024 * MB) == 5 * 1024 * MB


class _FakeTime:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_leaky_bucket_spaces_out_requests():
    clock = _FakeTime()
    bucket = LeakyBucket(1000, time_utils=clock)
    first, second = RequestToken(), RequestToken()
    assert bucket.consume(500, first) == 500
    with pytest.raises(RequestExceededException) as info:
        bucket.consume(500, second)
    assert info.value.requested_amt == 500 and info.value.retry_time == pytest.approx(0.5)
    clock.now += 0.5
    assert bucket.consume(500, second) == 500  # its reserved turn
    assert bucket.consumed_bytes == 1000


def test_bandwidth_limited_stream_pays_per_threshold():
    clock = _FakeTime()
    bucket = LeakyBucket(1024 * 1024, time_utils=clock)
    limiter = BandwidthLimiter(bucket, time_utils=clock)
    coordinator = TransferCoordinator()
    stream = limiter.get_bandwith_limited_stream(io.BytesIO(b"x" * (3 * MB)), coordinator)
    assert isinstance(stream, BandwidthLimitedStream)
    total = 0
    while True:
        chunk = stream.read(64 * 1024)
        if not chunk:
            break
        total += len(chunk)
    stream.close()
    assert total == 3 * MB
    assert bucket.consumed_bytes == 3 * MB
    # 3 MiB at 1 MiB/s is 3 seconds; the first 256 KiB step goes at once
    assert sum(clock.slept) == pytest.approx(3.0 - 0.25)
    tracker = BandwidthRateTracker()
    tracker.record_consumption_rate(10, 1.0)
    tracker.record_consumption_rate(10, 2.0)
    assert tracker.current_rate > 0


# -- ibm_boto3 S3Transfer and the legacy interface ---------------------------------------------
def test_s3transfer_argument_rules(client):
    with pytest.raises(ValueError):
        S3Transfer()
    manager = TransferManager(client)
    try:
        with pytest.raises(ValueError):
            S3Transfer(client, manager=manager)
        transfer = S3Transfer(manager=manager)
        assert transfer._manager is manager
    finally:
        manager.shutdown()


def test_s3transfer_round_trip_and_retries_exceeded_mapping(emu, client, bucket, tmp_path):
    data = os.urandom(6 * MB)
    source = tmp_path / "s.bin"
    source.write_bytes(data)
    with S3Transfer(client, TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)) as transfer:
        seen = []
        transfer.upload_file(str(source), bucket, "k", callback=seen.append)
        assert sum(seen) == len(data)
        transfer.download_file(bucket, "k", str(tmp_path / "d.bin"))
        assert (tmp_path / "d.bin").read_bytes() == data
        emu.faults.truncate(after_bytes=10, method="GET", path="/k$", times=None)
        with pytest.raises(ibm_boto3.exceptions.RetriesExceededError):
            transfer.download_file(bucket, "k", str(tmp_path / "e.bin"))
    assert not (tmp_path / "e.bin").exists()


def test_legacy_s3transfer(client, bucket, tmp_path):
    data = os.urandom(6 * MB)
    source = tmp_path / "l.bin"
    source.write_bytes(data)
    legacy = ibm_s3transfer.S3Transfer(client, ibm_s3transfer.TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB))
    seen = []
    legacy.upload_file(str(source), bucket, "legacy", callback=seen.append, extra_args={"ContentType": "text/plain"})
    assert sum(seen) == len(data)
    assert client.head_object(Bucket=bucket, Key="legacy")["ContentType"] == "text/plain"
    legacy.download_file(bucket, "legacy", str(tmp_path / "out"))
    assert (tmp_path / "out").read_bytes() == data
    assert "GrantWriteACL" in ibm_s3transfer.S3Transfer.ALLOWED_UPLOAD_ARGS
    assert "RetentionPeriod" in ibm_s3transfer.S3Transfer.ALLOWED_UPLOAD_ARGS
    with pytest.raises(ValueError, match="Invalid extra_args key"):
        legacy.upload_file(str(source), bucket, "legacy", extra_args={"Bogus": 1})
    queue = ibm_s3transfer.ShutdownQueue()
    queue.put(1)
    queue.trigger_shutdown()
    with pytest.raises(ibm_s3transfer.QueueShutdownError):
        queue.put(2)


def test_read_file_chunk(tmp_path):
    path = tmp_path / "c.bin"
    path.write_bytes(bytes(range(100)))
    seen = []
    chunk = ibm_s3transfer.ReadFileChunk.from_filename(str(path), 10, 20, callback=seen.append)
    assert len(chunk) == 20
    assert chunk.read(5) == bytes(range(10, 15))
    assert chunk.read() == bytes(range(15, 30))
    chunk.seek(0)
    assert seen == [5, 15, -20]
    chunk.close()


# -- aspera and the process pool ---------------------------------------------------------------
def test_aspera_modules_import_without_the_closed_source_sdk():
    # ibm_s3transfer.aspera runs on our own engine (tests/aspera/): cos_aspera is not needed
    from ibm_s3transfer.aspera.exceptions import AsperaTransferQueueError  # noqa: F401
    from ibm_s3transfer.aspera.futures import AsperaTransferFuture  # noqa: F401
    from ibm_s3transfer.aspera.manager import AsperaTransferManager  # noqa: F401
    from ibm_s3transfer.aspera.subscribers import AsperaBaseSubscriber

    assert issubclass(AsperaBaseSubscriber, BaseSubscriber)


def test_process_pool_downloader(emu, client, bucket, tmp_path):
    from ibm_s3transfer.processpool import ProcessPoolDownloader, ProcessTransferConfig

    data = os.urandom(11 * MB)
    client.put_object(Bucket=bucket, Key="pp", Body=data)
    config = ProcessTransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_request_processes=2)
    kwargs = {"aws_access_key_id": emu.access_key_id, "aws_secret_access_key": emu.secret_access_key, "endpoint_url": emu.endpoint_url}
    with ProcessPoolDownloader(client_kwargs=kwargs, config=config) as downloader:
        future = downloader.download_file(bucket, "pp", str(tmp_path / "pp.bin"))
        future.result()
        assert future.done() and future.meta.call_args.key == "pp"
    assert (tmp_path / "pp.bin").read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pp.bin"]


# -- what goes on the wire ---------------------------------------------------------------------
def test_download_checks_travel_as_headers_not_parameters(client, bucket, recorder, tmp_path):
    """HeadObject asks for the stored checksum and every ranged GET names the HEAD's ETag,
    while handlers of before-parameter-build see only Bucket/Key/Range (as in ibm-cos-sdk)."""
    data = os.urandom(11 * MB)
    client.put_object(Bucket=bucket, Key="hinted", Body=data)
    seen = []
    client.meta.events.register("before-parameter-build.s3", lambda params, model, **kw: seen.append((model.name, dict(params))))
    target = tmp_path / "hinted.bin"
    client.download_file(bucket, "hinted", str(target), Config=TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB))
    assert target.read_bytes() == data
    heads = recorder.matching("HEAD", "/hinted")
    gets = recorder.matching("GET", "/hinted")
    assert len(heads) == 1 and heads[0]["headers"]["x-amz-checksum-mode"] == "ENABLED"
    etag = client.head_object(Bucket=bucket, Key="hinted")["ETag"]
    assert len(gets) == 3 and {g["headers"]["if-match"] for g in gets} == {etag}
    assert seen[0] == ("HeadObject", {"Bucket": bucket, "Key": "hinted"})
    assert sorted(p["Range"] for name, p in seen if name == "GetObject") == ["bytes=0-5242879", "bytes=10485760-", "bytes=5242880-10485759"]
    assert all(set(p) == {"Bucket", "Key", "Range"} for name, p in seen if name == "GetObject")


def test_http_parts_carry_crc32_and_the_sha256_the_signer_was_given(client, bucket, recorder, tmp_path):
    import base64
    import hashlib

    data = os.urandom(11 * MB)
    source = tmp_path / "w.bin"
    source.write_bytes(data)
    client.upload_file(str(source), bucket, "w", Config=TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB))
    parts = sorted(recorder.matching("PUT", "partNumber="), key=lambda r: r["url"])
    assert len(parts) == 3
    for part in parts:
        number = int(part["url"].split("partNumber=")[1].split("&")[0])
        chunk = data[(number - 1) * 5 * MB : number * 5 * MB]
        assert part["headers"]["x-amz-content-sha256"] == hashlib.sha256(chunk).hexdigest()
        assert part["headers"]["x-amz-checksum-crc32"] == base64.b64encode(zlib.crc32(chunk).to_bytes(4, "big")).decode()
        assert part["headers"]["content-length"] == str(len(chunk))


def test_https_parts_stream_with_a_crc32_trailer():
    """Over TLS the parts go out aws-chunked with a CRC32 trailer, as ibm-cos-sdk sends them:
    nothing is hashed beforehand (STREAMING-UNSIGNED-PAYLOAD-TRAILER)."""
    import base64

    from ibm_botocore.awsrequest import AWSResponse

    https_client = ibm_boto3.client("s3", aws_access_key_id="a", aws_secret_access_key="b", endpoint_url="https://cos.invalid")
    parts = []

    def answer(request, **kwargs):
        if "?uploads" in request.url:
            body = b"<InitiateMultipartUploadResult><UploadId>u-1</UploadId></InitiateMultipartUploadResult>"
        elif request.method == "POST":
            body = b"<CompleteMultipartUploadResult><ETag>&quot;e-2&quot;</ETag></CompleteMultipartUploadResult>"
        else:
            number = int(request.url.split("partNumber=")[1].split("&")[0])
            parts.append((number, {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}, request.body.read()))
            body = b""
        return AWSResponse(request.url, 200, {"ETag": '"0123456789abcdef0123456789abcdef"'}, body)

    https_client.meta.events.register("before-send.s3", answer)
    data = os.urandom(6 * MB)
    progress = []
    with TransferManager(https_client, ManagerConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)) as manager:
        manager.upload(io.BytesIO(data), "bucket", "key", subscribers=[ibm_boto3.s3.transfer.ProgressCallbackInvoker(progress.append)]).result()
    assert len(parts) == 2
    assert sum(progress) == len(data)
    for (_, headers, wire), chunk in zip(sorted(parts, key=lambda p: p[0]), (data[: 5 * MB], data[5 * MB :])):
        assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        assert headers["x-amz-trailer"] == "x-amz-checksum-crc32"
        assert headers["x-amz-decoded-content-length"] == str(len(chunk))
        decoded, rest = b"", wire
        while True:
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line, 16)
            if size == 0:
                break
            decoded, rest = decoded + rest[:size], rest[size + 2 :]
        assert decoded == chunk
        crc = base64.b64encode(zlib.crc32(chunk).to_bytes(4, "big")).decode()
        assert rest == ("x-amz-checksum-crc32:%s\r\n\r\n" % crc).encode()
