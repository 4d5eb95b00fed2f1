"""COSFileSystem against the emulator: listing, ranges, errors, cache, batching, transfers,
failed writes and pickling."""
from __future__ import annotations

import errno
import os
import pickle
import subprocess
import sys
import textwrap
import urllib.request

import pytest

pytest.importorskip("fsspec")
pytest.importorskip("moto")

import fsspec  # noqa: E402

from ibm_boto3.fsspec import COSFileSystem  # noqa: E402
from ibm_botocore.exceptions import UnsupportedSignatureVersionError  # noqa: E402
from fsspec_support import fs_options  # noqa: E402

MiB = 1 << 20


def calls(fs, operation):
    """Record the names of ``operation`` calls the filesystem's client makes."""
    seen = []
    fs.client.meta.events.register("before-parameter-build.s3.%s" % operation, lambda params, **kw: seen.append(dict(params)))
    return seen


def open_uploads(fs, bucket):
    return fs.client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def test_entry_point_finds_the_class_without_an_import(emu):
    code = textwrap.dedent("""
        import sys, fsspec
        assert "ibm_boto3" not in sys.modules
        fs = fsspec.filesystem("cos", endpoint_url=sys.argv[1], key=sys.argv[2], secret=sys.argv[3])
        print(type(fs).__module__, type(fs).__name__, fs.ls("", detail=False) is not None)
    """)
    out = subprocess.run([sys.executable, "-c", code, emu.endpoint_url, emu.access_key_id, emu.secret_access_key],
                         capture_output=True, text=True, cwd="/", timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ibm_boto3.fsspec", "COSFileSystem", "True"]


def test_listing_surface(cosfs, bucket):
    for name, data in [("a/1.csv", b"x" * 10), ("a/2.csv", b"y" * 20), ("a/sub/3.txt", b"z"), ("top", b"")]:
        cosfs.pipe("cos://%s/%s" % (bucket, name), data)
    assert cosfs.ls(bucket, detail=False) == ["%s/a" % bucket, "%s/top" % bucket]
    assert cosfs.ls("%s/a" % bucket, detail=False) == ["%s/a/1.csv" % bucket, "%s/a/2.csv" % bucket, "%s/a/sub" % bucket]
    info = cosfs.info("%s/a/2.csv" % bucket)
    assert (info["type"], info["size"], info["name"]) == ("file", 20, "%s/a/2.csv" % bucket)
    assert cosfs.info("%s/a/sub" % bucket)["type"] == "directory"
    assert cosfs.info(bucket)["type"] == "directory"
    assert cosfs.find(bucket) == ["%s/a/1.csv" % bucket, "%s/a/2.csv" % bucket, "%s/a/sub/3.txt" % bucket, "%s/top" % bucket]
    assert cosfs.find(bucket, maxdepth=1) == ["%s/top" % bucket]
    assert cosfs.find("%s/a" % bucket, withdirs=True, maxdepth=1) == [
        "%s/a" % bucket, "%s/a/1.csv" % bucket, "%s/a/2.csv" % bucket, "%s/a/sub" % bucket]
    assert cosfs.glob("cos://%s/a/*.csv" % bucket) == ["%s/a/1.csv" % bucket, "%s/a/2.csv" % bucket]
    assert cosfs.glob("%s/**/*.txt" % bucket) == ["%s/a/sub/3.txt" % bucket]
    assert cosfs.du(bucket) == 31
    assert cosfs.du("%s/a" % bucket, total=False) == {
        "%s/a/1.csv" % bucket: 10, "%s/a/2.csv" % bucket: 20, "%s/a/sub/3.txt" % bucket: 1}
    assert cosfs.exists("%s/a/sub" % bucket) and cosfs.exists("%s/top" % bucket)
    assert not cosfs.exists("%s/a/su" % bucket) and not cosfs.exists("%s/nope" % bucket)
    assert cosfs.isdir("%s/a" % bucket) and not cosfs.isdir("%s/top" % bucket)
    assert cosfs.isfile("%s/top" % bucket)
    assert cosfs.ls("%s/top" % bucket, detail=False) == ["%s/top" % bucket]
    assert bucket in cosfs.ls("", detail=False)


def test_ranges_and_cat(cosfs, bucket):
    path = "%s/r" % bucket
    cosfs.pipe(path, bytes(range(100)))
    assert cosfs.cat_file(path, 10, 13) == bytes([10, 11, 12])
    assert cosfs.cat_file(path, -3) == bytes([97, 98, 99])
    assert cosfs.cat_file(path, 95, 1000) == bytes(range(95, 100))
    assert cosfs.cat_file(path, 200, 300) == b""
    assert cosfs.cat_file(path, 5, -90) == bytes(range(5, 10))
    assert cosfs.cat([path, path + "x"], on_error="omit") == {path: bytes(range(100))}
    assert cosfs.cat_ranges([path, path], [0, 50], [2, 52]) == [b"\x00\x01", b"\x32\x33"]
    assert cosfs.head(path, 4) == bytes(range(4)) and cosfs.tail(path, 2) == b"\x62\x63"


def test_open_rb_random_and_sequential(cosfs, bucket):
    path = "%s/big" % bucket
    blob = os.urandom(5 * MiB + 123)
    cosfs.pipe(path, blob)
    gets = calls(cosfs, "GetObject")
    with cosfs.open(path, "rb", block_size=MiB) as f:
        f.seek(3 * MiB)
        assert f.read(1000) == blob[3 * MiB:3 * MiB + 1000]
        # a random read fetches exactly what was asked for
        assert gets[-1]["Range"] == "bytes=%d-%d" % (3 * MiB, 3 * MiB + 999)
        f.seek(10)
        assert f.read(100) == blob[10:110]
        chunks = [f.read(64 * 1024) for _ in range(40)]
        assert b"".join(chunks) == blob[110:110 + 40 * 64 * 1024]
        f.seek(0)
        assert f.read() == blob
    # sequential reads went through one-block read-ahead ranges carrying the object's ETag
    assert any(g.get("Range", "").endswith("-%d" % (110 + MiB - 1)) for g in gets)
    assert all(g.get("IfMatch") for g in gets)
    # a large range is fetched in parallel block-sized parts
    cosfs2 = COSFileSystem(skip_instance_cache=True, default_block_size=MiB, **cosfs.storage_options)
    gets2 = calls(cosfs2, "GetObject")
    assert cosfs2.cat_file(path, 0, len(blob)) == blob
    assert len(gets2) == 6


def test_open_rb_sees_object_replaced_while_reading(cosfs, bucket):
    path = "%s/changing" % bucket
    cosfs.pipe(path, b"a" * (3 * MiB))
    with cosfs.open(path, "rb", block_size=MiB, cache_type="none") as f:
        assert f.read(10) == b"a" * 10
        cosfs.client.put_object(Bucket=bucket, Key="changing", Body=b"b" * (3 * MiB))
        with pytest.raises(OSError, match="PreconditionFailed"):
            f.read(10)


def test_errors_map_to_python_exceptions(cosfs, bucket, emu):
    with pytest.raises(FileNotFoundError, match="NoSuchKey"):
        cosfs.cat_file("%s/missing" % bucket)
    with pytest.raises(FileNotFoundError):
        cosfs.open("%s/missing" % bucket, "rb")
    with pytest.raises(FileNotFoundError, match="NoSuchBucket"):
        cosfs.ls("no-such-bucket-%s" % bucket)
    with pytest.raises(FileExistsError, match="BucketAlready"):
        cosfs.mkdir(bucket)
    cosfs.pipe("%s/d/f" % bucket, b"1")
    with pytest.raises(IsADirectoryError):
        cosfs.open("%s/d" % bucket, "rb")
    with pytest.raises(IsADirectoryError):
        cosfs.open(bucket, "wb")
    with pytest.raises(FileExistsError):
        cosfs.open("%s/d/f" % bucket, "xb")
    with pytest.raises(OSError) as err:
        cosfs.rmdir(bucket)
    assert err.value.errno == errno.ENOTEMPTY and "BucketNotEmpty" in str(err.value)
    bad = COSFileSystem(skip_instance_cache=True, key=emu.access_key_id, secret="wrong" * 8,
                        endpoint_url=emu.endpoint_url)
    with pytest.raises(PermissionError, match="SignatureDoesNotMatch"):
        bad.cat_file("%s/d/f" % bucket)
    with pytest.raises(PermissionError) as err:
        COSFileSystem(skip_instance_cache=True, key="nobody", secret="x" * 40,
                      endpoint_url=emu.endpoint_url).ls(bucket)
    assert "InvalidAccessKeyId" in str(err.value) and "x" * 40 not in str(err.value)


def test_listing_cache_and_invalidation(cosfs, bucket):
    cosfs.pipe("%s/p/one" % bucket, b"1")
    assert cosfs.ls("%s/p" % bucket, detail=False) == ["%s/p/one" % bucket]
    lists = calls(cosfs, "ListObjectsV2")
    cosfs.client.put_object(Bucket=bucket, Key="p/behind-our-back", Body=b"")
    assert cosfs.ls("%s/p" % bucket, detail=False) == ["%s/p/one" % bucket]  # cached
    assert cosfs.info("%s/p/one" % bucket)["size"] == 1  # from the cached listing
    assert lists == []
    assert len(cosfs.ls("%s/p" % bucket, refresh=True)) == 2
    cosfs.pipe("%s/p/two" % bucket, b"22")  # our own write invalidates
    assert cosfs.ls("%s/p" % bucket, detail=False)[-1] == "%s/p/two" % bucket
    with cosfs.open("%s/p/three" % bucket, "wb") as f:
        f.write(b"333")
    assert "%s/p/three" % bucket in cosfs.ls("%s/p" % bucket, detail=False)
    cosfs.rm("%s/p/one" % bucket)
    assert "%s/p/one" % bucket not in cosfs.ls("%s/p" % bucket, detail=False)
    cosfs.copy("%s/p/two" % bucket, "%s/p/four" % bucket)
    assert "%s/p/four" % bucket in cosfs.ls("%s/p" % bucket, detail=False)
    assert "%s/p" % bucket in cosfs.ls(bucket, detail=False)
    cosfs.rm("%s/p" % bucket, recursive=True)
    assert cosfs.ls(bucket, detail=False) == []


def test_rm_batches_delete_objects(cosfs, bucket):
    keys = ["many/%04d" % i for i in range(1005)]
    for k in keys:
        cosfs.client.put_object(Bucket=bucket, Key=k, Body=b"")
    deletes = calls(cosfs, "DeleteObjects")
    cosfs.rm("%s/many" % bucket, recursive=True)
    assert [len(d["Delete"]["Objects"]) for d in deletes] == [1000, 5]
    assert cosfs.find(bucket) == []


def test_copy_is_server_side_and_mv(cosfs, bucket):
    cosfs.pipe("%s/src/a" % bucket, b"A" * 100)
    cosfs.pipe("%s/src/b/c" % bucket, b"C")
    copies, gets = calls(cosfs, "CopyObject"), calls(cosfs, "GetObject")
    cosfs.copy("%s/src" % bucket, "%s/dst" % bucket, recursive=True)
    assert cosfs.cat("%s/dst/a" % bucket) == b"A" * 100 and cosfs.cat("%s/dst/b/c" % bucket) == b"C"
    assert len(copies) == 2 and len(gets) == 2  # the two cat() calls only
    cosfs.mv("%s/dst/a" % bucket, "%s/moved" % bucket)
    assert not cosfs.exists("%s/dst/a" % bucket) and cosfs.cat("%s/moved" % bucket) == b"A" * 100


def test_put_get_recursive_through_transfer_engine(cosfs, bucket, tmp_path):
    src = tmp_path / "src"
    (src / "deep" / "er").mkdir(parents=True)
    big = os.urandom(20 * MiB + 7)
    (src / "big.bin").write_bytes(big)
    (src / "deep" / "small.txt").write_bytes(b"small")
    (src / "deep" / "er" / "x").write_bytes(b"")
    parts = calls(cosfs, "UploadPart")
    cosfs.put(str(src), "%s/up" % bucket, recursive=True)
    assert len(parts) >= 2  # the big file went multipart through ibm_s3transfer
    assert cosfs.find("%s/up" % bucket) == [
        "%s/up/big.bin" % bucket, "%s/up/deep/er/x" % bucket, "%s/up/deep/small.txt" % bucket]
    dst = tmp_path / "dst"
    ranged = calls(cosfs, "GetObject")
    cosfs.get("%s/up" % bucket, str(dst), recursive=True)
    assert (dst / "big.bin").read_bytes() == big
    assert (dst / "deep" / "small.txt").read_bytes() == b"small"
    assert (dst / "deep" / "er" / "x").read_bytes() == b""
    assert any("Range" in g for g in ranged)
    progress = []

    class Recorder(fsspec.callbacks.Callback):
        def call(self, *args, **kwargs):
            progress.append(self.value)

    cosfs.get_file("%s/up/big.bin" % bucket, str(tmp_path / "one"), callback=Recorder())
    assert progress[-1] == len(big)


def test_modified_checksum_ukey(cosfs, bucket):
    path = "%s/m" % bucket
    cosfs.pipe(path, b"one")
    first = (cosfs.checksum(path), cosfs.ukey(path))
    assert cosfs.modified(path).tzinfo is not None
    assert cosfs.checksum(path) == first[0]
    cosfs.pipe(path, b"two")
    assert cosfs.checksum(path) != first[0] and cosfs.ukey(path) != first[1]
    with pytest.raises(IsADirectoryError):
        cosfs.modified(bucket)


def test_sign_presigned_url(emu, bucket, cosfs):
    cosfs.pipe("%s/signed" % bucket, b"presigned bytes")
    hmac_fs = COSFileSystem(skip_instance_cache=True, **fs_options(emu, "hmac"))
    url = hmac_fs.sign("cos://%s/signed" % bucket, expiration=60)
    assert "signed" in url
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"presigned bytes"
    with pytest.raises(UnsupportedSignatureVersionError, match="HMAC"):
        cosfs.sign("%s/signed" % bucket)  # bearer tokens cannot presign


def test_buckets_mkdir_rmdir(cosfs, bucket):
    name = bucket + "-2"
    assert not cosfs.exists(name)
    cosfs.makedirs("%s/a/b" % name)
    assert cosfs.isdir(name) and name in cosfs.ls("", detail=False)
    cosfs.makedirs(name, exist_ok=True)
    with pytest.raises(FileExistsError):
        cosfs.makedirs(name)
    cosfs.rmdir(name)
    assert not cosfs.exists(name) and name not in cosfs.ls("", detail=False)


def test_write_streams_multipart_parts(cosfs, bucket):
    path = "%s/stream" % bucket
    creates, parts, puts = calls(cosfs, "CreateMultipartUpload"), calls(cosfs, "UploadPart"), calls(cosfs, "PutObject")
    blob = os.urandom(13 * MiB + 5)
    with cosfs.open(path, "wb", block_size=5 * MiB) as f:
        for i in range(0, len(blob), 700_000):
            f.write(blob[i:i + 700_000])
        assert len(parts) >= 1  # parts go out while writing, not at close
    assert cosfs.cat(path) == blob
    assert len(creates) == 1 and [p["PartNumber"] for p in parts] == [1, 2, 3] and puts == []
    with cosfs.open("%s/small" % bucket, "wb") as f:
        f.write(b"tiny")
    assert cosfs.cat("%s/small" % bucket) == b"tiny" and len(puts) == 1 and len(creates) == 1
    assert open_uploads(cosfs, bucket) == []


def test_failed_write_leaves_no_object_and_no_upload(cosfs, bucket, emu):
    path = "%s/fails" % bucket
    # config_kwargs reach ibm_botocore.client.Config: no retries, so the failure is quick
    fs = COSFileSystem(skip_instance_cache=True, config_kwargs={"retries": {"max_attempts": 1}},
                       **cosfs.storage_options)
    emu.faults.error(500, "InternalError", method="PUT", query="partNumber", times=None)
    with pytest.raises(OSError, match="InternalError"):
        with fs.open(path, "wb", block_size=5 * MiB) as f:
            for _ in range(12):
                f.write(b"x" * MiB)
    emu.faults.clear()
    assert not cosfs.exists(path) and open_uploads(cosfs, bucket) == []


def test_exception_inside_with_aborts_the_upload(cosfs, bucket):
    path = "%s/abandoned" % bucket
    with pytest.raises(RuntimeError):
        with cosfs.open(path, "wb", block_size=5 * MiB) as f:
            f.write(b"y" * (11 * MiB))
            assert len(open_uploads(cosfs, bucket)) == 1
            raise RuntimeError("stop")
    assert not cosfs.exists(path) and open_uploads(cosfs, bucket) == []
    f = cosfs.open("%s/dropped" % bucket, "wb", block_size=5 * MiB)
    f.write(b"z" * (6 * MiB))
    del f  # dropped without close: aborted, not completed
    assert not cosfs.exists("%s/dropped" % bucket) and open_uploads(cosfs, bucket) == []


def test_transaction_commits_or_discards(cosfs, bucket):
    with cosfs.transaction:
        with cosfs.open("%s/t1" % bucket, "wb", block_size=5 * MiB) as f:
            f.write(b"t" * (7 * MiB))
        assert not cosfs.exists("%s/t1" % bucket)
    assert cosfs.info("%s/t1" % bucket)["size"] == 7 * MiB
    with pytest.raises(ValueError):
        with cosfs.transaction:
            with cosfs.open("%s/t2" % bucket, "wb", block_size=5 * MiB) as f:
                f.write(b"t" * (7 * MiB))
            raise ValueError("roll back")
    assert not cosfs.exists("%s/t2" % bucket) and open_uploads(cosfs, bucket) == []


def test_pickles_without_client_and_hides_secrets(storage_options, bucket):
    fs = COSFileSystem(skip_instance_cache=True, **storage_options)
    fs.pipe("%s/p" % bucket, b"pickled")
    fs.ls(bucket)  # a client and an IAM token exist in this process...
    blob = pickle.dumps(fs)
    clone = pickle.loads(blob)
    assert clone.cat("%s/p" % bucket) == b"pickled"
    # ...and another process builds its own from the constructor arguments alone
    code = "import pickle, sys; fs = pickle.loads(sys.stdin.buffer.read()); print(fs._conn._client is None, fs.cat(sys.argv[1]))"
    out = subprocess.run([sys.executable, "-c", code, "%s/p" % bucket], input=blob, capture_output=True, cwd="/",
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().split() == ["True", "b'pickled'"]
    assert storage_options["api_key"] not in repr(fs)
    with fs.open("%s/p" % bucket, "rb") as f:
        g = pickle.loads(pickle.dumps(f))
        assert g.read() == b"pickled"


def test_rss_bounded_while_writing_200_mib(emu, bucket):
    """200 MiB through open("wb") in a fresh process grows its peak RSS by less than 64 MiB."""
    script = textwrap.dedent("""
        import json, resource, sys
        import fsspec
        opts = json.loads(sys.argv[1])
        fs = fsspec.filesystem("cos", **opts)
        chunk = b"r" * (1 << 20)
        with fs.open(sys.argv[2] + "/warm", "wb") as f:
            f.write(chunk)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with fs.open(sys.argv[2] + "/rss", "wb") as f:
            for _ in range(200):
                f.write(chunk)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((peak - base) // 1024, fs.info(sys.argv[2] + "/rss")["size"])
    """)
    import json

    out = subprocess.run([sys.executable, "-c", script, json.dumps(fs_options(emu)), bucket],
                         capture_output=True, text=True, cwd="/", timeout=600)
    assert out.returncode == 0, out.stderr
    growth_mib, size = map(int, out.stdout.split())
    assert size == 200 * MiB
    assert growth_mib < 64, "peak RSS grew by %d MiB" % growth_mib


def test_read_buffer_hands_over_exact_ranges(cosfs, bucket):
    path = "%s/rb" % bucket
    blob = os.urandom(3 * MiB)
    cosfs.pipe(path, blob)
    with cosfs.open(path, "rb", block_size=MiB) as f:
        first = f.read_buffer(2 * MiB)  # fetched for exactly these bytes: no copy
        assert isinstance(first, memoryview) and first == blob[:2 * MiB]
        assert f.tell() == 2 * MiB
        rest = f.read_buffer()
        assert bytes(rest) == blob[2 * MiB:] and f.read_buffer() == b""
        f.seek(10)
        assert bytes(f.read_buffer(5)) + f.read(5) == blob[10:20]
