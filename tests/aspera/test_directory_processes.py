"""Small files of a directory transfer in worker processes (ibm_s3transfer.procfiles),
against the emulator: real worker processes, real requests, the parent's accounting."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from aspera_helpers import KB, count_requests, leftovers, make_tree, objects, same_trees, wait_until
from cos_test_support import iam_client
from ibm_botocore.exceptions import ClientError
from ibm_botocore.stub import Stubber
from ibm_s3transfer import procfiles
from ibm_s3transfer.directory import DirectoryTransfer, UnsafeKeyError, plan_download, plan_upload
from ibm_s3transfer.manager import TransferConfig

pytestmark = pytest.mark.skipif(not sys.executable, reason="no interpreter to start workers with")


def small_tree(root, count=60, size=2 * KB):
    files = {"d%d/f%03d.bin" % (i % 4, i): size for i in range(count)}
    files.update({"ünï/日本語.txt": 7, "empty.bin": 0})
    return make_tree(root, files)


def run(client, plan, **kwargs):
    transfer = DirectoryTransfer(client, plan, **kwargs).start()
    return transfer, transfer.result(timeout=120)


def test_round_trip_with_a_worker_process(client, bucket, emu, tmp_path):
    src, dst = str(tmp_path / "src"), str(tmp_path / "dst")
    data = small_tree(src, count=40)
    # slow enough that the worker, ready after a fraction of a second (more on a loaded
    # machine), still finds files to take: 2 at a time here, 0.1 s each
    emu.faults.delay(0.1, times=None, path="^/%s/p/" % bucket)
    seen = []
    transfer, summary = run(client, plan_upload(src, bucket, "p"), processes=2, max_concurrent_files=2,
                            progress=seen.append)
    assert transfer.worker_processes == 1
    assert 0 < transfer.worker_files <= len(data)
    assert [worker.proc.returncode for worker in transfer._workers.workers] == [0]  # a clean exit
    assert summary.files_transferred == len(data) and summary.files_failed == 0
    total = sum(map(len, data.values()))
    assert summary.bytes_transferred == total == seen[-1] and seen == sorted(seen)
    assert objects(client, bucket) == {"p/" + k: v for k, v in data.items()}
    os.mkdir(dst)
    transfer, summary = run(client, lambda: plan_download(client, bucket, "p", dst), processes=2, max_concurrent_files=2)
    assert transfer.worker_processes == 1 and transfer.worker_files > 0
    assert summary.files_transferred == len(data) and summary.bytes_transferred == total
    assert same_trees(src, dst) and leftovers(dst) == []


def test_api_key_client_in_worker_processes(emu, bucket, tmp_path):
    client = iam_client(emu)
    src = str(tmp_path / "src")
    data = small_tree(src, count=40)
    emu.faults.delay(0.1, times=None, method="PUT", path="^/%s/k/" % bucket)
    transfer, summary = run(client, plan_upload(src, bucket, "k"), processes=2, max_concurrent_files=2)
    assert transfer.worker_processes == 1 and transfer.worker_files > 0
    assert summary.files_transferred == len(data)
    assert objects(client, bucket, "k/") == {"k/" + k: v for k, v in data.items()}


def test_errors_from_a_worker_are_the_files_own(client, bucket, emu, tmp_path):
    src = str(tmp_path / "src")
    data = small_tree(src, count=40)
    denied = sorted("p/" + name for name in data if name.startswith("d1/"))
    for key in denied:
        emu.faults.error(403, "AccessDenied", "Access Denied", times=None, method="PUT", path="^/%s/%s$" % (bucket, key))
    emu.faults.delay(0.1, times=None, method="PUT", path="^/%s/p/" % bucket)
    transfer = DirectoryTransfer(client, plan_upload(src, bucket, "p"), processes=2, max_concurrent_files=2,
                                 fail_fast=False).start()
    with pytest.raises(ClientError, match="AccessDenied"):
        transfer.result(timeout=120)
    assert transfer.worker_processes == 1
    assert sorted(transfer.errors) == denied
    assert all(isinstance(exc, ClientError) and exc.response["Error"]["Code"] == "AccessDenied"
               for exc in transfer.errors.values())
    assert sorted(objects(client, bucket)) == sorted("p/" + n for n in data if "p/" + n not in denied)
    assert transfer.files_done == len(data) - len(denied)


def slow_files(emu, bucket, tmp_path, count=40, delay=0.1):
    src = str(tmp_path / "src")
    data = make_tree(src, {"s%03d.bin" % i: 3 * KB for i in range(count)})
    rules = count_requests(emu, "PUT", bucket, ["p/" + name for name in data])
    emu.faults.delay(delay, times=None, method="PUT", path="^/%s/p/" % bucket)
    return src, data, rules


def test_pause_reaches_the_workers_and_resume_sends_each_file_once(client, bucket, emu, tmp_path):
    src, data, rules = slow_files(emu, bucket, tmp_path)
    config = TransferConfig(max_request_concurrency=2)
    hits = lambda: sum(r.hits for r in rules.values())  # noqa: E731
    transfer = DirectoryTransfer(client, plan_upload(src, bucket, "p"), config=config, processes=2,
                                 max_concurrent_files=2).start()
    wait_until(lambda: transfer.worker_files >= 2)  # the worker is running files
    transfer.pause()
    wait_until(lambda: transfer.files_done == hits())  # the files in flight (both processes) finish
    before = hits()
    time.sleep(0.8)
    assert hits() == before < len(data) and transfer.files_done == before
    transfer.resume()
    summary = transfer.result(timeout=120)
    assert {key: rule.hits for key, rule in rules.items()} == {"p/" + name: 1 for name in data}
    assert summary.files_transferred == len(data)
    assert objects(client, bucket) == {"p/" + k: v for k, v in data.items()}


def test_a_symlink_out_of_the_target_halts_the_transfer_in_any_process(client, bucket, tmp_path):
    src = str(tmp_path / "src")
    data = make_tree(src, {"link/f%03d.bin" % i: 1 * KB for i in range(30)})
    run(client, plan_upload(src, bucket, "p"), processes=1)
    dst, outside = tmp_path / "dst", tmp_path / "outside"
    dst.mkdir()
    outside.mkdir()
    os.symlink(str(outside), str(dst / "link"))
    transfer = DirectoryTransfer(client, lambda: plan_download(client, bucket, "p", str(dst)), processes=2).start()
    with pytest.raises(UnsafeKeyError, match="outside"):
        transfer.result(timeout=60)
    assert os.listdir(str(outside)) == [] and len(data) == 30


def test_a_killed_worker_leaves_its_files_to_this_process(client, bucket, emu, tmp_path):
    src, data, rules = slow_files(emu, bucket, tmp_path, count=40)
    transfer = DirectoryTransfer(client, plan_upload(src, bucket, "p"), processes=2, max_concurrent_files=2).start()
    wait_until(lambda: transfer.worker_files >= 1)
    worker = transfer._workers.workers[0]
    os.kill(worker.proc.pid, signal.SIGKILL)
    summary = transfer.result(timeout=120)
    assert summary.files_transferred == len(data) and summary.files_failed == 0
    assert all(rule.hits >= 1 for rule in rules.values())
    assert objects(client, bucket) == {"p/" + k: v for k, v in data.items()}


def test_clients_with_handlers_of_their_own_keep_every_file_in_this_process(client, bucket, tmp_path):
    src = str(tmp_path / "src")
    data = small_tree(src, count=30)
    sent = []
    client.meta.events.register("before-send.s3.PutObject", lambda request, **kw: sent.append(request.url))
    transfer, summary = run(client, plan_upload(src, bucket, "p"), processes=4)
    assert transfer.worker_processes == 0
    assert summary.files_transferred == len(data) == len(sent)  # the handler saw every file
    assert procfiles.client_recipe(client) is None


def test_a_stubbed_client_is_not_rebuilt_elsewhere(client):
    assert procfiles.client_recipe(client) is not None
    with Stubber(client):  # its handlers answer the requests: a rebuilt client would not have them
        assert procfiles.client_recipe(client) is None
    assert procfiles.client_recipe(client) is not None


def test_a_bandwidth_ceiling_keeps_every_file_in_this_process(client, bucket, tmp_path):
    src = str(tmp_path / "src")
    small_tree(src, count=20)
    transfer, _ = run(client, plan_upload(src, bucket, "p"), processes=2,
                      config=TransferConfig(max_bandwidth=100 * 1024 * 1024))
    assert transfer.worker_processes == 0


def test_how_many_workers(monkeypatch):
    monkeypatch.delenv(procfiles.ENV_PROCESSES, raising=False)
    monkeypatch.setattr(procfiles, "_usable_cpus", lambda: 8)
    assert procfiles.workers_for(None, 2000) == 4  # capped
    assert procfiles.workers_for(None, 850) == 2  # one per 400 small files
    assert procfiles.workers_for(None, 399) == 0
    monkeypatch.setattr(procfiles, "_usable_cpus", lambda: 1)
    assert procfiles.workers_for(None, 10000) == 0  # no spare CPU
    assert procfiles.workers_for(3, 10) == 2  # asked for: 3 processes in all
    assert procfiles.workers_for(1, 10000) == 0
    assert procfiles.workers_for(8, 6) == 3  # at least two files each
    assert procfiles.workers_for(None, 10000, automatic=False) == 0  # (downloads without unnamed files): only when asked
    assert procfiles.workers_for(2, 10000, automatic=False) == 1
    monkeypatch.setenv(procfiles.ENV_PROCESSES, "2")
    assert procfiles.workers_for(None, 10) == 1
    assert procfiles.workers_for(1, 10) == 0  # the argument wins
    assert procfiles.workers_for(None, 10, automatic=False) == 1
    monkeypatch.setenv(procfiles.ENV_PROCESSES, "many")
    assert procfiles.workers_for(None, 100) == 0


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_workers_end_when_the_parent_is_killed(client, bucket, emu, tmp_path):
    src, data, _rules = slow_files(emu, bucket, tmp_path, count=60, delay=0.2)
    script = textwrap.dedent("""
        import time
        import ibm_boto3
        from ibm_s3transfer.directory import DirectoryTransfer, plan_upload

        client = ibm_boto3.client("s3", **%r)
        transfer = DirectoryTransfer(client, plan_upload(%r, %r, "p"), processes=2).start()
        while not transfer.worker_files:
            time.sleep(0.02)
        print(transfer._workers.workers[0].proc.pid, flush=True)
        transfer.result()
    """) % (emu.client_kwargs("hmac"), src, bucket)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, universal_newlines=True)
    try:
        pid = int(parent.stdout.readline())
        parent.kill()
        parent.wait(10)
        # the worker sees its input close, cancels and exits (not left running on its own)
        wait_until(lambda: not _running(pid), timeout=20)
    finally:
        if parent.poll() is None:
            parent.kill()
    assert len(objects(client, bucket)) < len(data)


def _running(pid):
    try:
        with open("/proc/%d/status" % pid) as status:
            return "\nState:\tZ" not in status.read()
    except FileNotFoundError:
        return False


def test_a_prestarted_worker_is_taken_by_the_next_transfer(client, bucket, emu, tmp_path):
    src = str(tmp_path / "src")
    data = small_tree(src, count=40)
    assert procfiles.prestart(1) == 1
    prestarted = list(procfiles._prestarted)
    assert len(prestarted) == 1 and prestarted[0].poll() is None  # waiting for its setup
    emu.faults.delay(0.1, times=None, path="^/%s/p/" % bucket)
    transfer, summary = run(client, plan_upload(src, bucket, "p"), processes=2, max_concurrent_files=2)
    assert procfiles._prestarted == []
    assert [worker.proc for worker in transfer._workers.workers] == prestarted  # that very process
    assert transfer.worker_files > 0 and prestarted[0].returncode == 0
    assert summary.files_transferred == len(data)
    assert objects(client, bucket) == {"p/" + k: v for k, v in data.items()}


def test_prestart_respects_the_process_setting(monkeypatch):
    monkeypatch.setenv(procfiles.ENV_PROCESSES, "1")
    assert procfiles.prestart() == 0 and procfiles._prestarted == []
    assert procfiles.prestart(0) == 0


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_an_unused_prestarted_worker_ends_with_its_parent_quietly(tmp_path):
    script = textwrap.dedent("""
        from ibm_s3transfer import procfiles
        assert procfiles.prestart(1) == 1
        print(procfiles._prestarted[0].pid, flush=True)
    """)
    parent = subprocess.run([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=60)
    assert parent.returncode == 0, parent.stderr
    pid = int(parent.stdout)
    assert not _running(pid)  # the parent waited for it at exit
    assert parent.stderr == ""  # no traceback from a worker that got no setup


def test_a_workers_log_records_reach_this_process_handlers(client, bucket, emu, tmp_path, caplog):
    import logging

    src = str(tmp_path / "src")
    data = small_tree(src, count=40)
    emu.faults.delay(0.1, times=None, path="^/%s/p/" % bucket)
    with caplog.at_level(logging.DEBUG, logger="ibm_botocore"):
        transfer, summary = run(client, plan_upload(src, bucket, "p"), processes=2, max_concurrent_files=2)
    assert transfer.worker_files > 0 and summary.files_transferred == len(data)
    pid = transfer._workers.workers[0].proc.pid
    theirs = [r for r in caplog.records if r.processName == "ibm_s3transfer-worker-%d" % pid]
    assert theirs, "no record came back from the worker"
    assert {r.name.split(".")[0] for r in theirs} == {"ibm_botocore"}  # at the levels of this process
    assert all(isinstance(r.getMessage(), str) and r.args is None for r in theirs)


@pytest.mark.skipif(os.name != "posix", reason="sessions and SIGINT")
def test_ctrl_c_at_a_terminal_does_not_reach_the_workers(tmp_path):
    # a terminal sends SIGINT to its foreground process group: the workers are not in it
    assert procfiles.prestart(1) == 1
    proc = procfiles._prestarted[0]
    try:
        assert os.getsid(proc.pid) == proc.pid != os.getsid(0)
        assert os.getpgid(proc.pid) != os.getpgid(0)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGINT)  # sent to it directly: ignored all the same
        time.sleep(0.3)
        assert proc.poll() is None
    finally:
        procfiles._end_prestarted()
