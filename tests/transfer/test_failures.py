"""Transfers against a misbehaving server: dropped connections, cut bodies, 5xx, flipped
bytes, persistent failures, cancellation. Faults are injected by the emulator."""
from __future__ import annotations

import io
import os
import threading
import time

import pytest

from cos_test_support import hmac_client as make_client
from transfer_helpers import MB, no_uploads_left

from ibm_boto3.exceptions import RetriesExceededError as Boto3RetriesExceededError
from ibm_boto3.exceptions import S3UploadFailedError
from ibm_boto3.s3.transfer import TransferConfig
from ibm_s3transfer.exceptions import CancelledError, ChecksumMismatchError, FatalError, RetriesExceededError
from ibm_s3transfer.manager import TransferManager
from ibm_s3transfer.manager import TransferConfig as ManagerConfig

SMALL = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)
MANAGER_SMALL = ManagerConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)


def _listing(directory):
    return sorted(p.name for p in directory.iterdir())


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    raise AssertionError("condition not reached")


class _Progress:
    def __init__(self):
        self.total = 0
        self._lock = threading.Lock()

    def __call__(self, amount):
        with self._lock:
            self.total += amount


# -- uploads -----------------------------------------------------------------------------------
def test_upload_survives_connection_dropped_mid_part(emu, client, bucket, data_file):
    path, data = data_file(12 * MB)
    rule = emu.faults.drop_upload(after_bytes=MB, method="PUT", query="partNumber=2")
    progress = _Progress()
    client.upload_file(path, bucket, "k", Config=SMALL, Callback=progress)
    assert rule.hits == 1
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == data
    assert progress.total == len(data)  # the resent part is not counted twice
    assert no_uploads_left(client, bucket)


def test_upload_from_stream_survives_dropped_connection(emu, client, bucket):
    data = os.urandom(11 * MB)
    rule = emu.faults.drop_upload(after_bytes=100_000, method="PUT", query="partNumber=1")
    client.upload_fileobj(io.BytesIO(data), bucket, "k", Config=SMALL)
    assert rule.hits == 1
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == data


def test_upload_survives_500s(emu, client, bucket, data_file):
    path, data = data_file(11 * MB)
    rule = emu.faults.error(500, method="PUT", query="partNumber=3", times=2)
    client.upload_file(path, bucket, "k", Config=SMALL)
    assert rule.hits == 2
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == data


def test_failed_part_aborts_the_upload(emu, client, bucket, data_file):
    path, _ = data_file(16 * MB)
    emu.faults.error(400, "InvalidArgument", "Part rejected by the test.", method="PUT", query="partNumber=2", times=None)
    with pytest.raises(S3UploadFailedError) as info:
        client.upload_file(path, bucket, "k", Config=SMALL)
    assert str(info.value).startswith("Failed to upload %s to %s/k: " % (path, bucket))
    assert "InvalidArgument" in str(info.value)
    emu.faults.clear()
    assert no_uploads_left(client, bucket)
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_failed_completion_aborts_the_upload(emu, client, bucket, data_file):
    path, _ = data_file(11 * MB)
    emu.faults.error(400, "InvalidPart", "Completion rejected by the test.", method="POST", query="uploadId=", times=None)
    with pytest.raises(S3UploadFailedError):
        client.upload_file(path, bucket, "k", Config=SMALL)
    emu.faults.clear()
    assert no_uploads_left(client, bucket)


def test_failing_stream_aborts_the_upload(client, bucket):
    class Broken(io.RawIOBase):
        def __init__(self):
            self.sent = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            if self.sent > 7 * MB:
                raise OSError("disk went away")
            count = min(len(buffer), MB)
            buffer[:count] = b"x" * count
            self.sent += count
            return count

    with TransferManager(client, MANAGER_SMALL) as manager:
        future = manager.upload(Broken(), bucket, "k")
        with pytest.raises(OSError, match="disk went away"):
            future.result()
    assert no_uploads_left(client, bucket)


# -- downloads ---------------------------------------------------------------------------------
@pytest.fixture
def multipart_object(client, bucket):
    data = os.urandom(13 * MB + 5)
    client.upload_fileobj(io.BytesIO(data), bucket, "mp", Config=SMALL)
    return "mp", data


