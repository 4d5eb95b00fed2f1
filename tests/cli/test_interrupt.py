"""Ctrl-C (SIGINT) in the middle of a transfer: open multipart uploads are aborted, no partial file
is left under a final name (nor any temporary file), and the status is 130."""
from __future__ import annotations

import os
import signal
import time

MiB = 1024 * 1024


def _wait_for(condition, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the transfer to start")


def _interrupt(proc):
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.decode().endswith("cos: interrupted\n") and b"Traceback" not in err
    return out


def _open_uploads(client, bucket):
    return client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def test_sigint_during_multipart_upload_aborts_it(cos, client, bucket, tmp_path, emu):
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(20 * MiB))
    emu.faults.delay(1.5, method="PUT", query="partNumber", times=None)
    proc = cos.popen("cp", str(src), "cos://%s/big.bin" % bucket, "--part-size", "5MiB", "--concurrency", "2")
    _wait_for(lambda: _open_uploads(client, bucket))
    time.sleep(0.3)  # parts in flight
    _interrupt(proc)
    assert _open_uploads(client, bucket) == []
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_sigint_during_download_leaves_no_file(cos, client, bucket, tmp_path, emu):
    client.put_object(Bucket=bucket, Key="big.bin", Body=os.urandom(20 * MiB))
    dst = tmp_path / "dst"
    dst.mkdir()
    gets = emu.faults.delay(1.5, method="GET", path="/big.bin", times=None)
    proc = cos.popen("cp", "cos://%s/big.bin" % bucket, str(dst / "big.bin"), "--part-size", "5MiB")
    _wait_for(lambda: gets.hits >= 1)  # ranges are on their way (into a file with no name yet, on Linux)
    time.sleep(0.3)
    _interrupt(proc)
    assert os.listdir(str(dst)) == []


def test_sigint_during_recursive_transfers(cos, client, bucket, tmp_path, emu):
    src = tmp_path / "src"
    files = {"d%d/f%d.bin" % (i % 2, i): os.urandom(6 * MiB + i) for i in range(6)}
    for rel, data in files.items():
        path = src.joinpath(*rel.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    emu.faults.delay(1.0, method="PUT", query="partNumber", times=None)
    proc = cos.popen("cp", "-r", str(src), "cos://%s/up" % bucket, "--part-size", "5MiB", "--concurrency", "3")
    _wait_for(lambda: _open_uploads(client, bucket))
    time.sleep(0.3)
    _interrupt(proc)
    assert _open_uploads(client, bucket) == []
    for entry in client.list_objects_v2(Bucket=bucket).get("Contents", []):  # only complete objects
        assert entry["Size"] == len(files[entry["Key"][len("up/"):]])
    emu.faults.clear()

    # the same tree downloaded, interrupted: only complete files under their names, no temporary files
    for rel, data in files.items():
        client.put_object(Bucket=bucket, Key="down/" + rel, Body=data)
    dst = tmp_path / "dst"
    gets = emu.faults.delay(1.0, method="GET", path="/down/d1/", times=None)
    proc = cos.popen("cp", "-r", "cos://%s/down" % bucket, str(dst), "--part-size", "5MiB", "--concurrency", "3")
    _wait_for(lambda: gets.hits >= 1)
    time.sleep(0.3)
    _interrupt(proc)
    for dirpath, _, names in os.walk(str(dst)):
        for name in names:
            rel = os.path.relpath(os.path.join(dirpath, name), str(dst)).replace(os.sep, "/")
            assert rel in files, rel  # a temporary name would not be
            with open(os.path.join(dirpath, name), "rb") as fh:
                assert fh.read() == files[rel]
    assert not os.path.isdir(str(dst / "d1")) or os.listdir(str(dst / "d1")) == []
