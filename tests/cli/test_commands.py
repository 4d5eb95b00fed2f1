"""Every ``cos`` command, run as a real process against the emulator."""
from __future__ import annotations

import hashlib
import json
import os
import urllib.request

import pytest

from cli_support import TREE, keys, make_tree, read_tree

COMMANDS = ["ls", "cp", "mv", "sync", "rm", "mb", "rb", "presign", "cat", "head", "emulator"]


def test_help_is_complete(cos):
    top = cos.ok("--help")
    for name in COMMANDS:
        assert "\n    %s " % name in top
    for words in ("--endpoint-url", "--profile", "--region", "--api-key", "--concurrency", "--part-size",
                  "--quiet", "--json", "--no-progress", "~/.bluemix/cos_credentials", "exit status"):
        assert words in top
    expected = {
        "ls": ["--recursive", "--human-readable", "--summarize"],
        "cp": ["--recursive", "--include", "--exclude", "--metadata", "--content-type", "--retention-period",
               "--dryrun"],
        "mv": ["--recursive", "--include", "--exclude"],
        "sync": ["--delete", "--dryrun", "--checksum", "--size-only", "--include", "--exclude"],
        "rm": ["--recursive", "--include", "--exclude", "--dryrun"],
        "mb": ["--location", "--kms-root-key-crn"],
        "rb": ["--force"],
        "presign": ["--expires-in"],
        "cat": ["cos://BUCKET/KEY"],
        "head": ["cos://BUCKET[/KEY]"],
        "emulator": ["--port", "--data-dir"],
    }
    for name, options in expected.items():
        text = cos.ok(name, "--help")
        assert text.startswith("usage: cos %s" % name)
        for option in options + ["--endpoint-url", "--json"]:  # global options are listed too
            assert option in text, (name, option)
    assert cos.ok("--version").startswith("cos (ibm-cos-sdk ")


def test_mb_ls_rb(cos, client):
    name = "cli-mb-" + os.urandom(4).hex()
    assert cos.ok("mb", "cos://" + name, "--location", "us-south-smart") == "make_bucket: %s\n" % name
    assert client.get_bucket_location(Bucket=name)["LocationConstraint"] == "us-south-smart"
    # global options before or after the command give the same JSON lines
    before = cos.ok("--json", "ls")
    after = cos.ok("ls", "--json")
    assert before == after
    buckets = [json.loads(line) for line in before.splitlines()]
    assert {"type": "bucket", "name": name} == {k: v for k, v in buckets[[b["name"] for b in buckets].index(name)].items()
                                                if k != "created"}
    assert name in cos.ok("ls").split()
    client.put_object(Bucket=name, Key="x", Body=b"1")
    proc = cos("rb", "s3://" + name)
    assert proc.returncode == 1
    assert b"BucketNotEmpty" in proc.stderr and b"Traceback" not in proc.stderr
    assert cos.ok("rb", "--force", "cos://" + name) == "delete: cos://%s/x\nremove_bucket: %s\n" % (name, name)
    assert name not in [b["Name"] for b in client.list_buckets()["Buckets"]]


def test_mb_with_key_protect_root_key(cos, client):
    name = "cli-kp-" + os.urandom(4).hex()
    crn = "crn:v1:bluemix:public:kms:us-south:a/123:456:key:789"
    cos.ok("mb", "cos://" + name, "--kms-root-key-crn", crn)
    head = client.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPHeaders"]
    assert head["ibm-sse-kp-enabled"] == "true" and head["ibm-sse-kp-crk-id"] == crn
    client.delete_bucket(Bucket=name)