@pytest.fixture
def single_part_object(client, bucket):
    data = os.urandom(12 * MB)
    client.put_object(Bucket=bucket, Key="sp", Body=data)  # full-object CRC32
    return "sp", data


def test_download_survives_truncated_bodies(emu, client, bucket, multipart_object, tmp_path):
    key, data = multipart_object
    rule = emu.faults.truncate(after_bytes=300_000, method="GET", path="/" + key + "$", times=3)
    progress = _Progress()
    target = tmp_path / "out.bin"
    client.download_file(bucket, key, str(target), Config=SMALL, Callback=progress)
    assert rule.hits == 3
    assert target.read_bytes() == data
    assert progress.total == len(data)  # partial reads of failed attempts were taken back
    assert _listing(tmp_path) == ["out.bin"]


def test_download_survives_dropped_connections_and_500s(emu, client, bucket, single_part_object, tmp_path):
    key, data = single_part_object
    cut = emu.faults.drop(after_bytes=1000, method="GET", path="/" + key + "$", times=2)
    lost = emu.faults.drop(method="GET", path="/" + key + "$", times=1)
    errors = emu.faults.error(503, "SlowDown", method="GET", path="/" + key + "$", times=2)
    target = tmp_path / "out.bin"
    client.download_file(bucket, key, str(target), Config=SMALL)
    assert (cut.hits, lost.hits, errors.hits) == (2, 1, 2)
    assert target.read_bytes() == data


@pytest.mark.parametrize("which", ["multipart", "single-part-ranged", "single-get", "no-checksum", "sha256-ranged"])
def test_flipped_byte_is_detected_and_refetched(emu, client, bucket, tmp_path, which):
    if which == "multipart":
        data = os.urandom(13 * MB)
        client.upload_fileobj(io.BytesIO(data), bucket, "f", Config=SMALL)  # composite CRC32
    elif which == "single-part-ranged":
        data = os.urandom(12 * MB)
        client.put_object(Bucket=bucket, Key="f", Body=data)  # full-object CRC32, ranged download
    elif which == "single-get":
        data = os.urandom(3 * MB)
        client.put_object(Bucket=bucket, Key="f", Body=data)
    elif which == "sha256-ranged":
        data = os.urandom(11 * MB)
        client.put_object(Bucket=bucket, Key="f", Body=data, ChecksumAlgorithm="SHA256")  # read back and hashed
    else:
        data = os.urandom(2 * MB)
        plain = make_client(emu, request_checksum_calculation="when_required")
        plain.put_object(Bucket=bucket, Key="f", Body=data)  # no checksum: the ETag (MD5) is checked
        assert "ChecksumCRC32" not in client.head_object(Bucket=bucket, Key="f", ChecksumMode="ENABLED")
    rule = emu.faults.corrupt(method="GET", path="/f$", offset=4321)
    target = tmp_path / "f.bin"
    client.download_file(bucket, "f", str(target), Config=SMALL)
    assert rule.hits == 1
    assert target.read_bytes() == data
    assert _listing(tmp_path) == ["f.bin"]


def test_persistent_corruption_never_lands_in_the_target(emu, client, bucket, single_part_object, tmp_path):
    key, data = single_part_object
    target = tmp_path / "out.bin"
    target.write_bytes(b"previous content")
    emu.faults.corrupt(method="GET", path="/" + key + "$", times=None)
    with pytest.raises(Boto3RetriesExceededError) as info:
        client.download_file(bucket, key, str(target), Config=SMALL)
    assert isinstance(info.value.last_exception, ChecksumMismatchError)
    assert target.read_bytes() == b"previous content"
    assert _listing(tmp_path) == ["out.bin"]


def test_persistent_corruption_of_a_multipart_object(emu, client, bucket, multipart_object, tmp_path):
    key, _ = multipart_object
    emu.faults.corrupt(method="GET", path="/" + key + "$", times=None)
    with TransferManager(client, MANAGER_SMALL) as manager:
        future = manager.download(bucket, key, str(tmp_path / "out.bin"))
        with pytest.raises(RetriesExceededError):
            future.result()
    assert _listing(tmp_path) == []


