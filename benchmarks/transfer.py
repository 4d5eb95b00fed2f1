"""Transfer benchmark: 1 GiB upload_file / download_file, ours vs ibm-cos-sdk 2.16.2.

::

    python benchmarks/transfer.py                                  # ours only
    python benchmarks/transfer.py --ibm-python /work/venv-ibm/bin/python
    python benchmarks/transfer.py --backend emulator --size 256MiB --rounds 1

A file of ``--size`` random bytes is generated in a temporary directory. Every
measured transfer runs in a fresh process (``transfer_worker.py``, isolated mode,
from a scratch directory), with default client and TransferConfig settings, and
reports its wall time, the CPU seconds of the client process during the transfer
(``getrusage``, user + system) and the process's peak RSS. The sides alternate --
ours, theirs, ours, theirs -- for each operation of each round, so drift of the
machine hits both alike; the table shows medians and the ratio ours/theirs next to
the targets of issue 6.

Backends:

``responder`` (default)
    ``transfer_responder.py`` in its own process: a lean HTTP/1.1 S3 responder that
    discards uploads and serves a synthetic object described like a multipart upload
    with CRC32 checksums (so our downloads verify a composite checksum on every run).
``emulator``
    ``python -m ibm_cos_emulator`` (moto's S3 engine behind the COS layer): real
    storage, so downloaded files are compared with the source. Much slower server.
``moto``
    moto's ThreadedMotoServer in a subprocess; real storage as well.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORKER = os.path.join(HERE, "transfer_worker.py")
RESPONDER = os.path.join(HERE, "transfer_responder.py")

TARGETS = {
    # op: (max cpu ratio, min throughput ratio)
    "upload": (0.5, 2.0),
    "download": (0.6, 1.0),
    # an object without stored checksums (key "plain-object"): ours checks its ETag (MD5 of
    # the part MD5s) or not; ibm-cos-sdk checks nothing either way
    "download-etag": (1.0, 1.5),
    "download-noetag": (0.6, 1.0),
}
ETAG_OPS = {"download-etag": "on", "download-noetag": "off"}


def parse_size(text):
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([kmgKMG]?)(i?[bB]?)\s*$", text)
    if not match:
        raise argparse.ArgumentTypeError("bad size %r" % text)
    number = float(match.group(1))
    unit = match.group(2).lower()
    factor = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit]
    return int(number * factor)


def generate(path, size):
    block = 8 * 1024 * 1024
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(block, left)
            f.write(os.urandom(n))
            left -= n


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(8 * 1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Server:
    """A backend process with an endpoint URL."""

    def __init__(self, kind, size, workdir, python, tls=False):
        self.kind = kind
        self.ca_file = None
        self.access_key = "bench-access-key"
        self.secret_key = "bench-secret-key"
        if kind == "responder":
            cmd = [python, RESPONDER, "--port", "0", "--object-size", str(size)]
            if tls:
                self.ca_file, key_file = make_certificate(workdir)
                cmd += ["--tls-cert", self.ca_file, "--tls-key", key_file]
        elif kind == "emulator":
            cmd = [python, "-m", "ibm_cos_emulator", "--port", "0", "--hmac", "%s:%s" % (self.access_key, self.secret_key)]
        else:
            code = (
                "import socket, sys\n"
                "from moto.server import ThreadedMotoServer\n"
                "probe = socket.socket(); probe.bind(('127.0.0.1', 0)); port = probe.getsockname()[1]; probe.close()\n"
                "s = ThreadedMotoServer(ip_address='127.0.0.1', port=port, verbose=False)\n"
                "s.start()\n"
                "print('PORT %d' % port, flush=True)\n"
                "sys.stdin.read()\n"
            )
            cmd = [python, "-c", code]
        env = dict(os.environ)
        env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=workdir, env=env,
            universal_newlines=True,
        )
        self.port = None
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            match = re.search(r"PORT (\d+)|127\.0\.0\.1:([1-9]\d*)", line)
            if match:
                self.port = int(match.group(1) or match.group(2))
                break
        if self.port is None:
            self.stop()
            raise RuntimeError("%s did not start" % kind)
        self.endpoint = "%s://127.0.0.1:%d" % ("https" if self.ca_file else "http", self.port)

    def stop(self):
        try:
            self.proc.stdin.close()
        except Exception:
            pass
        try:
            self.proc.terminate()
            self.proc.wait(10)
        except Exception:
            self.proc.kill()


def make_certificate(workdir):
    """A throw-away self-signed certificate for 127.0.0.1 (``openssl`` command line)."""
    cert, key = os.path.join(workdir, "tls-cert.pem"), os.path.join(workdir, "tls-key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return cert, key


def run_worker(python, op, server, path, key, repo, scratch, profile=None):
    etag = ETAG_OPS.get(op)
    if etag is not None:
        op, key = "download", "plain-" + key
    cmd = [python, "-I", WORKER, "--op", op, "--endpoint", server.endpoint, "--key", key, "--file", path,
           "--access-key", server.access_key, "--secret-key", server.secret_key]
    if etag is not None:
        cmd += ["--verify-etag", etag]
    if repo:
        cmd += ["--repo", repo]
    if profile:
        cmd += ["--profile", profile]
    if server.ca_file:
        cmd += ["--verify", server.ca_file]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IBM_"))}
    env["HOME"] = scratch
    proc = subprocess.run(cmd, cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError("worker failed (%s %s):\n%s\n%s" % (python, op, proc.stdout, proc.stderr))


def prime_page_cache(workdir, size):
    """Write and delete a file as large as the download, just before each download.

    On a VM whose freed memory goes back to the host (virtio-balloon free page
    reporting), writing a file into fresh page-cache pages costs several times more
    CPU than into recently freed ones, and which one a run gets depends on what ran
    before it. Every measured download gets the same prelude, so both sides write into
    the same kind of memory.
    """
    path = os.path.join(workdir, "prime.bin")
    block = b"\0" * (8 * 1024 * 1024)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
    os.remove(path)


def sync_disk():
    try:
        os.sync()
    except AttributeError:
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description="1 GiB upload/download benchmark, ours vs ibm-cos-sdk")
    parser.add_argument("--size", type=parse_size, default=parse_size("1GiB"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ops", default="upload,download,download-etag,download-noetag",
                        help="upload, download, and (responder only) download-etag / download-noetag: an object "
                             "without stored checksums, downloaded with and without our ETag check")
    parser.add_argument("--ours-python", default=sys.executable)
    parser.add_argument("--ibm-python", default=os.environ.get("IBM_COS_SDK_PYTHON"))
    parser.add_argument("--backend", choices=("responder", "emulator", "moto"), default="responder")
    parser.add_argument("--tmpdir", default=None, help="where to put the generated file (default: system temp)")
    parser.add_argument("--json", default=None, help="write every sample and the medians here")
    parser.add_argument("--profile", default=None, help="cProfile our side's last run of each op into DIR")
    parser.add_argument("--quick", action="store_true", help="32 MiB, one round (smoke run)")
    parser.add_argument("--no-prime", action="store_true", help="do not write+delete a file before each download")
    parser.add_argument("--tls", action="store_true",
                        help="https to the responder (self-signed certificate made with the openssl command)")
    args = parser.parse_args(argv)
    if args.tls and args.backend != "responder":
        parser.error("--tls works with the responder backend only")
    if args.quick:
        args.size = min(args.size, 32 * 1024 * 1024)
        args.rounds = 1
    ops = [op.strip() for op in args.ops.split(",") if op.strip()]
    if args.backend != "responder":
        ops = [op for op in ops if op not in ETAG_OPS]
    sides = [("ours", args.ours_python, REPO)]
    if args.ibm_python:
        sides.append(("ibm-cos-sdk", args.ibm_python, None))

    workdir = tempfile.mkdtemp(prefix="transfer-bench-", dir=args.tmpdir)
    scratch = os.path.join(workdir, "scratch")
    os.mkdir(scratch)
    source = os.path.join(workdir, "source.bin")
    server = None
    samples = {side: {op: [] for op in ops} for side, _, _ in sides}
    try:
        print("generating %d bytes in %s ..." % (args.size, workdir), flush=True)
        generate(source, args.size)
        source_sha = file_sha256(source) if args.backend != "responder" else None
        server = Server(args.backend, args.size, workdir, args.ours_python, tls=args.tls)
        print("backend %s at %s" % (args.backend, server.endpoint), flush=True)
        setup_client(server)
        key = "bench-object"
        if "download" in ops and "upload" not in ops and args.backend != "responder":
            run_worker(args.ours_python, "upload", server, source, key, REPO, scratch)
        for round_no in range(1, args.rounds + 1):
            for op in ops:
                for side, python, repo in sides:
                    target = source if op == "upload" else os.path.join(workdir, "download-%s.bin" % side.replace("-", ""))
                    sync_disk()
                    if op.startswith("download") and not args.no_prime:
                        prime_page_cache(workdir, args.size)
                    profile = None
                    if args.profile and side == "ours" and round_no == args.rounds:
                        os.makedirs(args.profile, exist_ok=True)
                        profile = os.path.join(args.profile, "%s.prof" % op)
                    result = run_worker(python, op, server, target, key, repo, scratch, profile)
                    if op.startswith("download"):
                        ok = os.path.getsize(target) == args.size
                        if source_sha is not None:
                            ok = ok and file_sha256(target) == source_sha
                        result["verified"] = ok
                        os.remove(target)
                        if not ok:
                            raise RuntimeError("%s download produced a wrong file" % side)
                    samples[side][op].append(result)
                    gib = result["bytes"] / float(1 << 30)
                    print(
                        "round %d %-15s %-11s %8.0f MB/s %6.2f CPU-s/GiB (user %.2f sys %.2f) peak RSS %6.1f MB"
                        % (round_no, op, side, result["bytes"] / result["wall_s"] / 1e6, result["cpu_s"] / gib,
                           result["user_s"] / gib, result["sys_s"] / gib, result["peak_rss_kib"] / 1024.0),
                        flush=True,
                    )
        report(samples, ops, sides, args)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def setup_client(server):
    """Create the bucket (real backends only)."""
    if server.kind == "responder":
        return
    sys.path.insert(0, REPO)
    import ibm_boto3

    client = ibm_boto3.client("s3", aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
                              endpoint_url=server.endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="bucket")


def medians(results):
    gib = [r["bytes"] / float(1 << 30) for r in results]
    return {
        "MB/s": statistics.median(r["bytes"] / r["wall_s"] / 1e6 for r in results),
        "CPU-s/GiB": statistics.median(r["cpu_s"] / g for r, g in zip(results, gib)),
        "peak RSS MB": statistics.median(r["peak_rss_kib"] / 1024.0 for r in results),
    }


def report(samples, ops, sides, args):
    names = [side for side, _, _ in sides]
    table = {side: {op: medians(samples[side][op]) for op in ops} for side in names}
    print()
    print("medians over %d round(s), %d bytes, backend %s%s" % (args.rounds, args.size, args.backend, " (https)" if args.tls else ""))
    header = "%-15s %-24s" % ("op", "figure") + "".join("%14s" % n for n in names)
    if len(names) == 2:
        header += "%14s%10s%8s" % ("ours/theirs", "target", "")
    print(header)
    verdicts = []
    for op in ops:
        for figure in ("MB/s", "CPU-s/GiB", "peak RSS MB"):
            line = "%-15s %-24s" % (op, figure) + "".join("%14.2f" % table[n][op][figure] for n in names)
            if len(names) == 2:
                ratio = table["ours"][op][figure] / table[names[1]][op][figure]
                cpu_max, speed_min = TARGETS[op]
                if figure == "MB/s":
                    target, ok = ">= %.1fx" % speed_min if speed_min > 1 else "> 1.0x", ratio >= speed_min if speed_min > 1 else ratio > 1.0
                elif figure == "CPU-s/GiB":
                    target, ok = "<= %.1fx" % cpu_max, ratio <= cpu_max
                else:
                    target, ok = "<= 1.0x", ratio <= 1.0
                verdicts.append(ok)
                line += "%14.2f%10s%8s" % (ratio, target, "PASS" if ok else "MISS")
            print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"size": args.size, "backend": args.backend, "rounds": args.rounds, "samples": samples, "medians": table}, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