def test_cp_upload_download_copy_with_options(cos, client, bucket, tmp_path):
    src = tmp_path / "report.csv"
    src.write_bytes(b"a,b\n1,2\n")
    out = cos.ok("cp", str(src), "cos://%s/dir/" % bucket, "--metadata", "owner=ana,team=data",
                 "--cache-control", "no-cache", "--sse", "AES256")
    assert out == "upload: %s to cos://%s/dir/report.csv\n" % (src, bucket)
    head = client.head_object(Bucket=bucket, Key="dir/report.csv")
    assert head["Metadata"] == {"owner": "ana", "team": "data"}
    assert head["ContentType"] == "text/csv"  # guessed from the name
    assert head["CacheControl"] == "no-cache" and head["ServerSideEncryption"] == "AES256"
    # download into a directory: the object's name is kept
    target = tmp_path / "down"
    target.mkdir()
    cos.ok("cp", "cos://%s/dir/report.csv" % bucket, str(target))
    assert (target / "report.csv").read_bytes() == b"a,b\n1,2\n"
    # server-side copy with new metadata and an explicit content type
    cos.ok("cp", "cos://%s/dir/report.csv" % bucket, "cos://%s/copy.csv" % bucket, "--metadata",
           '{"owner": "bo"}', "--content-type", "application/x-test")
    head = client.head_object(Bucket=bucket, Key="copy.csv")
    assert head["Metadata"] == {"owner": "bo"} and head["ContentType"] == "application/x-test"
    assert client.get_object(Bucket=bucket, Key="copy.csv")["Body"].read() == b"a,b\n1,2\n"


def test_large_file_multipart_both_ways(cos, client, bucket, tmp_path):
    data = os.urandom(13 * 1024 * 1024)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    cos.ok("--part-size", "5MiB", "cp", str(src), "cos://%s/big.bin" % bucket, "--concurrency", "4")
    head = client.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data) and head["ETag"].endswith('-3"')
    cos.ok("cp", "cos://%s/big.bin" % bucket, str(tmp_path / "back.bin"), "--part-size", "5MiB")
    assert hashlib.sha256((tmp_path / "back.bin").read_bytes()).digest() == hashlib.sha256(data).digest()
    assert sorted(os.listdir(tmp_path)) == ["back.bin", "big.bin", "home"]  # no temporary files left


def test_stdin_stdout_streaming_and_cat(cos, client, bucket):
    data = os.urandom(11 * 1024 * 1024 + 17)  # several parts from a pipe
    out = cos.ok("cp", "-", "cos://%s/stream.bin" % bucket, "--part-size", "5MiB", input=data)
    assert out == "upload: - to cos://%s/stream.bin\n" % bucket
    assert client.head_object(Bucket=bucket, Key="stream.bin")["ETag"].endswith('-3"')
    proc = cos("cp", "cos://%s/stream.bin" % bucket, "-", "--part-size", "5MiB")
    assert proc.returncode == 0 and proc.stdout == data
    client.put_object(Bucket=bucket, Key="one.txt", Body=b"one\n")
    client.put_object(Bucket=bucket, Key="two.txt", Body=b"two\n")
    proc = cos("cat", "cos://%s/one.txt" % bucket, "cos://%s/two.txt" % bucket)
    assert proc.returncode == 0 and proc.stdout == b"one\ntwo\n"


def test_ls_objects_prefixes_summary(cos, client, bucket):
    for key, size in (("a.txt", 10), ("dir/b.txt", 2048), ("dir/sub/c.txt", 3 * 1024 * 1024), ("dir2/d", 1)):
        client.put_object(Bucket=bucket, Key=key, Body=b"x" * size)
    lines = cos.ok("ls", "cos://%s" % bucket).splitlines()
    assert [line.split()[-1] for line in lines] == ["dir/", "dir2/", "a.txt"]
    assert lines[0].split() == ["PRE", "dir/"]
    lines = cos.ok("ls", "cos://%s/dir/" % bucket).splitlines()
    assert [line.split()[-1] for line in lines] == ["sub/", "b.txt"]
    out = cos.ok("ls", "-r", "--human-readable", "--summarize", "cos://%s/dir/" % bucket)
    assert "2.0 KiB dir/b.txt" in out and "3.0 MiB dir/sub/c.txt" in out and "dir2" not in out
    assert out.rstrip().endswith("Total Objects: 2\n   Total Size: 3.0 MiB")
    # like aws s3 ls: a prefix without / also matches dir2/
    assert "1 dir2/d" in cos.ok("ls", "-r", "cos://%s/dir" % bucket)
    records = cos.json("ls", "--recursive", "--summarize", "cos://%s" % bucket)
    assert [r["key"] for r in records if r["type"] == "object"] == ["a.txt", "dir/b.txt", "dir/sub/c.txt", "dir2/d"]
    assert records[-1] == {"type": "summary", "objects": 4, "size": 10 + 2048 + 3 * 1024 * 1024 + 1}