def _upload_in_parts(client, bucket, key, sizes):
    """Upload random bytes as a multipart object with parts of exactly ``sizes`` (CRC32 checksums)."""
    data = os.urandom(sum(sizes))
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="CRC32")["UploadId"]
    parts, offset = [], 0
    for number, size in enumerate(sizes, 1):
        response = client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                      Body=data[offset : offset + size], ChecksumAlgorithm="CRC32")
        parts.append({"ETag": response["ETag"], "PartNumber": number})
        offset += size
    client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    return data


def test_multipart_object_with_unequal_parts_is_verified(emu, client, bucket, tmp_path):
    data = _upload_in_parts(client, bucket, "u", [6 * MB, 5 * MB, 7 * MB])
    target = tmp_path / "u.bin"
    client.download_file(bucket, "u", str(target), Config=SMALL)  # ranges of 6 MiB do not match the parts
    assert target.read_bytes() == data
    # and a flipped byte in such an object is still caught
    rule = emu.faults.corrupt(method="GET", path="/u$", offset=777)
    client.download_file(bucket, "u", str(target), Config=SMALL)
    assert rule.hits == 1 and target.read_bytes() == data
    emu.faults.clear()
    emu.faults.corrupt(method="GET", path="/u$", offset=777, times=None)
    with pytest.raises(Boto3RetriesExceededError):
        client.download_file(bucket, "u", str(tmp_path / "bad.bin"), Config=SMALL)
    assert _listing(tmp_path) == ["u.bin"]


def test_process_pool_downloader_verifies_composite_and_full_crc32(emu, client, bucket, multipart_object,
                                                                   single_part_object, tmp_path):
    """ProcessPoolDownloader uses the threaded downloader's checks: a flipped byte in a range of a
    multipart object (composite CRC32) or a single-part one (full CRC32) is fetched again; when
    it stays flipped, the download fails and the target keeps its previous content."""
    from ibm_s3transfer.processpool import ProcessPoolDownloader, ProcessTransferConfig

    config = ProcessTransferConfig(multipart_threshold=5 * MB, multipart_chunksize=4 * MB, max_request_processes=2)
    kwargs = {"aws_access_key_id": emu.access_key_id, "aws_secret_access_key": emu.secret_access_key,
              "endpoint_url": emu.endpoint_url}
    target = tmp_path / "out.bin"
    with ProcessPoolDownloader(client_kwargs=kwargs, config=config) as downloader:
        for key, data in (multipart_object, single_part_object):
            rule = emu.faults.corrupt(method="GET", path="/" + key + "$", offset=1234)
            downloader.download_file(bucket, key, str(target)).result()
            assert rule.hits == 1
            assert target.read_bytes() == data
            emu.faults.clear()
        target.write_bytes(b"previous content")
        emu.faults.corrupt(method="GET", path="/" + multipart_object[0] + "$", offset=1234, times=None)
        with pytest.raises(RetriesExceededError) as info:
            downloader.download_file(bucket, multipart_object[0], str(target)).result()
        assert isinstance(info.value.last_exception, ChecksumMismatchError)
        assert "multipart CRC32" in str(info.value.last_exception)
    assert target.read_bytes() == b"previous content"
    assert _listing(tmp_path) == ["out.bin"]


def test_download_failing_halfway_leaves_no_file(emu, client, bucket, multipart_object, tmp_path):
    key, _ = multipart_object
    # a cut body is resumed where it stopped: 5 attempts of 64 KiB never finish a 6 MiB range
    rule = emu.faults.truncate(after_bytes=64 * 1024, method="GET", path="/" + key + "$", times=None)
    target = tmp_path / "out.bin"
    with pytest.raises(Boto3RetriesExceededError):
        client.download_file(bucket, key, str(target), Config=SMALL)
    assert rule.hits >= 5
    assert _listing(tmp_path) == []


def test_download_of_missing_object_leaves_no_file(client, bucket, tmp_path):
    from ibm_botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        client.download_file(bucket, "nope", str(tmp_path / "x"))
    assert _listing(tmp_path) == []


# -- cancellation ------------------------------------------------------------------------------
def _slow_parts(emu):
    emu.faults.delay(0.5, method="PUT", query="partNumber", times=None)


