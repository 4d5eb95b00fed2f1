"""AsperaTransferManager on our own engine: API surface, config mapping, queue, bad input,
subscribers, pause/resume/cancel, bandwidth ceiling, resume after a crash."""
from __future__ import annotations

import inspect
import logging
import os
import subprocess
import sys
import time

import pytest

from aspera_helpers import KB, MB, leftovers, make_tree, objects, open_uploads, slow_tree, tree_files, wait_until
from ibm_botocore.exceptions import ClientError
from ibm_s3transfer.aspera.exceptions import AsperaTransferFailedError, AsperaTransferQueueError, AsperaTransferSpecError
from ibm_s3transfer.aspera.futures import AsperaTransferFuture
from ibm_s3transfer.aspera.manager import AsperaConfig, AsperaManagerConfig, AsperaTransferManager, transfer_config_for
from ibm_s3transfer.aspera.subscribers import AsperaBaseSubscriber
from ibm_s3transfer.aspera.utils import FilePair
from ibm_s3transfer.exceptions import CancelledError
from ibm_s3transfer.subscribers import BaseSubscriber

HERE = os.path.dirname(os.path.abspath(__file__))


# -- surface -----------------------------------------------------------------------------------
def test_public_surface_and_signatures():
    assert issubclass(AsperaBaseSubscriber, BaseSubscriber)
    assert all(issubclass(e, Exception) for e in (AsperaTransferQueueError, AsperaTransferFailedError, AsperaTransferSpecError))
    assert FilePair("k", "f").key == "k"
    sig = lambda f: list(inspect.signature(f).parameters)  # noqa: E731
    assert sig(AsperaTransferManager.__init__) == ["self", "client", "config", "transfer_config", "delegated_token_manager"]
    assert sig(AsperaTransferManager.upload) == ["self", "fileobj", "bucket", "key", "transfer_config", "subscribers"]
    assert sig(AsperaTransferManager.download) == ["self", "bucket", "key", "fileobj", "transfer_config", "subscribers"]
    assert sig(AsperaTransferManager.upload_directory) == ["self", "directory", "bucket", "key", "transfer_config", "subscribers"]
    assert sig(AsperaTransferManager.download_directory) == ["self", "bucket", "key", "directory", "transfer_config", "subscribers"]
    assert sig(AsperaTransferManager.shutdown) == ["self", "cancel", "cancel_msg"]
    assert sig(AsperaTransferManager.set_log_details) == ["aspera_log_path", "sdk_log_level"]
    assert sig(AsperaConfig.__init__)[1:] == [
        "target_rate_mbps", "target_rate_cap_mbps", "min_rate_cap_mbps", "min_rate_mbps", "rate_policy", "lock_min_rate",
        "lock_target_rate", "lock_rate_policy", "multi_session", "multi_session_threshold_mb", "destination_root"]
    for name in ("meta", "result", "is_done", "cancel", "pause", "resume", "is_error", "is_success", "get_last_error", "set_exception"):
        assert hasattr(AsperaTransferFuture, name)
    defaults = AsperaManagerConfig()
    assert (defaults.max_submission_queue_size, defaults.ascp_max_concurrent, defaults.ascp_log_path,
            defaults.max_fasp_cache_size, defaults.verify_ssl) == (100, 10, None, 1000, True)