def test_head_and_presign(cos, client, bucket):
    client.put_object(Bucket=bucket, Key="p/q.txt", Body=b"presigned!", Metadata={"m": "1"}, ContentType="text/plain")
    head = json.loads(cos.ok("head", "cos://%s/p/q.txt" % bucket))
    assert head["ContentLength"] == 10 and head["Metadata"] == {"m": "1"} and head["ContentType"] == "text/plain"
    assert "ResponseMetadata" not in head
    assert isinstance(cos.json("head", "cos://%s" % bucket)[0], dict)
    url = cos.ok("presign", "cos://%s/p/q.txt" % bucket, "--expires-in", "300").strip()
    assert "X-Amz-Expires=300" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"presigned!"


def test_rm_single_and_recursive_batches(cos, client, bucket, emu):
    for i in range(1005):
        client.put_object(Bucket=bucket, Key="many/%04d" % i, Body=b"")
    client.put_object(Bucket=bucket, Key="keep.txt", Body=b"k")
    client.put_object(Bucket=bucket, Key="single.txt", Body=b"s")
    assert cos.ok("rm", "cos://%s/single.txt" % bucket) == "delete: cos://%s/single.txt\n" % bucket
    counter = emu.faults.delay(0.0, method="POST", query="delete", times=None)  # counts DeleteObjects requests
    out = cos.ok("rm", "--recursive", "--quiet", "cos://%s/many" % bucket)
    assert out == ""
    assert counter.hits == 2  # 1,000 + 5 keys
    assert keys(client, bucket) == ["keep.txt"]


def test_rm_recursive_filters_and_dryrun(cos, client, bucket):
    for key in ("t/a.txt", "t/b.log", "t/c/d.txt"):
        client.put_object(Bucket=bucket, Key=key, Body=b"1")
    out = cos.ok("rm", "-r", "cos://%s/t/" % bucket, "--exclude", "*", "--include", "*.txt", "--dryrun")
    assert out.splitlines() == ["(dryrun) delete: cos://%s/t/a.txt" % bucket, "(dryrun) delete: cos://%s/t/c/d.txt" % bucket]
    assert len(keys(client, bucket)) == 3
    cos.ok("rm", "-r", "cos://%s/t/" % bucket, "--exclude", "*", "--include", "*.txt")
    assert keys(client, bucket) == ["t/b.log"]


def test_recursive_tree_round_trip_nested_unicode(cos, client, bucket, tmp_path):
    src = tmp_path / "src"
    make_tree(src, TREE)
    records = cos.json("cp", "--recursive", str(src), "cos://%s/backup" % bucket)
    assert sorted(r["destination"] for r in records) == sorted("cos://%s/backup/%s" % (bucket, k) for k in TREE)
    assert all(r["action"] == "upload" for r in records)
    assert keys(client, bucket) == sorted("backup/" + k for k in TREE)
    dst = tmp_path / "dst"
    cos.ok("cp", "-r", "cos://%s/backup/" % bucket, str(dst))
    assert read_tree(dst) == TREE
    # prefix to prefix, server side
    cos.ok("cp", "-r", "cos://%s/backup" % bucket, "cos://%s/copy/" % bucket)
    assert keys(client, bucket, "copy/") == sorted("copy/" + k for k in TREE)
    # mv: the sources go once the copies are complete
    moved = tmp_path / "moved"
    cos.ok("mv", "-r", "cos://%s/copy" % bucket, str(moved))
    assert read_tree(moved) == TREE and keys(client, bucket, "copy/") == []
    cos.ok("mv", "-r", str(moved), "cos://%s/again" % bucket)
    assert read_tree(moved) == {} and keys(client, bucket, "again/") == sorted("again/" + k for k in TREE)