def _upload_started(client, bucket):
    return lambda: bool(client.list_multipart_uploads(Bucket=bucket).get("Uploads"))


def test_cancel_aborts_multipart_upload(emu, client, bucket, data_file):
    path, _ = data_file(26 * MB)
    _slow_parts(emu)
    manager = TransferManager(client, MANAGER_SMALL)
    future = manager.upload(path, bucket, "k")
    _wait_for(_upload_started(client, bucket))
    future.cancel()
    with pytest.raises(CancelledError):
        future.result()
    assert future.done()
    manager.shutdown()
    emu.faults.clear()
    assert no_uploads_left(client, bucket)
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_shutdown_cancel_cleans_up_uploads_and_downloads(emu, client, bucket, data_file, multipart_object, tmp_path):
    key, _ = multipart_object
    path, _ = data_file(26 * MB)
    _slow_parts(emu)
    gets = emu.faults.delay(0.5, method="GET", path="/" + key + "$", times=None)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    manager = TransferManager(client, MANAGER_SMALL)
    up = manager.upload(path, bucket, "k")
    down = manager.download(bucket, key, str(out_dir / "d.bin"))
    _wait_for(_upload_started(client, bucket))
    _wait_for(lambda: gets.hits >= 1)  # a range is on its way: the download's file is open
    manager.shutdown(cancel=True, cancel_msg="stop now")
    for future in (up, down):
        with pytest.raises(CancelledError, match="stop now"):
            future.result()
    emu.faults.clear()
    assert no_uploads_left(client, bucket)
    assert _listing(out_dir) == []


def test_keyboard_interrupt_in_with_block_cancels(emu, client, bucket, data_file):
    path, _ = data_file(26 * MB)
    _slow_parts(emu)
    with pytest.raises(KeyboardInterrupt):
        with TransferManager(client, MANAGER_SMALL) as manager:
            future = manager.upload(path, bucket, "k")
            _wait_for(_upload_started(client, bucket))
            raise KeyboardInterrupt()
    with pytest.raises(CancelledError):
        future.result()
    emu.faults.clear()
    assert no_uploads_left(client, bucket)


def test_error_in_with_block_cancels_with_fatal_error(emu, client, bucket, data_file):
    path, _ = data_file(26 * MB)
    _slow_parts(emu)
    with pytest.raises(ValueError):
        with TransferManager(client, MANAGER_SMALL) as manager:
            future = manager.upload(path, bucket, "k")
            _wait_for(_upload_started(client, bucket))
            raise ValueError("caller failed")
    with pytest.raises(FatalError, match="caller failed"):
        future.result()
    emu.faults.clear()
    assert no_uploads_left(client, bucket)


def test_multipart_object_with_a_large_last_part(emu, client, bucket, tmp_path):
    # part 1 smaller than the last one: the ranges follow each part's own size
    data = _upload_in_parts(client, bucket, "l", [5 * MB, 5 * MB, 9 * MB])
    rule = emu.faults.corrupt(method="GET", path="/l$", offset=99)
    target = tmp_path / "l.bin"
    client.download_file(bucket, "l", str(target), Config=SMALL)
    assert rule.hits == 1 and target.read_bytes() == data


def test_large_parts_are_fetched_in_smaller_verified_ranges(emu, client, bucket, tmp_path, recorder):
    data = os.urandom(25 * MB)
    client.upload_fileobj(io.BytesIO(data), bucket, "lp", Config=TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=10 * MB))
    rule = emu.faults.corrupt(method="GET", path="/lp$", offset=3)
    target = tmp_path / "lp.bin"
    client.download_file(bucket, "lp", str(target), Config=SMALL)
    assert rule.hits == 1 and target.read_bytes() == data
    ranges = sorted(r["headers"]["range"] for r in recorder.matching("GET", "/lp"))
    # parts of 10, 10 and 5 MiB, fetched in ranges of at most 5 MiB that stay inside a part
    assert {"bytes=0-5242879", "bytes=5242880-10485759", "bytes=10485760-15728639", "bytes=20971520-"} <= set(ranges)  # the last range is open-ended
