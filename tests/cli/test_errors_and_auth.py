"""Exit codes, one-line errors, credentials from every source, the emulator command, the missing
[cli] extra, and progress bars only on a terminal."""
from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time

from cli_support import REPO, TREE, keys, make_tree


def _one_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8")
    assert "Traceback" not in text
    return text


def test_usage_errors_exit_2(cos, bucket, tmp_path):
    cases = [
        ("frobnicate",),                               # unknown command
        ("cp", "only-one-arg"),                         # missing argument
        ("cp", "a.txt", "b.txt"),                       # no cos:// side
        ("cp", "ftp://host/x", "cos://%s/x" % bucket),  # unknown scheme
        ("ls", "cos:///key"),                           # no bucket
        ("cp", "-r", "-", "cos://%s/x" % bucket),       # stdin with --recursive
        ("ls", "--concurrency", "0"),
        ("--part-size", "lots", "ls"),
        ("rm", "cos://%s/prefix/" % bucket),             # a prefix without --recursive
        ("cp", str(tmp_path), "cos://%s/x" % bucket),  # a directory without --recursive
        ("cp", "cos://%s/a" % bucket, "x", "--exclude", "*"),  # filters without --recursive
        ("presign", "cos://%s/k" % bucket, "--expires-in", "0"),
    ]
    for args in cases:
        proc = cos(*args)
        assert proc.returncode == 2, (args, proc.returncode, proc.stderr)
        assert b"error" in proc.stderr and b"Traceback" not in proc.stderr, args
    assert cos().returncode == 2  # no command: help on stdout, status 2


def test_failures_exit_1_with_one_line(cos, bucket, tmp_path):
    proc = cos("ls", "cos://no-such-bucket-here")
    assert proc.returncode == 1
    assert _one_line(proc.stderr) == "cos: error: cos://no-such-bucket-here/: the bucket does not exist (NoSuchBucket)\n"
    proc = cos("cp", "cos://%s/missing.txt" % bucket, str(tmp_path / "m.txt"))
    assert proc.returncode == 1 and "cos://%s/missing.txt" % bucket in _one_line(proc.stderr)
    assert not (tmp_path / "m.txt").exists()
    proc = cos("cp", str(tmp_path / "nope.txt"), "cos://%s/x" % bucket)
    assert proc.returncode == 1 and "nope.txt: no such file" in _one_line(proc.stderr)
    # wrong secret key: a clear message, not a traceback
    proc = cos("ls", "cos://" + bucket, env={"AWS_SECRET_ACCESS_KEY": "wrong-secret"})
    assert proc.returncode == 1 and "SignatureDoesNotMatch" in _one_line(proc.stderr)
    assert b"wrong-secret" not in proc.stderr
    # --debug shows the traceback
    proc = cos("--debug", "ls", "cos://no-such-bucket-here")
    assert proc.returncode == 1 and b"Traceback" in proc.stderr


def test_missing_credentials(cos):
    proc = cos("ls", env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None})
    assert proc.returncode == 1
    text = _one_line(proc.stderr)
    assert text.startswith("cos: error: no credentials found") and len(text.splitlines()) == 1


def test_some_items_failed_exit_1_each_named(cos, client, bucket, tmp_path, emu):
    for rel in ("ok/1.txt", "ok/2.txt", "bad/3.txt"):
        client.put_object(Bucket=bucket, Key="t/" + rel, Body=rel.encode())
    emu.faults.error(403, "AccessDenied", "Access Denied", method="GET", path=r"/t/bad/", times=None)
    emu.faults.error(403, "AccessDenied", "Access Denied", method="HEAD", path=r"/t/bad/", times=None)
    dst = tmp_path / "dst"
    proc = cos("cp", "-r", "cos://%s/t" % bucket, str(dst))
    assert proc.returncode == 1
    err = _one_line(proc.stderr).splitlines()
    assert len(err) == 1
    assert err[0].startswith("cos: error: cos://%s/t/bad/3.txt: download failed: access denied" % bucket)
    assert sorted(proc.stdout.decode().splitlines()) == sorted(
        "download: cos://%s/t/%s to %s" % (bucket, rel, dst.joinpath(*rel.split("/"))) for rel in ("ok/1.txt", "ok/2.txt"))
    assert sorted(os.listdir(str(dst / "ok"))) == ["1.txt", "2.txt"]
    assert os.listdir(str(dst / "bad")) == []  # nothing partial for the failed one


