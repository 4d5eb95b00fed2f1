"""Uploads and downloads that work: byte-identical round trips through the emulator."""
from __future__ import annotations

import hashlib
import io
import os
import re
import threading

import pytest

from transfer_helpers import MB, no_uploads_left

import ibm_boto3
from ibm_boto3.s3.transfer import TransferConfig
from ibm_s3transfer.manager import TransferManager
from ibm_s3transfer.manager import TransferConfig as ManagerConfig
from ibm_s3transfer.subscribers import BaseSubscriber

THRESHOLD = 5 * MB
SMALL = TransferConfig(multipart_threshold=THRESHOLD, multipart_chunksize=5 * MB)


def _etag_parts(etag: str):
    match = re.match(r'^"[0-9a-f]{32}(?:-(\d+))?"$', etag)
    assert match, etag
    return int(match.group(1)) if match.group(1) else None


@pytest.mark.parametrize(
    "size,parts",
    [
        (0, None),
        (1, None),
        (THRESHOLD - 1, None),
        (THRESHOLD, 1),
        (THRESHOLD + 1, 2),
        (3 * 5 * MB + 12345, 4),
    ],
    ids=["0", "1", "threshold-1", "threshold", "threshold+1", "several-parts"],
)
def test_file_round_trip(client, bucket, data_file, tmp_path, size, parts):
    path, data = data_file(size)
    client.upload_file(path, bucket, "obj", Config=SMALL)
    head = client.head_object(Bucket=bucket, Key="obj")
    assert head["ContentLength"] == size
    assert _etag_parts(head["ETag"]) == parts
    if parts is None:
        assert head["ETag"].strip('"') == hashlib.md5(data).hexdigest()
    target = tmp_path / "downloaded.bin"
    client.download_file(bucket, "obj", str(target), Config=SMALL)
    assert target.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloaded.bin", "source.bin"]
    assert no_uploads_left(client, bucket)


def test_100_mib_round_trip_with_default_config(client, bucket, data_file, tmp_path):
    path, data = data_file(100 * MB)
    seen = []
    lock = threading.Lock()

    def progress(amount):
        with lock:
            seen.append(amount)

    client.upload_file(path, bucket, "big", Callback=progress)
    assert sum(seen) == len(data)
    head = client.head_object(Bucket=bucket, Key="big", ChecksumMode="ENABLED")
    assert _etag_parts(head["ETag"]) == 13  # 8 MiB parts
    assert head["ChecksumCRC32"]  # CreateMultipartUpload announced CRC32 and the parts carried it
    seen.clear()
    target = tmp_path / "big.out"
    client.download_file(bucket, "big", str(target), Callback=progress)
    assert sum(seen) == len(data)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_upload_fileobj_guide_example(client, bucket, data_file):
    # the COS guide's multi_part_upload(): 5 MB parts above a 15 MB threshold
    path, data = data_file(17 * MB)
    transfer_config = ibm_boto3.s3.transfer.TransferConfig(multipart_threshold=1024 * 1024 * 15, multipart_chunksize=1024 * 1024 * 5)
    with open(path, "rb") as file_data:
        client.upload_fileobj(Bucket=bucket, Key="guide", Fileobj=file_data, Config=transfer_config)
        assert file_data.tell() == len(data)
    assert _etag_parts(client.head_object(Bucket=bucket, Key="guide")["ETag"]) == 4
    assert client.get_object(Bucket=bucket, Key="guide")["Body"].read() == data


def test_transfer_manager_guide_example(client, bucket, data_file):
    path, data = data_file(11 * MB)
    transfer_config = ibm_boto3.s3.transfer.TransferConfig(multipart_threshold=1024 * 1024 * 5, multipart_chunksize=1024 * 1024 * 5)
    transfer_mgr = ibm_boto3.s3.transfer.TransferManager(client, config=transfer_config)
    try:
        future = transfer_mgr.upload(path, bucket, "tm")
        assert future.result() is None
        assert future.done()
        assert future.meta.size == len(data)
        assert future.meta.call_args.bucket == bucket
    finally:
        transfer_mgr.shutdown()
    assert client.get_object(Bucket=bucket, Key="tm")["Body"].read() == data


