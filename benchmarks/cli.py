"""``cos`` against ``s5cmd`` and ``aws s3`` (awscli): recursive copies and syncs of file trees.

Usage::

    python benchmarks/cli.py --s5cmd /path/to/s5cmd --aws /path/to/aws [--rounds 3] [--quick]

Workloads, against the fast local responder (``directory_responder.py``, in its own process):

* ``small``: 1,000 files of 64 KiB; ``large``: 4 files of 256 MiB (``--quick``: 50 × 64 KiB
  and 2 × 16 MiB).

Operations, each a fresh process of the tool, timed by wall clock:

* ``cp up``: ``cos cp --recursive DIR cos://bench/up/`` /
  ``s5cmd cp 'DIR/*' s3://bench/up/`` / ``aws s3 cp --recursive DIR s3://bench/up/``
* ``cp down``: the prefix ``tree/<workload>/`` into an empty directory;
* ``sync up``: ``sync DIR s3://bench/sync/`` (the destination lists empty: every file is sent);
* ``sync down``: ``sync s3://bench/tree/<workload>/ DIR`` into an empty directory;
* ``resync down``: the same again, nothing to transfer (each tool's own size/time rule).

Each download of the small tree goes into a folder of its own, removed at the end of the
workload, not between runs (on a journal-less ext4, such as this project's CI machines,
creating 1,000 files right after deleting 1,000 costs several times the system time: see
``directories.py``). All tools use HMAC keys from the environment and
``--endpoint-url``; each runs with its own default concurrency (``cos`` 10 requests and 20
files at once; s5cmd 256 workers; aws 10 requests). The sides run alternately within each round; the table shows medians and the
speed ratios ``cos``/s5cmd and ``cos``/aws (> 1: ``cos`` is faster). Targets (issue 15), on
the small-file tree: ``cos`` ≥ 0.8× s5cmd and ≥ 3× aws.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import directory_responder  # noqa: E402

KiB, MiB = 1024, 1024 * 1024
WORKLOADS = {"small": (1000, 64 * KiB), "large": (4, 256 * MiB)}
QUICK = {"small": (50, 64 * KiB), "large": (2, 16 * MiB)}
OPS = ["cp up", "cp down", "sync up", "sync down", "resync down"]
TARGETS = {("small", "s5cmd"): 0.8, ("small", "aws"): 3.0}
KEEP_DOWNLOADS_BYTES = 256 * MiB  # downloads up to this size stay until the workload ends


class Responder:
    def __init__(self, workloads: Dict[str, Tuple[int, int]]) -> None:
        self.workloads = workloads
        self.start()

    def start(self) -> None:
        workloads = self.workloads
        trees: List[str] = []
        for name, (count, size) in workloads.items():
            trees += ["--tree", "tree/%s=%dx%d" % (name, count, size)]
        self.proc = subprocess.Popen([sys.executable, directory_responder.__file__, *trees],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            raise RuntimeError("the responder did not start: %r" % line)
        self.endpoint = "http://127.0.0.1:%d" % int(line.split()[1])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        try:
            self.proc.stdin.close()
        finally:
            self.proc.wait(10)


def run_with(responder: Responder, build: Callable[[str], List[str]], env: Dict[str, str]) -> float:
    """Run the command; if the responder died under it (a shared machine), start it again and retry once."""
    try:
        return run(build(responder.endpoint), env)
    except RuntimeError:
        if responder.alive():
            raise
        print("(the responder exited; restarted, and the run repeated)", file=sys.stderr)
        responder.start()
        return run(build(responder.endpoint), env)


def make_tree(root: str, count: int, size: int) -> None:
    block = os.urandom(min(size, 4 * MiB))
    for index in range(count):
        sub = os.path.join(root, "d%02d" % (index % 10))
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "f%05d.bin" % index), "wb") as fh:
            left = size
            while left > 0:
                fh.write(block[:left])
                left -= len(block)


def command(side: str, program: List[str], endpoint: str, op: str, local: str, remote: str) -> List[str]:
    """The command line of ``op`` for a side (remote is ``bench/PREFIX/``)."""
    upload = op.endswith("up")
    verb = "cp" if op.startswith("cp") else "sync"
    if side == "s5cmd":
        src, dst = (os.path.join(local, "*"), "s3://" + remote) if upload else ("s3://%s*" % remote, local + "/")
        return program + ["--endpoint-url", endpoint, verb, src, dst]
    src, dst = (local, "s3://" + remote) if upload else ("s3://" + remote, local)
    if side == "aws":
        recursive = ["--recursive"] if verb == "cp" else []
        return program + ["--endpoint-url", endpoint, "s3", verb, *recursive, "--only-show-errors", src, dst]
    recursive = ["--recursive"] if verb == "cp" else []
    return program + ["--endpoint-url", endpoint, "--quiet", verb, *recursive, src, dst]


def run(cmd: List[str], env: Dict[str, str]) -> float:
    if hasattr(os, "sync"):
        os.sync()  # the previous runs' dirty pages are written now, not during this run
    started = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd[:6]), proc.returncode,
                                                  proc.stderr.decode("utf-8", "replace")[-2000:]))
    return elapsed


def check_download(directory: str, prefix: str, count: int, size: int) -> None:
    found = 0
    for dirpath, _, names in os.walk(directory):
        found += len(names)
    if found != count:
        raise RuntimeError("%s: %d files downloaded, expected %d" % (directory, found, count))
    if size <= 4 * MiB:
        key = "%s/f%05d.bin" % (prefix.rstrip("/"), 0)
        with open(os.path.join(directory, "f00000.bin"), "rb") as fh:
            if fh.read() != directory_responder.object_bytes(key, size):
                raise RuntimeError("%s: f00000.bin differs from the object" % directory)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--s5cmd", default=os.environ.get("S5CMD") or shutil.which("s5cmd"))
    parser.add_argument("--aws", default=os.environ.get("AWS_CLI") or shutil.which("aws"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round (a smoke test)")
    parser.add_argument("--workloads", default="small,large")
    args = parser.parse_args(argv)
    workloads = {name: (QUICK if args.quick else WORKLOADS)[name] for name in args.workloads.split(",")}
    rounds = 1 if args.quick else args.rounds
    sides: List[Tuple[str, List[str]]] = [("cos", [sys.executable, "-m", "ibm_boto3"])]
    if args.s5cmd:
        sides.append(("s5cmd", [args.s5cmd]))
    if args.aws:
        sides.append(("aws", [args.aws]))
    scratch = tempfile.mkdtemp(prefix="cli-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IBM_", "COS_"))}
    env.update(HOME=scratch, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench-secret",
               AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1", PYTHONPATH=REPO,
               AWS_CONFIG_FILE=os.path.join(scratch, "aws-config"),
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(scratch, "aws-credentials"))
    responder = Responder(workloads)
    samples: Dict[Tuple[str, str, str], List[float]] = {}
    try:
        for name, (count, size) in workloads.items():
            source = os.path.join(scratch, "src-" + name)
            make_tree(source, count, size)
            keep = count * size <= KEEP_DOWNLOADS_BYTES
            for round_no in range(rounds):
                for op in OPS:
                    for side, program in sides:
                        def folder(kind: str) -> str:
                            base = "dst-%s-%s" % (side, kind)
                            return os.path.join(scratch, base + ("-r%d" % round_no if keep else ""))

                        target = folder(op.replace(" ", "-"))
                        if op != "resync down":
                            shutil.rmtree(target, ignore_errors=True)
                            os.makedirs(target)
                        remote = "bench/tree/%s/" % name if op.endswith("down") else \
                            "bench/%s-%s-%d/" % (op.replace(" ", "-"), side, round_no)
                        local = source if op.endswith("up") else (
                            folder("sync-down") if op == "resync down" else target)
                        elapsed = run_with(responder, lambda endpoint: command(side, program, endpoint, op, local, remote),
                                           env)
                        if op in ("cp down", "sync down") and round_no == 0:
                            check_download(local, "tree/%s" % name, count, size)
                        samples.setdefault((name, op, side), []).append(elapsed)
                        if op == "cp down" and not keep:
                            shutil.rmtree(target, ignore_errors=True)
            shutil.rmtree(source, ignore_errors=True)
            for entry in os.listdir(scratch):
                if entry.startswith("dst-"):
                    shutil.rmtree(os.path.join(scratch, entry), ignore_errors=True)
    finally:
        responder.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    report(samples, workloads, [side for side, _ in sides], rounds)
    return 0


def report(samples: Dict[Tuple[str, str, str], List[float]], workloads: Dict[str, Tuple[int, int]],
           sides: List[str], rounds: int) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print("cos vs s5cmd vs aws s3: median wall seconds of %d round(s); load average %.2f on %d CPUs"
          % (rounds, load, os.cpu_count() or 0))
    header = "| workload | operation | " + " | ".join("%s (s)" % s for s in sides) + " | " + \
             " | ".join("cos/%s" % s for s in sides[1:]) + " |"
    print(header)
    print("|" + "---|" * (2 + len(sides) + len(sides) - 1))
    misses = []
    for name, (count, size) in workloads.items():
        for op in OPS:
            times = {side: statistics.median(samples[(name, op, side)]) for side in sides}
            ratios = []
            for other in sides[1:]:
                ratio = times[other] / times["cos"]
                target = TARGETS.get((name, other)) if op != "resync down" else None
                mark = ""
                if target is not None:
                    mark = " ✓" if ratio >= target else " ✗ (target %.1f×)" % target
                    if ratio < target:
                        misses.append((name, op, other, ratio, target))
                ratios.append("%.2f×%s" % (ratio, mark))
            print("| %s (%d × %s) | %s | %s | %s |" % (
                name, count, "%d KiB" % (size // KiB) if size < MiB else "%d MiB" % (size // MiB), op,
                " | ".join("%.2f" % times[s] for s in sides), " | ".join(ratios)))
    for name, op, other, ratio, target in misses:
        print("below target: %s %s: cos/%s = %.2f× (target %.1f×)" % (name, op, other, ratio, target))


if __name__ == "__main__":
    raise SystemExit(main())
