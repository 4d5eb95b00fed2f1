"""Which `cos` commands start a worker process ahead of the transfer (ibm_s3transfer.procfiles.prestart)."""
from __future__ import annotations

import pytest

from ibm_boto3.cli._args import parse_args
from ibm_boto3.cli._tree import _has_files, prestart_workers
from ibm_s3transfer import procfiles


@pytest.fixture
def prestarted(monkeypatch):
    monkeypatch.delenv(procfiles.ENV_PROCESSES, raising=False)
    monkeypatch.setattr(procfiles, "_usable_cpus", lambda: 2)
    yield procfiles._prestarted
    procfiles._end_prestarted()


def make_files(root, count):
    root.mkdir()
    for index in range(count):
        (root / ("f%03d" % index)).write_bytes(b"x")
    return str(root)


def test_a_recursive_download_or_a_large_upload_starts_one(prestarted, tmp_path):
    prestart_workers(parse_args(["cp", "-r", "cos://bucket/prefix/", str(tmp_path / "out")]))
    assert len(prestarted) == 1 and prestarted[0].poll() is None
    procfiles._end_prestarted()
    many = make_files(tmp_path / "many", procfiles.FILES_PER_WORKER)
    prestart_workers(parse_args(["mv", "--recursive", many, "cos://bucket/prefix/"]))
    assert len(prestarted) == 1
    procfiles._end_prestarted()
    (tmp_path / "empty").mkdir()
    for target in ("empty", "new"):  # a sync into an empty or new directory transfers everything
        prestart_workers(parse_args(["sync", "cos://bucket/prefix/", str(tmp_path / target)]))
        assert len(prestarted) == 1
        procfiles._end_prestarted()


@pytest.mark.parametrize("argv", [
    ["sync", "cos://bucket/prefix/", "FEW"],  # into files already there: often nothing to do
    ["sync", "MANY", "cos://bucket/prefix/"],  # an upload sync: the destination may have it all
    ["cp", "cos://bucket/key", "OUT"],  # one object
    ["cp", "-r", "--dryrun", "cos://bucket/prefix/", "OUT"],
    ["--processes", "1", "cp", "-r", "cos://bucket/prefix/", "OUT"],
    ["cp", "-r", "cos://bucket/a/", "cos://bucket/b/"],  # server-side copies
    ["cp", "-r", "FEW", "cos://bucket/prefix/"],  # too few files for a worker
])
def test_other_commands_start_none(prestarted, tmp_path, argv):
    few = make_files(tmp_path / "few", 3)
    many = make_files(tmp_path / "many", procfiles.FILES_PER_WORKER)
    names = {"FEW": few, "MANY": many, "OUT": str(tmp_path / "out")}
    argv = [names.get(arg, arg) for arg in argv]
    prestart_workers(parse_args(argv))
    assert prestarted == []


def test_has_files_stops_counting_at_the_number(tmp_path):
    root = tmp_path / "tree"
    (root / "a" / "b").mkdir(parents=True)
    for name in ("x", "a/y", "a/b/z"):
        (root / name).write_bytes(b"")
    assert _has_files(str(root), 3) and not _has_files(str(root), 4)