def test_an_api_key_that_starts_with_a_dash(cos, emu, bucket, client):
    # IBM API keys use the URL-safe base64 alphabet: "-" is a first character like any other
    client.put_object(Bucket=bucket, Key="k", Body=b"v")
    key = "-dashFirst_" + "x" * 33
    emu.add_api_key(key)
    no_hmac = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}
    out = cos.ok("ls", "cos://" + bucket, "--api-key", key, "--auth-endpoint", emu.auth_endpoint, env=no_hmac)
    assert out.split()[-1] == "k"
    out = cos.ok("--api-key", key, "--auth-endpoint", emu.auth_endpoint, "cat", "cos://%s/k" % bucket, env=no_hmac)
    assert out == "v"
    # an abbreviation argparse accepts (a prefix of no other option) takes such a value too
    out = cos.ok("--api", key, "--auth-endpoint", emu.auth_endpoint, "cat", "cos://%s/k" % bucket, env=no_hmac)
    assert out == "v"
    proc = cos("ls", "cos://" + bucket, "--api-key", env=no_hmac)
    assert proc.returncode == 2 and "--api-key: expected one argument" in _one_line(proc.stderr)


def test_api_key_and_credential_files(cos, emu, bucket, client):
    client.put_object(Bucket=bucket, Key="k", Body=b"v")
    no_hmac = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}
    # --api-key with the emulator's IAM endpoint (token exchange, bearer auth)
    out = cos.ok("ls", "cos://" + bucket, "--api-key", emu.api_key, "--instance-id", emu.instance_id,
                 "--auth-endpoint", emu.auth_endpoint, env=no_hmac)
    assert out.split()[-1] == "k"
    # the same from the environment
    env = dict(no_hmac, IBM_API_KEY_ID=emu.api_key, IBM_SERVICE_INSTANCE_ID=emu.instance_id,
               IBM_AUTH_ENDPOINT=emu.auth_endpoint)
    assert cos.ok("cat", "cos://%s/k" % bucket, env=env) == "v"
    # ~/.bluemix/cos_credentials (its HMAC keys win)
    os.makedirs(os.path.join(cos.home, ".bluemix"))
    with open(os.path.join(cos.home, ".bluemix", "cos_credentials"), "w") as fh:
        json.dump(emu.cos_credentials(), fh)
    assert cos.ok("cat", "cos://%s/k" % bucket, env=no_hmac) == "v"
    os.remove(os.path.join(cos.home, ".bluemix", "cos_credentials"))
    # ~/.aws/credentials with --profile (given after the command)
    os.makedirs(os.path.join(cos.home, ".aws"))
    with open(os.path.join(cos.home, ".aws", "credentials"), "w") as fh:
        fh.write("[work]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                 % (emu.access_key_id, emu.secret_access_key))
    assert cos.ok("cat", "cos://%s/k" % bucket, "--profile", "work", env=no_hmac) == "v"
    proc = cos("ls", "--profile", "nobody", env=no_hmac)
    assert proc.returncode == 1 and "nobody" in _one_line(proc.stderr)
    # an explicit --endpoint-url wins over the environment
    out = cos.ok("--endpoint-url", emu.endpoint_url, "cat", "cos://%s/k" % bucket,
                 env={"COS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert out == "v"
    # an API key cannot presign: one clear line
    proc = cos("presign", "cos://%s/k" % bucket, env=env)
    assert proc.returncode == 1 and "HMAC" in _one_line(proc.stderr)


def test_emulator_command_prints_endpoint_and_credentials(cos, tmp_path):
    proc = subprocess.Popen(cos.command("emulator", "--json"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=cos.env, cwd=cos.home)
    try:
        info = json.loads(proc.stdout.readline())
        for field in ("endpoint_url", "access_key_id", "secret_access_key", "api_key", "instance_id", "auth_endpoint"):
            assert info[field]
        env = {"COS_ENDPOINT_URL": info["endpoint_url"], "AWS_ACCESS_KEY_ID": info["access_key_id"],
               "AWS_SECRET_ACCESS_KEY": info["secret_access_key"]}
        assert cos.ok("mb", "cos://from-emulator-cmd", env=env) == "make_bucket: from-emulator-cmd\n"
        assert "from-emulator-cmd" in cos.ok("ls", env=env)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    with socket.socket() as taken:  # a port it cannot bind
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        proc = cos("emulator", "--port", str(taken.getsockname()[1]), timeout=60)
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr and b"error" in proc.stderr


def test_missing_cli_extra_message(cos):
    code = ("import sys; sys.modules['rich'] = None\n"
            "from ibm_boto3.cli import main\n"
            "sys.exit(main(['ls']))\n")
    proc = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=cos.env, cwd=cos.home, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.decode() == ("cos: error: the command line needs the optional [cli] extra, which is not "
                                    "installed (missing: rich). Install it with: pip install 'ibm-cos-sdk[cli]'\n")


def _run_on_tty(cos, args, timeout=60):
    """Run cos with stderr on a pseudo-terminal; (status, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(cos.command(*args), stdout=subprocess.PIPE, stderr=slave, env=cos.env, cwd=cos.home)
    os.close(slave)
    shown = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    out = proc.stdout.read()
    return proc.wait(10), out, shown


def test_progress_only_on_a_terminal(cos, bucket, tmp_path, emu, client):
    src = tmp_path / "src"
    make_tree(src, TREE)
    emu.faults.delay(0.6, method="PUT", times=3)  # long enough for the bar to be drawn
    status, out, shown = _run_on_tty(cos, ["cp", "-r", str(src), "cos://%s/p" % bucket])
    assert status == 0
    assert b"upload" in shown and b"files" in shown and b"\x1b[" in shown  # a rich bar: escape codes
    assert len(out.splitlines()) == len(TREE)  # stdout (a pipe) has the plain lines only
    # not a terminal: no bar, no escape codes
    proc = cos("cp", "-r", str(src), "cos://%s/q" % bucket)
    assert proc.returncode == 0 and proc.stderr == b""
    # a terminal, but --no-progress
    status, out, shown = _run_on_tty(cos, ["cp", "-r", str(src), "cos://%s/r" % bucket, "--no-progress"])
    assert status == 0 and shown == b""
    assert keys(client, bucket, "r/") == sorted("r/" + k for k in TREE)


def test_recursive_upload_to_missing_bucket_or_dead_endpoint_fails_once(cos, tmp_path):
    src = tmp_path / "src"
    make_tree(src, TREE)
    proc = cos("cp", "-r", str(src), "cos://no-such-bucket-cli/x")
    assert proc.returncode == 1
    assert _one_line(proc.stderr) == "cos: error: cos://no-such-bucket-cli/x: the bucket does not exist (NoSuchBucket)\n"
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead = "http://127.0.0.1:%d" % unused.getsockname()[1]
    proc = cos("cp", "-r", str(src), "cos://bucket/x", "--endpoint-url", dead, env={"AWS_MAX_ATTEMPTS": "1"})
    assert proc.returncode == 1
    lines = _one_line(proc.stderr).splitlines()
    assert len(lines) == 1 and "Could not connect to the endpoint URL" in lines[0]