class _Pipe(io.RawIOBase):
    """A readable, non-seekable stream (like a pipe or socket) handing out small reads."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), len(self._data), 100_000)
        buffer[:count] = self._data[:count]
        self._data = self._data[count:]
        return count


@pytest.mark.parametrize("size", [0, 3 * MB, 5 * MB, 12 * MB + 7])
def test_non_seekable_stream_upload(client, bucket, size):
    data = os.urandom(size)
    client.upload_fileobj(_Pipe(data), bucket, "pipe", Config=SMALL)
    assert client.get_object(Bucket=bucket, Key="pipe")["Body"].read() == data
    assert no_uploads_left(client, bucket)


class _ReadOnly:
    """A stream with only read() (no readinto, no seek)."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, amount=-1):
        return self._stream.read(min(amount, 70_000) if amount and amount > 0 else amount)


def test_read_only_stream_upload(client, bucket):
    data = os.urandom(11 * MB)
    client.upload_fileobj(_ReadOnly(data), bucket, "ro", Config=SMALL)
    assert client.get_object(Bucket=bucket, Key="ro")["Body"].read() == data


def test_bytesio_and_file_objects(client, bucket, data_file, tmp_path):
    data = os.urandom(7 * MB)
    stream = io.BytesIO(b"prefix" + data)
    stream.seek(6)
    client.upload_fileobj(stream, bucket, "bio", Config=SMALL)
    out = io.BytesIO(b"keep:")
    out.seek(5)
    client.download_fileobj(bucket, "bio", out, Config=SMALL)
    assert out.getvalue() == b"keep:" + data
    # a real file opened for writing, positioned after a header
    target = tmp_path / "f.bin"
    with open(target, "wb") as f:
        f.write(b"HDR")
        client.download_fileobj(bucket, "bio", f, Config=SMALL)
        assert f.tell() == 3 + len(data)
        f.write(b"TAIL")
    assert target.read_bytes() == b"HDR" + data + b"TAIL"
    # a file object opened for reading, not at its start
    path, more = data_file(6 * MB)
    with open(path, "rb") as f:
        f.read(1000)
        client.upload_fileobj(f, bucket, "tail", Config=SMALL)
        assert f.tell() == len(more)
    assert client.get_object(Bucket=bucket, Key="tail")["Body"].read() == more[1000:]


class _Sink:
    """A write-only, non-seekable target."""

    def __init__(self) -> None:
        self.parts = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def seekable(self) -> bool:
        return False


def test_download_to_non_seekable_stream(client, bucket):
    data = os.urandom(13 * MB)
    client.put_object(Bucket=bucket, Key="s", Body=data)
    sink = _Sink()
    client.download_fileobj(bucket, "s", sink, Config=TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_concurrency=4))
    assert b"".join(sink.parts) == data


def test_use_threads_false(client, bucket, data_file, tmp_path):
    path, data = data_file(11 * MB)
    config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, use_threads=False)
    main = threading.current_thread()
    threads = set()
    client.upload_file(path, bucket, "nt", Config=config, Callback=lambda n: threads.add(threading.current_thread()))
    target = tmp_path / "nt.out"
    client.download_file(bucket, "nt", str(target), Config=config, Callback=lambda n: threads.add(threading.current_thread()))
    assert target.read_bytes() == data
    assert threads == {main}


def test_extra_args_metadata_and_content_type(client, bucket, data_file, recorder):
    for key, size in (("small", 1000), ("multi", 11 * MB)):
        path, data = data_file(size, name=key)
        client.upload_file(path, bucket, key, Config=SMALL,
                           ExtraArgs={"Metadata": {"color": "blue"}, "ContentType": "text/x-test", "CacheControl": "no-cache"})
        head = client.head_object(Bucket=bucket, Key=key)
        assert head["Metadata"] == {"color": "blue"}
        assert head["ContentType"] == "text/x-test"
        assert head["CacheControl"] == "no-cache"
    creates = recorder.matching("POST", "?uploads")
    assert len(creates) == 1 and creates[0]["headers"]["x-amz-meta-color"] == "blue"
    assert creates[0]["headers"]["x-amz-checksum-algorithm"] == "CRC32"
    parts = recorder.matching("PUT", "partNumber=")
    assert len(parts) == 3
    assert all("x-amz-checksum-crc32" in p["headers"] for p in parts)
    assert all("x-amz-meta-color" not in p["headers"] for p in parts)