def test_include_exclude_order(cos, client, bucket, tmp_path):
    src = tmp_path / "src"
    make_tree(src, TREE)
    cos.ok("cp", "-r", str(src), "cos://%s/f1" % bucket, "--exclude", "*", "--include", "*.txt",
           "--exclude", "a/*")
    assert keys(client, bucket, "f1/") == ["f1/docs/r\u00e9sum\u00e9.txt", "f1/top.txt"]
    # the last matching filter wins: here everything is excluded again
    out = cos.ok("cp", "-r", str(src), "cos://%s/f2" % bucket, "--include", "*.txt", "--exclude", "*")
    assert out == "" and keys(client, bucket, "f2/") == []
    cos.ok("cp", "-r", str(src), "cos://%s/f3" % bucket, "--exclude", "logs/*")
    assert not [k for k in keys(client, bucket, "f3/") if k.startswith("f3/logs/")]
    # filters apply to downloads too, on the path below the prefix
    dst = tmp_path / "dst"
    cos.ok("cp", "-r", "cos://%s/f3" % bucket, str(dst), "--exclude", "*", "--include", "*.md")
    assert read_tree(dst) == {"\u65e5\u672c/\u6587\u66f8 1.md": TREE["\u65e5\u672c/\u6587\u66f8 1.md"]}


def test_sync_upload_twice_then_changes_and_delete(cos, client, bucket, tmp_path, emu):
    src = tmp_path / "src"
    make_tree(src, TREE)
    first = cos.json("sync", str(src), "cos://%s/s" % bucket)
    assert sorted(r["source"] for r in first) == sorted(str(src.joinpath(*k.split("/"))) for k in TREE)
    puts = emu.faults.delay(0.0, method="PUT", times=None)
    assert cos.ok("sync", str(src), "cos://%s/s" % bucket) == ""  # nothing to do
    assert puts.hits == 0
    (src / "top.txt").write_bytes(b"changed size\n")
    (src / "new.txt").write_bytes(b"new")
    os.remove(str(src / "logs" / "app.log"))
    client.put_object(Bucket=bucket, Key="s/logs/remote-only.log", Body=b"r")
    out = cos.ok("sync", str(src), "cos://%s/s" % bucket)
    assert sorted(out.splitlines()) == sorted([
        "upload: %s to cos://%s/s/new.txt" % (src / "new.txt", bucket),
        "upload: %s to cos://%s/s/top.txt" % (src / "top.txt", bucket),
    ])
    dry = cos.ok("sync", str(src), "cos://%s/s" % bucket, "--delete", "--dryrun")
    assert sorted(dry.splitlines()) == ["(dryrun) delete: cos://%s/s/logs/app.log" % bucket,
                                        "(dryrun) delete: cos://%s/s/logs/remote-only.log" % bucket]
    # --delete keeps what the filters exclude
    out = cos.ok("sync", str(src), "cos://%s/s" % bucket, "--delete", "--exclude", "*remote-only*")
    assert out == "delete: cos://%s/s/logs/app.log\n" % bucket
    assert "s/logs/remote-only.log" in keys(client, bucket)
    cos.ok("sync", str(src), "cos://%s/s" % bucket, "--delete")
    assert keys(client, bucket, "s/") == sorted("s/" + rel for rel in read_tree(src))


def test_sync_download_twice_delete_and_checksum(cos, client, bucket, tmp_path, emu):
    for rel, data in TREE.items():
        client.put_object(Bucket=bucket, Key="d/" + rel, Body=data)
    dst = tmp_path / "dst"
    out = cos.ok("sync", "cos://%s/d" % bucket, str(dst))
    assert len(out.splitlines()) == len(TREE) and read_tree(dst) == TREE
    gets = emu.faults.delay(0.0, method="GET", path=r"^/%s/d/." % bucket, times=None)
    assert cos.ok("sync", "cos://%s/d" % bucket, str(dst)) == ""
    assert gets.hits == 0
    (dst / "local-only.txt").write_bytes(b"x")
    client.put_object(Bucket=bucket, Key="d/top.txt", Body=b"a newer, longer version\n")
    out = cos.ok("sync", "cos://%s/d/" % bucket, str(dst), "--delete")
    assert sorted(out.splitlines()) == sorted(["download: cos://%s/d/top.txt to %s" % (bucket, dst / "top.txt"),
                                               "delete: %s" % (dst / "local-only.txt")])
    # --checksum: same size but other content is transferred; equal content is not
    (dst / "a" / "b" / "sibling.json").write_bytes(b'{"k": 2}')
    out = cos.ok("sync", "cos://%s/d" % bucket, str(dst), "--checksum")
    assert out.splitlines() == ["download: cos://%s/d/a/b/sibling.json to %s" % (bucket, dst / "a" / "b" / "sibling.json")]
    assert (dst / "a" / "b" / "sibling.json").read_bytes() == b'{"k": 1}'
    assert cos.ok("sync", str(dst), "cos://%s/d" % bucket, "--checksum") == ""


