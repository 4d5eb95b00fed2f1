"""The directory-transfer engine (ibm_s3transfer.directory) against the emulator."""
from __future__ import annotations

import os
import threading
import time

import pytest

from aspera_helpers import (
    KB, MB, count_requests, leftovers, make_tree, objects, open_uploads, same_trees, slow_tree, tree_files, wait_until,
)
from ibm_botocore.exceptions import ClientError
from ibm_s3transfer.directory import (
    DirectoryTransfer,
    UnsafeKeyError,
    already_complete,
    normalize_prefix,
    plan_download,
    plan_upload,
    safe_relative_path,
)
from ibm_s3transfer.exceptions import CancelledError
from ibm_s3transfer.manager import TransferConfig

TREE = {
    "a.txt": 10,
    "empty.bin": 0,
    "sub/b.bin": 70 * KB,
    "sub/deeper/c.bin": 3 * KB,
    "ünïcødé/日本語.txt": 5,
    "sp ace/x y.dat": 1,
}


def run(client, plan, **kwargs):
    return DirectoryTransfer(client, plan, **kwargs).start().result(timeout=120)


def test_round_trip_is_byte_identical(client, bucket, tmp_path):
    src, dst = str(tmp_path / "src"), str(tmp_path / "dst")
    data = make_tree(src, TREE)
    seen = []
    summary = run(client, plan_upload(src, bucket, "up"), progress=seen.append)
    assert summary.files_transferred == len(TREE)
    assert objects(client, bucket) == {"up/" + k: v for k, v in data.items()}
    total = sum(TREE.values())
    assert seen == sorted(seen) and seen[-1] == total == summary.bytes_transferred
    os.mkdir(dst)
    summary = run(client, lambda: plan_download(client, bucket, "up/", dst))
    assert summary.files_transferred == len(TREE)
    assert same_trees(src, dst)
    assert leftovers(dst) == []


def test_prefix_is_a_folder_and_leading_slash_is_refused(client, bucket, tmp_path):
    make_tree(str(tmp_path), {"f": 3})
    assert normalize_prefix("photos") == "photos/" == normalize_prefix("photos/")
    assert normalize_prefix("") == ""
    with pytest.raises(ValueError, match="must not start with '/'"):
        plan_upload(str(tmp_path), bucket, "/photos")
    with pytest.raises(ValueError, match="must not start with '/'"):
        plan_download(client, bucket, "/photos", str(tmp_path))
    assert [i.key for i in plan_upload(str(tmp_path), bucket, "photos").items] == ["photos/f"]


def test_include_filter_and_whole_bucket(client, bucket, tmp_path):
    src = str(tmp_path / "src")
    make_tree(src, {"keep/1.txt": 1, "keep/2.log": 2, "top.txt": 3})
    plan = plan_upload(src, bucket, "", include=lambda rel: rel.endswith(".txt"))
    assert [i.relative for i in plan.items] == ["keep/1.txt", "top.txt"]
    run(client, plan)
    assert sorted(objects(client, bucket)) == ["keep/1.txt", "top.txt"]
    dst = str(tmp_path / "dst")
    os.mkdir(dst)
    run(client, plan_download(client, bucket, "", dst, include=lambda rel: rel.startswith("keep/")))
    assert sorted(tree_files(dst)) == ["keep/1.txt"]


def test_unreadable_or_missing_directory(tmp_path, bucket):
    with pytest.raises(IOError, match="Error accessing Directory"):
        plan_upload(str(tmp_path / "missing"), bucket, "p")


def test_missing_bucket_is_a_client_error_from_result(client, tmp_path):
    make_tree(str(tmp_path), {"f": 3})
    transfer = DirectoryTransfer(client, plan_upload(str(tmp_path), "no-such-bucket-xyz", "p")).start()
    with pytest.raises(ClientError) as info:
        transfer.result(timeout=60)
    assert info.value.response["Error"]["Code"] == "NoSuchBucket"
    transfer = DirectoryTransfer(client, lambda: plan_download(client, "no-such-bucket-xyz", "p", str(tmp_path))).start()
    with pytest.raises(ClientError) as info:
        transfer.result(timeout=60)
    assert info.value.response["Error"]["Code"] == "NoSuchBucket"
    assert transfer.status == "failed"


@pytest.mark.parametrize("relative, reason", [
    ("../evil", "'..'"), ("a/../../evil", "'..'"), ("/etc/passwd", "absolute"), ("a\\..\\b", "backslash"),
    ("a\x00b", "NUL"), ("a//b", "''"), ("./a", "'.'"), ("C:/x", "drive letter"),
])
def test_safe_relative_path_refuses(relative, reason):
    with pytest.raises(UnsafeKeyError, match=reason):
        safe_relative_path("p/" + relative, relative)