def test_retention_period_above_and_below_threshold(client, bucket, data_file, recorder):
    client.put_bucket_protection_configuration(
        Bucket=bucket,
        ProtectionConfiguration={
            "Status": "Retention",
            "MinimumRetention": {"Days": 1},
            "DefaultRetention": {"Days": 1},
            "MaximumRetention": {"Days": 100},
        },
    )
    period = 3 * 86400
    # the COS guide's upload_file_with_retention, below and above the multipart threshold
    for key, size in (("retained-small.bin", 2 * MB), ("retained-big.bin", 12 * MB)):
        path, data = data_file(size, name=key)
        client.upload_file(Filename=path, Bucket=bucket, Key=key, ExtraArgs={"RetentionPeriod": period}, Config=SMALL)
        head = client.head_object(Bucket=bucket, Key=key)
        assert head["RetentionPeriod"] == period
        assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    # where the header went: PutObject, and CompleteMultipartUpload -- not CreateMultipartUpload
    assert recorder.matching("PUT", "retained-small.bin")[0]["headers"]["retention-period"] == str(period)
    create = recorder.matching("POST", "retained-big.bin?uploads")[0]
    assert "retention-period" not in create["headers"]
    complete = [r for r in recorder.matching("POST", "retained-big.bin?uploadId=")]
    assert len(complete) == 1 and complete[0]["headers"]["retention-period"] == str(period)


def test_subscribers_get_queued_progress_done(client, bucket, data_file):
    events = []
    lock = threading.Lock()

    class Recorder(BaseSubscriber):
        def on_queued(self, future, **kwargs):
            with lock:
                events.append(("queued", future.meta.transfer_id))

        def on_progress(self, future, bytes_transferred, **kwargs):
            with lock:
                events.append(("progress", bytes_transferred))

        def on_done(self, future, **kwargs):
            with lock:
                events.append(("done", future.done()))

    path, data = data_file(12 * MB)
    with TransferManager(client, ManagerConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)) as manager:
        future = manager.upload(path, bucket, "subs", subscribers=[Recorder()])
        future.result()
    assert events[0][0] == "queued"
    assert events[-1] == ("done", True)
    assert sum(n for kind, n in events if kind == "progress") == len(data)
    assert future.meta.size == len(data)


def test_copy_small_and_multipart(client, bucket, data_file):
    path, data = data_file(13 * MB)
    client.upload_file(path, bucket, "src", Config=SMALL, ExtraArgs={"Metadata": {"a": "1"}, "ContentType": "application/x-src"})
    progress = []
    client.copy({"Bucket": bucket, "Key": "src"}, bucket, "dst", Config=SMALL, Callback=progress.append)
    assert sum(progress) == len(data)
    head = client.head_object(Bucket=bucket, Key="dst")
    assert _etag_parts(head["ETag"]) == 3  # UploadPartCopy of 5 MiB parts
    # as in ibm-cos-sdk, a multipart copy does not carry the source's metadata over...
    assert head["Metadata"] == {} and head["ContentType"] != "application/x-src"
    assert client.get_object(Bucket=bucket, Key="dst")["Body"].read() == data
    # ...unless it is given
    client.copy({"Bucket": bucket, "Key": "src"}, bucket, "dst2", Config=SMALL,
                ExtraArgs={"Metadata": {"a": "1"}, "ContentType": "application/x-src", "MetadataDirective": "COPY"})
    head = client.head_object(Bucket=bucket, Key="dst2")
    assert head["Metadata"] == {"a": "1"} and head["ContentType"] == "application/x-src"
    # below the threshold: one CopyObject
    client.put_object(Bucket=bucket, Key="tiny", Body=b"tiny")
    client.copy({"Bucket": bucket, "Key": "tiny"}, bucket, "tiny2", Config=SMALL)
    assert client.get_object(Bucket=bucket, Key="tiny2")["Body"].read() == b"tiny"
    assert no_uploads_left(client, bucket)


