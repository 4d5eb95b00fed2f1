"""Where a download's bytes go before they are complete (against the emulator): on Linux an
unnamed file in the target's folder (O_TMPFILE), named only once every byte is verified."""
from __future__ import annotations

import os
import threading
import time

import pytest

from ibm_botocore.exceptions import ClientError
from ibm_s3transfer import download
from ibm_s3transfer.exceptions import CancelledError
from ibm_s3transfer.manager import TransferConfig, TransferManager

pytestmark = pytest.mark.skipif(not download._O_TMPFILE, reason="no O_TMPFILE here (Linux with /proc only)")

MB = 1024 * 1024


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_no_partial_file_is_ever_visible(client, bucket, emu, tmp_path):
    body = os.urandom(3 * MB)
    client.put_object(Bucket=bucket, Key="k", Body=body)
    emu.faults.delay(0.6, times=None, method="GET", path="^/%s/k$" % bucket)
    target = tmp_path / "k.bin"
    seen = []
    with TransferManager(client) as manager:
        future = manager.download(bucket, "k", str(target))
        started = time.monotonic()
        while not future.done() and time.monotonic() - started < 30:
            seen.append(sorted(os.listdir(str(tmp_path))))
            time.sleep(0.02)
        future.result()
    assert seen and all(names == [] for names in seen[:-1])  # nothing, not even a temporary name
    assert target.read_bytes() == body
    assert os.listdir(str(tmp_path)) == ["k.bin"]
    assert os.stat(str(target)).st_mode & 0o777 == 0o666 & ~_umask()


def test_an_existing_file_is_replaced_whole(client, bucket, tmp_path):
    body = os.urandom(200 * 1024)
    client.put_object(Bucket=bucket, Key="k", Body=body)
    target = tmp_path / "k.bin"
    target.write_bytes(b"old contents")
    other = tmp_path / "other-name"
    os.link(str(target), str(other))  # replaced, not written through: the other name keeps the old bytes
    client.download_file(bucket, "k", str(target))
    assert target.read_bytes() == body
    assert other.read_bytes() == b"old contents"
    assert sorted(os.listdir(str(tmp_path))) == ["k.bin", "other-name"]


def test_a_failed_download_leaves_nothing(client, bucket, emu, tmp_path):
    client.put_object(Bucket=bucket, Key="k", Body=os.urandom(6 * MB))
    # the HEAD passes and the file is opened; then every range GET is refused
    emu.faults.error(403, "AccessDenied", "Access Denied", times=None, method="GET", path="^/%s/k$" % bucket)
    config = TransferConfig(multipart_threshold=2 * MB, multipart_chunksize=2 * MB)
    with TransferManager(client, config) as manager:
        with pytest.raises(ClientError, match="AccessDenied"):
            manager.download(bucket, "k", str(tmp_path / "k.bin")).result()
    assert os.listdir(str(tmp_path)) == []


def test_cancelled_mid_way_leaves_nothing(client, bucket, emu, tmp_path):
    client.put_object(Bucket=bucket, Key="k", Body=os.urandom(6 * MB))
    emu.faults.delay(0.4, times=None, method="GET", path="^/%s/k$" % bucket)
    config = TransferConfig(multipart_threshold=2 * MB, multipart_chunksize=2 * MB, max_request_concurrency=1)
    with TransferManager(client, config) as manager:
        future = manager.download(bucket, "k", str(tmp_path / "k.bin"))
        threading.Timer(0.6, future.cancel).start()
        with pytest.raises(CancelledError):
            future.result()
    assert os.listdir(str(tmp_path)) == []


def test_where_unnamed_files_are_not_available_a_named_temporary_file_is_used(client, bucket, emu, tmp_path,
                                                                              monkeypatch):
    monkeypatch.setattr(download, "_O_TMPFILE", 0)  # as on macOS, Windows, or without /proc
    body = os.urandom(3 * MB)
    client.put_object(Bucket=bucket, Key="k", Body=body)
    gets = emu.faults.delay(0.6, times=None, method="GET", path="^/%s/k$" % bucket)
    target = tmp_path / "k.bin"
    with TransferManager(client) as manager:
        future = manager.download(bucket, "k", str(target))
        wait_for = time.monotonic() + 30
        while gets.hits < 1 and time.monotonic() < wait_for:
            time.sleep(0.02)
        during = os.listdir(str(tmp_path))
        future.result()
    assert len(during) == 1 and during[0].startswith("k.bin.") and len(during[0]) == len("k.bin.") + 8
    assert target.read_bytes() == body and os.listdir(str(tmp_path)) == ["k.bin"]