def test_traversal_keys_are_refused_and_nothing_is_written_outside(client, bucket, tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    for key in ("pre/ok.txt", "pre/../escaped.txt", "pre//abs.txt", "pre/a\\b.txt"):
        client.put_object(Bucket=bucket, Key=key, Body=b"x")
    with pytest.raises(UnsafeKeyError, match="escaped"):
        plan_download(client, bucket, "pre", str(target))
    plan = plan_download(client, bucket, "pre", str(target), unsafe="skip")
    assert sorted(k for k, _ in plan.unsafe) == sorted(["pre//abs.txt", "pre/../escaped.txt", "pre/a\\b.txt"])
    run(client, plan)
    assert tree_files(str(tmp_path)) == {"target/ok.txt": b"x"}


def test_symlink_in_the_target_cannot_lead_outside(client, bucket, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "target"
    target.mkdir()
    os.symlink(str(outside), str(target / "link"))
    client.put_object(Bucket=bucket, Key="pre/link/x.txt", Body=b"x")
    with pytest.raises(UnsafeKeyError, match="outside"):
        plan_download(client, bucket, "pre", str(target))
    assert list(outside.iterdir()) == []


def test_symlinked_directories_are_not_followed_into_loops(client, bucket, tmp_path):
    src = tmp_path / "src"
    make_tree(str(src), {"d/f.txt": 4, "g.txt": 2})
    os.symlink(str(src), str(src / "d" / "loop"))  # back to the root
    other = tmp_path / "other"
    make_tree(str(other), {"o.txt": 1})
    os.symlink(str(other), str(src / "linked"))  # a real directory elsewhere: followed
    plan = plan_upload(str(src), bucket, "p")
    assert [i.relative for i in plan.items] == ["d/f.txt", "g.txt", "linked/o.txt"]


def test_already_complete_skips_unchanged_files(client, bucket, emu, tmp_path):
    src = str(tmp_path / "src")
    make_tree(src, {"small.txt": 100, "big.bin": 12 * MB, "other.txt": 5})
    config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)
    run(client, plan_upload(src, bucket, "p"), config=config)
    assert client.head_object(Bucket=bucket, Key="p/big.bin")["ETag"].endswith('-3"')
    with open(os.path.join(src, "other.txt"), "wb") as handle:
        handle.write(b"12345")  # same size, other content
    counts = count_requests(emu, "PUT", bucket, ["p/small.txt", "p/big.bin", "p/other.txt"])
    plan = plan_upload(src, bucket, "p", client=client, skip=already_complete(client, bucket))
    assert [i.relative for i in plan.items] == ["other.txt"]
    assert sorted(i.relative for i in plan.skipped) == ["big.bin", "small.txt"]
    run(client, plan, config=config)
    assert {k: r.hits for k, r in counts.items()} == {"p/small.txt": 0, "p/big.bin": 0, "p/other.txt": 1}
    dst = str(tmp_path / "dst")
    os.mkdir(dst)
    run(client, plan_download(client, bucket, "p", dst), config=config)
    plan = plan_download(client, bucket, "p", dst, skip=already_complete(client, bucket))
    assert plan.items == [] and len(plan.skipped) == 3


def test_pause_and_resume_mid_directory_sends_each_part_once(client, bucket, emu, tmp_path):
    src, data, rules = slow_tree(emu, bucket, tmp_path)
    config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_request_concurrency=2)
    seen = []
    transfer = DirectoryTransfer(client, plan_upload(src, bucket, "p"), config=config, progress=seen.append).start()
    wait_until(lambda: sum(r.hits for r in rules.values()) >= 2)
    transfer.pause()
    assert transfer.status == "paused"
    hits = lambda: sum(r.hits for r in rules.values())  # noqa: E731
    # the parts in flight finish; then nothing more is sent while paused
    wait_until(lambda: transfer.bytes_transferred == hits() * 5 * MB)
    before = hits()
    time.sleep(1.0)
    assert hits() == before and transfer.bytes_transferred == before * 5 * MB < 45 * MB
    threads = [t for t in threading.enumerate() if t.name.startswith("ThreadPoolExecutor")]
    assert threads  # waiting, not spinning: they sleep on the gate's condition
    transfer.resume()
    transfer.result(timeout=120)
    assert all(rule.hits == 1 for rule in rules.values()), {k: r.hits for k, r in rules.items()}
    assert before * 5 * MB + (len(rules) - before) * 5 * MB == 45 * MB == seen[-1]
    assert objects(client, bucket) == {"p/" + k: v for k, v in data.items()}