def test_copy_object_of_multipart_object_downloads_verified(client, bucket, data_file, tmp_path):
    """A single CopyObject of a multipart upload is a one-part object with a full-object CRC32."""
    import base64
    import zlib

    path, data = data_file(12 * MB + 3)
    client.upload_file(path, bucket, "mp", Config=SMALL)
    head = client.head_object(Bucket=bucket, Key="mp", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"].endswith("-3") and head["ChecksumType"] == "COMPOSITE"
    copied = client.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "mp"})
    full = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode("ascii")
    assert copied["CopyObjectResult"]["ChecksumCRC32"] == full
    head = client.head_object(Bucket=bucket, Key="copy", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == full and _etag_parts(head["ETag"]) is None
    assert client.get_object(Bucket=bucket, Key="copy", ChecksumMode="ENABLED")["Body"].read() == data
    target = tmp_path / "copy.bin"
    client.download_file(bucket, "copy", str(target), Config=SMALL)
    assert target.read_bytes() == data


def test_delete_through_manager(client, bucket):
    client.put_object(Bucket=bucket, Key="gone", Body=b"x")
    with TransferManager(client) as manager:
        manager.delete(bucket, "gone").result()
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_resource_methods(emu, client, bucket, tmp_path):
    s3 = ibm_boto3.resource(
        "s3", aws_access_key_id=emu.access_key_id, aws_secret_access_key=emu.secret_access_key, endpoint_url=emu.endpoint_url
    )
    data = os.urandom(6 * MB)
    source = tmp_path / "res.bin"
    source.write_bytes(data)
    s3.Bucket(bucket).upload_file(str(source), "via-bucket", Config=SMALL)
    s3.Object(bucket, "via-object").upload_fileobj(io.BytesIO(data), Config=SMALL)
    out = tmp_path / "res.out"
    s3.Object(bucket, "via-bucket").download_file(str(out))
    assert out.read_bytes() == data
    buf = io.BytesIO()
    s3.Bucket(bucket).download_fileobj("via-object", buf)
    assert buf.getvalue() == data
    s3.Object(bucket, "single").upload_fileobj(io.BytesIO(data))  # default config: one PutObject
    s3.Object(bucket, "copied").copy({"Bucket": bucket, "Key": "single"})
    assert client.get_object(Bucket=bucket, Key="copied")["Body"].read() == data


def test_bandwidth_limit_is_applied(client, bucket, data_file, tmp_path):
    path, data = data_file(6 * MB)
    config = ManagerConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_bandwidth=1024 ** 3)
    with TransferManager(client, config) as manager:
        manager.upload(path, bucket, "bw").result()
        target = tmp_path / "bw.out"
        manager.download(bucket, "bw", str(target)).result()
        bucket_state = manager._bandwidth_limiter.leaky_bucket
    assert target.read_bytes() == data
    # every byte sent and received went through the limiter
    assert bucket_state.consumed_bytes == 2 * len(data)


def test_stream_uploads_hold_at_most_max_in_memory_upload_chunks(emu, client, bucket):
    emu.faults.delay(0.2, method="PUT", times=None)  # keep requests in flight
    payloads = [os.urandom(3 * MB) for _ in range(4)] + [os.urandom(11 * MB)]
    config = ManagerConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_in_memory_upload_chunks=2)
    with TransferManager(client, config) as manager:
        futures = [manager.upload(io.BytesIO(p), bucket, "m%d" % i) for i, p in enumerate(payloads)]
        for future in futures:
            future.result()
        assert manager._buffer_pool.peak_in_use == 2
    emu.faults.clear()
    for i, payload in enumerate(payloads):
        assert client.get_object(Bucket=bucket, Key="m%d" % i)["Body"].read() == payload