def test_sync_prefix_to_prefix(cos, client, bucket):
    for rel in ("x/1", "x/2/3"):
        client.put_object(Bucket=bucket, Key=rel, Body=rel.encode())
    client.put_object(Bucket=bucket, Key="y/stale", Body=b"s")
    out = cos.ok("sync", "cos://%s/x" % bucket, "cos://%s/y" % bucket, "--delete")
    assert sorted(out.splitlines()) == sorted(["copy: cos://%s/x/1 to cos://%s/y/1" % (bucket, bucket),
                                               "copy: cos://%s/x/2/3 to cos://%s/y/2/3" % (bucket, bucket),
                                               "delete: cos://%s/y/stale" % bucket])
    assert cos.ok("sync", "cos://%s/x" % bucket, "cos://%s/y" % bucket) == ""
    assert keys(client, bucket, "y/") == ["y/1", "y/2/3"]


def test_retention_options_and_single_mv(cos, client, bucket, tmp_path):
    client.put_bucket_protection_configuration(Bucket=bucket, ProtectionConfiguration={
        "Status": "Retention", "MinimumRetention": {"Days": 1}, "DefaultRetention": {"Days": 1},
        "MaximumRetention": {"Days": 10}})
    src = tmp_path / "kept.txt"
    src.write_bytes(b"keep me")
    out = cos.ok("mv", str(src), "cos://%s/kept.txt" % bucket, "--retention-period", "172800",
                 "--retention-legal-hold-id", "case-1")
    assert out == "move: %s to cos://%s/kept.txt\n" % (src, bucket)
    assert not src.exists()
    head = client.head_object(Bucket=bucket, Key="kept.txt")
    assert head["RetentionPeriod"] == 172800 and head["RetentionLegalHoldCount"] == 1
    # a protected object cannot be deleted: exit 1, the object named, no traceback
    proc = cos("rm", "cos://%s/kept.txt" % bucket)
    assert proc.returncode == 1 and b"cos://%s/kept.txt" % bucket.encode() in proc.stderr
    assert b"Traceback" not in proc.stderr
    # mv of a protected object: copied, but the source stays; the error names the source
    proc = cos("mv", "cos://%s/kept.txt" % bucket, "cos://%s/copy.txt" % bucket)
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("cos: error: cos://%s/kept.txt: access denied" % bucket)
    assert keys(client, bucket) == ["copy.txt", "kept.txt"]


def test_mv_object_to_object(cos, client, bucket):
    client.put_object(Bucket=bucket, Key="from.txt", Body=b"f")
    assert cos.ok("mv", "cos://%s/from.txt" % bucket, "cos://%s/to/" % bucket) == \
        "move: cos://%s/from.txt to cos://%s/to/from.txt\n" % (bucket, bucket)
    assert keys(client, bucket) == ["to/from.txt"]
    assert client.get_object(Bucket=bucket, Key="to/from.txt")["Body"].read() == b"f"


def test_rb_force_empties_versions_and_open_uploads(cos, client):
    name = "cli-ver-" + os.urandom(4).hex()
    client.create_bucket(Bucket=name)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2"):
        client.put_object(Bucket=name, Key="v.txt", Body=body)
    client.delete_object(Bucket=name, Key="v.txt")  # a delete marker
    client.create_multipart_upload(Bucket=name, Key="open.bin")
    assert cos("rb", "cos://" + name).returncode == 1
    cos.ok("rb", "--force", "cos://" + name)
    assert name not in [b["Name"] for b in client.list_buckets()["Buckets"]]