def test_cancel_aborts_uploads_and_removes_partial_downloads(client, bucket, emu, tmp_path):
    src, data, rules = slow_tree(emu, bucket, tmp_path)
    config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_request_concurrency=2)
    transfer = DirectoryTransfer(client, plan_upload(src, bucket, "p"), config=config).start()
    wait_until(lambda: sum(r.hits for r in rules.values()) >= 3)
    transfer.cancel("stop")
    with pytest.raises(CancelledError):
        transfer.result(timeout=60)
    assert transfer.status == "cancelled"
    assert open_uploads(client, bucket) == []
    assert objects(client, bucket) == {}
    # downloads: cancelled mid-way, no temporary files and no partial file under a final name
    emu.faults.clear()
    run(client, plan_upload(src, bucket, "p"), config=config)
    emu.faults.delay(0.3, times=None, method="GET", path="^/%s/p/" % bucket)
    dst = str(tmp_path / "dst")
    os.mkdir(dst)
    transfer = DirectoryTransfer(client, lambda: plan_download(client, bucket, "p", dst), config=config).start()
    wait_until(lambda: transfer.bytes_transferred > 0)
    transfer.cancel()
    with pytest.raises(CancelledError):
        transfer.result(timeout=60)
    assert leftovers(dst) == []
    for relative, content in tree_files(dst).items():
        assert content == data[relative]  # only complete files under final names


def test_fail_fast_false_carries_on_and_reports_each_error(client, bucket, emu, tmp_path):
    src = str(tmp_path / "src")
    make_tree(src, {"a.txt": 1, "b.txt": 2, "c.txt": 3})
    emu.faults.error(403, "AccessDenied", "Access Denied", times=None, method="PUT", path="^/%s/p/b.txt$" % bucket)
    transfer = DirectoryTransfer(client, plan_upload(src, bucket, "p"), fail_fast=False).start()
    with pytest.raises(ClientError, match="AccessDenied"):
        transfer.result(timeout=60)
    assert sorted(transfer.errors) == ["p/b.txt"]
    assert sorted(objects(client, bucket)) == ["p/a.txt", "p/c.txt"]


def test_progress_callback_that_raises_is_logged(client, bucket, tmp_path, caplog):
    make_tree(str(tmp_path), {"a": 10, "b": 20})

    def broken(total):
        raise RuntimeError("boom")

    summary = run(client, plan_upload(str(tmp_path), bucket, "p"), progress=broken)
    assert summary.files_transferred == 2
    assert "progress callback raised" in caplog.text


def test_extra_args_per_item(client, bucket, tmp_path):
    make_tree(str(tmp_path), {"a.txt": 1, "b.json": 2})
    types = {"txt": "text/plain", "json": "application/json"}
    run(client, plan_upload(str(tmp_path), bucket, "p"), extra_args=lambda item: {"ContentType": types[item.key.rsplit(".", 1)[1]]})
    assert client.head_object(Bucket=bucket, Key="p/a.txt")["ContentType"] == "text/plain"
    assert client.head_object(Bucket=bucket, Key="p/b.json")["ContentType"] == "application/json"


def test_small_downloads_use_the_listed_etag_instead_of_a_head(client, bucket, emu, tmp_path):
    data = {"a.bin": os.urandom(100 * KB), "b.bin": os.urandom(10)}
    for name, body in data.items():
        client.put_object(Bucket=bucket, Key="p/" + name, Body=body)
    heads = count_requests(emu, "HEAD", bucket, ["p/a.bin", "p/b.bin"])
    gets = count_requests(emu, "GET", bucket, ["p/a.bin", "p/b.bin"])
    emu.faults.corrupt(times=1, path="^/%s/p/a.bin$" % bucket)  # one flipped byte: the MD5 ETag check catches it
    dst = str(tmp_path / "dst")
    os.mkdir(dst)
    run(client, plan_download(client, bucket, "p", dst))
    assert tree_files(dst) == data
    assert {k: r.hits for k, r in heads.items()} == {"p/a.bin": 0, "p/b.bin": 0}
    assert gets["p/b.bin"].hits == 1 and gets["p/a.bin"].hits >= 2  # the corrupted body was fetched again


def test_cancel_while_paused_and_before_start(client, bucket, emu, tmp_path):
    src, _data, rules = slow_tree(emu, bucket, tmp_path, files=2, parts=2, delay=0.2)
    config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_request_concurrency=2)
    transfer = DirectoryTransfer(client, plan_upload(src, bucket, "p"), config=config).start()
    wait_until(lambda: sum(r.hits for r in rules.values()) >= 1)
    transfer.pause()
    transfer.cancel()
    with pytest.raises(CancelledError):
        transfer.result(timeout=30)
    assert open_uploads(client, bucket) == [] and objects(client, bucket) == {}
    ended = []
    never = DirectoryTransfer(client, plan_upload(src, bucket, "p"), on_done=ended.append)
    never.cancel()
    never.start()  # too late: nothing runs
    with pytest.raises(CancelledError):
        never.result(timeout=5)
    assert ended == [never] and never.status == "cancelled" and objects(client, bucket) == {}


