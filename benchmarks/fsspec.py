"""cos:// (ours, ``ibm_boto3.fsspec``) vs s3fs on the same local server, side by side.

::

    python benchmarks/fsspec.py --s3fs-python /path/to/venv-with-s3fs/bin/python
    S3FS_PYTHON=/path/to/python python benchmarks/fsspec.py --rounds 3
    python benchmarks/fsspec.py --quick              # ours only, tiny sizes (the CI smoke run)

Workloads (each measured in a fresh process, ``fsspec_worker.py``, with each library's
default settings and HMAC keys):

``list``         ``fs.ls()`` of a prefix holding ``--keys`` (10,000) keys, cache dropped first
``read_seq``     ``open("rb")`` of a ``--size`` (1 GiB) object, read in 1 MiB ``read()`` calls
``read_random``  the same object, ``--ranges`` (200) ``seek()`` + ``read(1 MiB)`` at random offsets
``write``        ``open("wb")`` of ``--size`` bytes written in 1 MiB ``write()`` calls
``parquet``      ``pandas.read_parquet()`` (PyArrow engine) of a ``--parquet-size`` (256 MiB) file

The server is ``transfer_responder.py`` in its own processes (its CPU is not charged to the
client): one serving a synthetic object and a 10,000-key listing, one serving a real Parquet
file generated here. The sides alternate for every workload of every round; the table shows
medians, ratios ours/s3fs and the targets of issue 16 (reads and writes: >= 1.5x s3fs's
throughput and <= 0.5x its client CPU; listing at least as fast).
"""
import argparse
import json
import os
import shutil
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "fsspec_worker.py")
RESPONDER = os.path.join(HERE, "transfer_responder.py")
MiB = 1 << 20
WORKLOADS = ["list", "read_seq", "read_random", "write", "parquet"]
THROUGHPUT = {"read_seq", "read_random", "write", "parquet"}


class Responder:
    def __init__(self, python, *args):
        self.proc = subprocess.Popen([python, RESPONDER, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     universal_newlines=True)
        line = self.proc.stdout.readline()
        match = re.match(r"PORT (\d+)", line)
        if not match:
            self.stop()
            raise RuntimeError("responder did not start: %r" % line)
        self.endpoint = "http://127.0.0.1:%s" % match.group(1)

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(10)
        except Exception:
            self.proc.kill()


def make_parquet(path, size):
    """A Parquet file of about ``size`` bytes: float64/int64 columns of random values."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = max(1000, size // 32)
    rng = np.random.default_rng(16)
    table = pa.table({"a": rng.random(rows), "b": rng.random(rows), "c": rng.integers(0, 1 << 62, rows),
                      "d": rng.random(rows)})
    pq.write_table(table, path, compression="none", row_group_size=max(1000, rows // 8))
    return os.path.getsize(path)


def run_worker(python, side, workload, endpoint, args, scratch):
    cmd = [python, "-I", WORKER, "--side", side, "--workload", workload, "--endpoint", endpoint,
           "--size", str(args.size), "--ranges", str(args.ranges)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IBM_", "COS_"))}
    env["HOME"] = scratch
    proc = subprocess.run(cmd, cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError("%s %s failed:\n%s" % (side, workload, proc.stderr[-3000:]))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def figure(workload, sample):
    """(rate, cpu): MB/s or keys/s, and CPU seconds per GiB or per 10,000 keys."""
    if workload == "list":
        return sample["moved"] / sample["wall"], sample["cpu"] * 10000 / sample["moved"]
    return sample["moved"] / MiB / sample["wall"], sample["cpu"] * (1 << 30) / sample["moved"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ours-python", default=sys.executable)
    parser.add_argument("--s3fs-python", default=os.environ.get("S3FS_PYTHON"),
                        help="interpreter with s3fs (+ pandas, pyarrow); default $S3FS_PYTHON, else ours only")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--size", type=int, default=1 << 30, help="object read / bytes written (default 1 GiB)")
    parser.add_argument("--keys", type=int, default=10000)
    parser.add_argument("--ranges", type=int, default=200)
    parser.add_argument("--parquet-size", type=int, default=256 * MiB)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round (smoke run)")
    parser.add_argument("--json", help="write every sample and the medians here")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.keys, args.ranges, args.parquet_size, args.rounds = 16 * MiB, 2500, 10, 4 * MiB, 1
    workloads = [w for w in args.workloads.split(",") if w]
    sides = [("ours", args.ours_python)] + ([("s3fs", args.s3fs_python)] if args.s3fs_python else [])
    scratch = tempfile.mkdtemp(prefix="fsspec-bench-")
    servers = {}
    try:
        servers["main"] = Responder(args.ours_python, "--object-size", str(args.size), "--list-keys", str(args.keys))
        if "parquet" in workloads:
            try:
                path = os.path.join(scratch, "data.parquet")
                print("parquet file: %.0f MiB" % (make_parquet(path, args.parquet_size) / MiB))
                servers["parquet"] = Responder(args.ours_python, "--file", path)
            except ImportError as exc:
                print("parquet workload skipped: %s" % exc)
                workloads.remove("parquet")
        samples = {w: {s: [] for s, _ in sides} for w in workloads}
        for rnd in range(args.rounds):
            for workload in workloads:
                order = sides if rnd % 2 == 0 else sides[::-1]
                for side, python in order:
                    server = servers["parquet" if workload == "parquet" else "main"]
                    samples[workload][side].append(run_worker(python, side, workload, server.endpoint, args, scratch))
            print("round %d/%d done" % (rnd + 1, args.rounds), flush=True)
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)  # the generated Parquet file
    print_table(workloads, sides, samples)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "samples": samples}, f, indent=1)
    return 0


def print_table(workloads, sides, samples):
    try:
        load = "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = "?"
    print("\nload average: %s (medians of %d rounds)" % (load, len(next(iter(samples.values()))["ours"])))
    head = "%-12s %14s %14s %7s   %14s %14s %7s   %s" % (
        "workload", "ours", "s3fs", "ratio", "ours CPU", "s3fs CPU", "ratio", "targets")
    print(head)
    for workload in workloads:
        unit, cpu_unit = ("keys/s", "s/10k keys") if workload == "list" else ("MB/s", "s/GiB")
        med = {}
        for side, _ in sides:
            figures = [figure(workload, s) for s in samples[workload][side]]
            med[side] = (statistics.median(f[0] for f in figures), statistics.median(f[1] for f in figures))
        ours = med["ours"]
        if "s3fs" in med:
            theirs = med["s3fs"]
            rate_ratio, cpu_ratio = ours[0] / theirs[0], ours[1] / theirs[1]
            if workload == "list":
                verdict = "list >= 1.0x: %s" % ("PASS" if rate_ratio >= 1.0 else "MISS")
            else:
                verdict = ">= 1.5x: %s, CPU <= 0.5x: %s" % ("PASS" if rate_ratio >= 1.5 else "MISS",
                                                          "PASS" if cpu_ratio <= 0.5 else "MISS")
            print("%-12s %9.0f %-4s %9.0f %-4s %6.2fx   %8.3f %-5s %8.3f %-5s %6.2fx   %s" % (
                workload, ours[0], unit[:4], theirs[0], unit[:4], rate_ratio, ours[1], cpu_unit[:5], theirs[1],
                cpu_unit[:5], cpu_ratio, verdict))
        else:
            print("%-12s %9.0f %-4s %14s %7s   %8.3f %-5s" % (workload, ours[0], unit[:4], "-", "-", ours[1],
                                                             cpu_unit[:5]))


if __name__ == "__main__":
    sys.exit(main())