def test_needs_no_closed_source_package():
    code = ("import sys, builtins\n"
            "real = builtins.__import__\n"
            "def guard(name, *a, **k):\n"
            "    if name.split('.')[0] in ('cos_aspera', 'requests', 'six', 'botocore', 'boto3', 's3transfer'):\n"
            "        raise ImportError('blocked ' + name)\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = guard\n"
            "import ibm_s3transfer.aspera.manager, ibm_s3transfer.aspera.futures\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(os.path.dirname(HERE)), capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


@pytest.mark.parametrize("kwargs, message", [
    ({"target_rate_mbps": "10"}, "target_rate_mbps must be of type int"),
    ({"target_rate_cap_mbps": 1.5}, "target_rate_cap_mbps must be of type int"),
    ({"rate_policy": "fastest"}, "rate_policy must be one of"),
    ({"rate_policy": 3}, "rate_policy must be of type str"),
    ({"lock_min_rate": 1}, "lock_min_rate must be of type bool"),
    ({"multi_session": "some"}, "multi_session must be of type int"),
    ({"multi_session": True}, "multi_session must be of type int"),
    ({"multi_session_threshold_mb": 59}, "multi_session_threshold_mb must be at least 60"),
    ({"destination_root": 5}, "destination_root must be of type str"),
])
def test_aspera_config_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AsperaConfig(**kwargs)


def test_config_mapping():
    manager = AsperaManagerConfig(ascp_max_concurrent=6)
    plain = transfer_config_for(None, manager)
    assert plain.max_request_concurrency == 10 and plain.max_bandwidth is None
    mapped = transfer_config_for(AsperaConfig(multi_session=3, multi_session_threshold_mb=100, target_rate_mbps=80,
                                              target_rate_cap_mbps=100, rate_policy="fair", min_rate_mbps=5,
                                              lock_min_rate=True, destination_root="/x"), manager)
    assert (mapped.max_request_concurrency, mapped.multipart_threshold, mapped.max_bandwidth) == (3, 100_000_000, 10_000_000)
    assert transfer_config_for(AsperaConfig(multi_session="all"), manager).max_request_concurrency == 6
    config = AsperaConfig(multi_session="all", target_rate_mbps=2500, multi_session_threshold_mb=100)
    assert config.dict == {"target_rate_kbps": 2500000, "multi_session": -1, "multi_session_threshold": 100000000}


# -- queue -------------------------------------------------------------------------------------
def test_queue_limits_and_max_sessions(client, bucket, emu, tmp_path):
    src = tmp_path / "f"
    src.write_bytes(b"x" * 1000)
    emu.faults.delay(0.5, times=None, method="PUT", path="^/%s/" % bucket)
    manager = AsperaTransferManager(client, AsperaManagerConfig(ascp_max_concurrent=1, max_submission_queue_size=1))
    with pytest.raises(ValueError, match="Max sessions is 1"):
        manager.upload(str(src), bucket, "k0", AsperaConfig(multi_session=2))
    first = manager.upload(str(src), bucket, "k1")  # runs
    second = manager.upload(str(src), bucket, "k2")  # waits
    with pytest.raises(AsperaTransferQueueError, match="Max queued items reached"):
        manager.upload(str(src), bucket, "k3")
    manager.shutdown()
    assert first.is_success() and second.is_success()
    with pytest.raises(AsperaTransferQueueError):
        manager.upload(str(src), bucket, "k4")
    assert sorted(objects(client, bucket)) == ["k1", "k2"]


def test_cancel_a_queued_transfer(client, bucket, emu, tmp_path):
    src = tmp_path / "f"
    src.write_bytes(b"x" * 1000)
    emu.faults.delay(0.5, times=None, method="PUT", path="^/%s/" % bucket)
    done = []

    class Done(AsperaBaseSubscriber):
        def on_done(self, future, **kwargs):
            done.append(future)

    with AsperaTransferManager(client, AsperaManagerConfig(ascp_max_concurrent=1)) as manager:
        manager.upload(str(src), bucket, "k1")
        waiting = manager.upload(str(src), bucket, "k2", subscribers=[Done()])
        waiting.cancel()
        assert waiting.is_done() and done == [waiting]
        with pytest.raises(CancelledError):
            waiting.result()
    assert sorted(objects(client, bucket)) == ["k1"]


# -- bad input ---------------------------------------------------------------------------------
def test_bad_input(client, bucket, tmp_path):
    with AsperaTransferManager(client) as manager:
        with pytest.raises(IOError, match="Error accessing File: .*missing.bin"):
            manager.upload(str(tmp_path / "missing.bin"), bucket, "k")
        with pytest.raises(IOError, match="Error accessing Directory: .*nodir"):
            manager.upload_directory(str(tmp_path / "nodir"), bucket, "p/")
        with pytest.raises(IOError, match="Error accessing Directory: .*nodir"):
            manager.download_directory(bucket, "p/", str(tmp_path / "nodir"))
        with pytest.raises(IOError, match="Error accessing Directory"):
            manager.download(bucket, "k", str(tmp_path / "nodir" / "file"))
        with pytest.raises(ValueError, match="must not start with '/'"):
            manager.upload_directory(str(tmp_path), bucket, "/p/")
        with pytest.raises(ValueError, match="must not start with '/'"):
            manager.download_directory(bucket, "/p/", str(tmp_path))
        (tmp_path / "f.txt").write_bytes(b"abc")
        future = manager.upload(str(tmp_path / "f.txt"), "no-such-bucket-x", "k")
        with pytest.raises(ClientError) as info:
            future.result()
        assert info.value.response["Error"]["Code"] == "NoSuchBucket"
        assert future.is_error() and "NoSuchBucket" in future.get_last_error()
        target = tmp_path / "out.bin"
        future = manager.download(bucket, "no-such-key", str(target))
        with pytest.raises(ClientError) as info:
            future.result()
        assert info.value.response["Error"]["Code"] in ("404", "NoSuchKey")
        future = manager.download_directory("no-such-bucket-x", "p/", str(tmp_path))
        with pytest.raises(ClientError):
            future.result()
    assert not target.exists() and leftovers(str(tmp_path)) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_directory(client, bucket, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(IOError, match="Error accessing Directory"):
            AsperaTransferManager(client).upload_directory(str(locked), bucket, "p/")
    finally:
        locked.chmod(0o755)


def test_failed_multipart_upload_leaves_no_partial_object(client, bucket, emu, tmp_path):
    make_tree(str(tmp_path / "src"), {"big.bin": 12 * MB})
    emu.faults.error(403, "AccessDenied", "Access Denied", times=None, method="PUT", path="^/%s/p/big.bin$" % bucket, query="partNumber=2")
    with AsperaTransferManager(client) as manager:
        future = manager.upload_directory(str(tmp_path / "src"), bucket, "p/", AsperaConfig(multi_session=2))
        with pytest.raises(ClientError, match="AccessDenied"):
            future.result()
    assert objects(client, bucket) == {} and open_uploads(client, bucket) == []


# -- subscribers -------------------------------------------------------------------------------
class Recording(AsperaBaseSubscriber):
    def __init__(self, events):
        self.events = events

    def on_queued(self, future, **kwargs):
        self.events.append(("queued", future))

    def on_progress(self, future, bytes_transferred, **kwargs):
        self.events.append(("progress", bytes_transferred))

    def on_done(self, future, **kwargs):
        self.events.append(("done", future))


class Broken(AsperaBaseSubscriber):
    def on_queued(self, future, **kwargs):
        raise RuntimeError("queued boom")

    def on_progress(self, future, bytes_transferred, **kwargs):
        raise RuntimeError("progress boom")

    def on_done(self, future, **kwargs):
        raise RuntimeError("done boom")


def test_subscriber_order_for_directories_and_raising_subscribers(client, bucket, tmp_path, caplog):
    files = {"a.bin": 3 * MB, "sub/b.bin": 9 * MB, "c.txt": 10}
    make_tree(str(tmp_path / "src"), files)
    events = []
    with caplog.at_level(logging.ERROR, logger="ibmcos.aspera"):
        with AsperaTransferManager(client) as manager:
            future = manager.upload_directory(str(tmp_path / "src"), bucket, "p", None, [Broken(), Recording(events)])
            future.result()
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "queued" and kinds[-1] == "done" and kinds.count("queued") == kinds.count("done") == 1
    assert events[0][1] is future and events[-1][1] is future
    progress = [value for kind, value in events if kind == "progress"]
    assert progress == sorted(progress) and progress[-1] == sum(files.values()) == future.meta.size
    assert future.is_success()
    assert "queued boom" in caplog.text and "progress boom" in caplog.text and "done boom" in caplog.text
    assert sorted(objects(client, bucket)) == ["p/a.bin", "p/c.txt", "p/sub/b.bin"]


# -- pause / resume / cancel -------------------------------------------------------------------
def test_pause_resume_mid_directory_counted_at_the_emulator(client, bucket, emu, tmp_path):
    part = 8 * MB  # the default part size
    src, data, rules = slow_tree(emu, bucket, tmp_path, files=3, parts=2, delay=0.2, part_size=part)
    hits = lambda: sum(r.hits for r in rules.values())  # noqa: E731
    events = []
    with AsperaTransferManager(client) as manager:
        future = manager.upload_directory(src, bucket, "p/", AsperaConfig(multi_session=2), [Recording(events)])
        wait_until(lambda: hits() >= 2)
        future.pause()
        wait_until(lambda: future._coordinator.bytes_transferred == hits() * part)
        before = hits()
        time.sleep(0.8)
        assert hits() == before < 6
        future.resume()
        future.result()
    assert all(rule.hits == 1 for rule in rules.values())  # no part twice
    progress = [value for kind, value in events if kind == "progress"]
    assert before * part + (6 - before) * part == progress[-1] == 48 * MB
    assert objects(client, bucket) == {"p/" + k: v for k, v in data.items()}


def test_cancel_cleans_up_uploads_and_downloads(client, bucket, emu, tmp_path):
    src, data, rules = slow_tree(emu, bucket, tmp_path, files=2, parts=2, delay=0.3, part_size=8 * MB)
    with AsperaTransferManager(client) as manager:
        future = manager.upload_directory(src, bucket, "p/", AsperaConfig(multi_session=2))
        wait_until(lambda: sum(r.hits for r in rules.values()) >= 2)
        future.cancel()
        with pytest.raises(CancelledError):
            future.result()
    assert open_uploads(client, bucket) == [] and objects(client, bucket) == {}
    emu.faults.clear()
    with AsperaTransferManager(client) as manager:
        manager.upload_directory(src, bucket, "p/").result()
        emu.faults.delay(0.3, times=None, method="GET", path="^/%s/p/" % bucket)
        dst = tmp_path / "dst"
        dst.mkdir()
        future = manager.download_directory(bucket, "p/", str(dst), AsperaConfig(multi_session=2))
        wait_until(lambda: future._coordinator.bytes_transferred > 0)
        future.cancel()
        with pytest.raises(CancelledError):
            future.result()
    assert leftovers(str(dst)) == []
    finished = tree_files(str(dst))
    assert len(finished) < 2 and all(content == data[name] for name, content in finished.items())


def test_shutdown_with_cancel(client, bucket, emu, tmp_path):
    src, _data, rules = slow_tree(emu, bucket, tmp_path, files=2, parts=2, delay=0.3, part_size=8 * MB)
    manager = AsperaTransferManager(client)
    future = manager.upload_directory(src, bucket, "p/")
    wait_until(lambda: sum(r.hits for r in rules.values()) >= 1)
    manager.shutdown(cancel=True, cancel_msg="bye")
    with pytest.raises(CancelledError, match="bye"):
        future.result()
    assert open_uploads(client, bucket) == []


def test_bandwidth_ceiling_is_shared_by_the_connections(client, bucket, tmp_path):
    make_tree(str(tmp_path / "src"), {"f%d" % i: 5 * 1000 * 1000 for i in range(8)})  # 40 MB
    with AsperaTransferManager(client) as manager:
        started = time.monotonic()
        manager.upload_directory(str(tmp_path / "src"), bucket, "p/", AsperaConfig(multi_session=4, target_rate_mbps=80)).result()
        elapsed = time.monotonic() - started
    assert elapsed >= 3.5, elapsed  # 40 MB at 10 MB/s takes 4 s, however many connections
    assert len(objects(client, bucket)) == 8


# -- resume after a crash ----------------------------------------------------------------------
CRASHING = """
import sys
import ibm_boto3
from ibm_s3transfer.aspera.manager import AsperaConfig, AsperaTransferManager
endpoint, key, secret, bucket, directory = sys.argv[1:6]
client = ibm_boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret)
with AsperaTransferManager(client) as manager:
    manager.upload_directory(directory, bucket, "p/", AsperaConfig(multi_session=2)).result()
print("finished")
"""


def test_killed_directory_upload_sends_only_the_rest_when_run_again(client, bucket, emu, tmp_path):
    names = {"f%02d.bin" % i: 64 * KB for i in range(30)}
    make_tree(str(tmp_path / "src"), names)
    emu.faults.delay(0.1, times=None, method="PUT", path="^/%s/p/" % bucket)
    args = [sys.executable, "-c", CRASHING, emu.endpoint_url, emu.access_key_id, emu.secret_access_key, bucket, str(tmp_path / "src")]
    child = subprocess.Popen(args, cwd=os.path.dirname(os.path.dirname(HERE)))
    try:
        wait_until(lambda: len(client.list_objects_v2(Bucket=bucket).get("Contents", [])) >= 8, timeout=60)
    finally:
        child.kill()
        child.wait()
    assert child.returncode != 0
    time.sleep(0.5)  # requests that reached the emulator before the kill complete there
    present = {e["Key"] for e in client.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert 8 <= len(present) < 30
    emu.faults.clear()
    puts = emu.faults.delay(0.0, times=None, method="PUT", path="^/%s/p/" % bucket)
    out = subprocess.run(args, cwd=os.path.dirname(os.path.dirname(HERE)), capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "finished", out.stderr
    assert puts.hits == 30 - len(present)  # only the missing files were sent
    assert tree_files(str(tmp_path / "src")) == {k[2:]: v for k, v in objects(client, bucket).items()}


def test_api_key_token_is_refreshed_during_a_long_transfer(tmp_path):
    from cos_test_support import iam_client
    from ibm_cos_emulator import Emulator

    with Emulator(token_ttl=1) as emu:  # tokens live 1 s; the transfer takes about 2.4 s
        client = iam_client(emu)
        client.create_bucket(Bucket="long-transfer")
        make_tree(str(tmp_path), {"f%d.txt" % i: 100 for i in range(6)})
        emu.faults.delay(0.4, times=None, method="PUT", path="^/long-transfer/p/")
        with AsperaTransferManager(client) as manager:
            manager.upload_directory(str(tmp_path), "long-transfer", "p/", AsperaConfig(multi_session=1)).result()
        assert len(objects(client, "long-transfer")) == 6
        assert len(emu.iam_requests) >= 2  # the first token, then at least one refresh