def slow_small_tree(emu, bucket, tmp_path, files=24, size=3 * KB, delay=0.15):
    """Files below the multipart threshold (the inline workers' path), each PUT delayed and counted."""
    src = str(tmp_path / "src")
    data = make_tree(src, {"s%02d.bin" % i: size for i in range(files)})
    rules = {name: emu.faults.delay(delay, times=None, method="PUT", path="^/%s/p/%s$" % (bucket, name)) for name in data}
    return src, data, rules


def test_small_files_pause_and_resume_send_each_file_once(client, bucket, emu, tmp_path):
    src, data, rules = slow_small_tree(emu, bucket, tmp_path)
    config = TransferConfig(max_request_concurrency=2)
    hits = lambda: sum(r.hits for r in rules.values())  # noqa: E731
    transfer = DirectoryTransfer(client, plan_upload(src, bucket, "p"), config=config).start()
    wait_until(lambda: hits() >= 3)
    transfer.pause()
    assert transfer.status == "paused"
    wait_until(lambda: transfer.files_done == hits())  # the files in flight finish
    before = hits()
    time.sleep(0.8)
    assert hits() == before < len(data) and transfer.files_done == before
    transfer.resume()
    summary = transfer.result(timeout=60)
    assert {name: rule.hits for name, rule in rules.items()} == {name: 1 for name in data}
    assert summary.files_transferred == len(data) and summary.bytes_transferred == sum(map(len, data.values()))
    assert objects(client, bucket) == {"p/" + k: v for k, v in data.items()}


@pytest.mark.parametrize("processes", [1, 2])  # 2: a worker process has files in flight too
def test_small_files_cancel_mid_download_leaves_only_complete_files(client, bucket, emu, tmp_path, processes):
    src = str(tmp_path / "src")
    data = make_tree(src, {"s%02d.bin" % i: 20 * KB for i in range(30 * processes)})
    run(client, plan_upload(src, bucket, "p"))
    emu.faults.delay(0.2, times=None, method="GET", path="^/%s/p/" % bucket)
    dst = str(tmp_path / "dst")
    os.mkdir(dst)
    transfer = DirectoryTransfer(client, lambda: plan_download(client, bucket, "p", dst), processes=processes,
                                 max_concurrent_files=2 if processes > 1 else None).start()
    wait_until(lambda: transfer.files_done >= 2 and (processes == 1 or transfer.worker_files >= 1))
    transfer.cancel()
    with pytest.raises(CancelledError):
        transfer.result(timeout=60)
    assert transfer.status == "cancelled"
    assert leftovers(dst) == []
    done = tree_files(dst)
    assert 2 <= len(done) < len(data)
    for relative, content in done.items():
        assert content == data[relative]


def test_small_and_large_files_of_one_tree_share_the_bandwidth_ceiling(client, bucket, tmp_path):
    src = str(tmp_path / "src")
    data = make_tree(src, dict({"big.bin": 6 * MB}, **{"s%02d.bin" % i: 400 * KB for i in range(16)}))
    config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_bandwidth=6 * MB)
    started = time.monotonic()
    summary = run(client, plan_upload(src, bucket, "p"), config=config)
    elapsed = time.monotonic() - started
    total = sum(map(len, data.values()))
    assert summary.bytes_transferred == total
    # one ceiling for both paths: 12.4 MB at 6 MB/s takes 2 s (a ceiling each would allow 1.1 s)
    assert elapsed >= 1.6
    assert objects(client, bucket) == {"p/" + k: v for k, v in data.items()}


def test_small_files_to_a_slow_server_get_more_workers(client, bucket, emu, tmp_path, monkeypatch):
    # Each PUT waits 50 ms at the server: more files at once is faster, so the adaptive
    # limit must climb well above its start of 1 (it would stay low on a fast server).
    import ibm_s3transfer.directory as directory
    from ibm_s3transfer.concurrency import AdaptiveLimit

    limits = []

    class Recorded(AdaptiveLimit):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.peak = self.limit
            limits.append(self)

        def _step(self, rate, busy=None):
            super()._step(rate, busy)
            self.peak = max(self.peak, self.limit)

    monkeypatch.setattr(directory, "AdaptiveLimit", Recorded)
    src = str(tmp_path / "src")
    data = make_tree(src, {"s%03d.bin" % i: 1 * KB for i in range(160)})
    emu.faults.delay(0.05, times=None, method="PUT", path="^/%s/p/" % bucket)
    summary = run(client, plan_upload(src, bucket, "p"), config=TransferConfig(max_request_concurrency=10))
    assert summary.files_transferred == len(data)
    assert len(limits) == 1 and limits[0].peak >= 5, limits[0].peak
    assert objects(client, bucket) == {"p/" + k: v for k, v in data.items()}
