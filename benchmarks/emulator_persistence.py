#!/usr/bin/env python3
"""PUT latency of ``python -m ibm_cos_emulator --data-dir`` as the store grows (issue 19).

Starts the emulator CLI in its own process (with a fresh data directory, and once without
``--data-dir`` for reference), fills one bucket to each checkpoint with small objects and, at
each checkpoint, times ``--samples`` more 1 KiB PUTs on one keep-alive connection (SigV4,
UNSIGNED-PAYLOAD). Prints the median and p90 latency per checkpoint and the ratio to the
first checkpoint. Target: at 10,000 objects within 2x of 100 objects.

    python benchmarks/emulator_persistence.py [--checkpoints 100,1000,10000] [--samples 200] [--rounds 1]
                                              [--compare-tree /path/to/other/checkout --compare-checkpoints 100,500]

``--compare-tree`` also runs another checkout's emulator (e.g. one from before this store) with
``--data-dir`` at ``--compare-checkpoints``, side by side.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _sign(method: str, host: str, path: str, access: str, secret: str) -> Dict[str, str]:
    now = dt.datetime.now(dt.timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    headers = {"host": host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-date": stamp}
    names = sorted(headers)
    creq = "\n".join([method, path, "", "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names),
                      "UNSIGNED-PAYLOAD"])
    scope = f"{day}/us-east-1/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(creq.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (day, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    out = {k.title(): v for k, v in headers.items()}
    out["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access}/{scope}, SignedHeaders={';'.join(names)}, "
                            f"Signature={sig}")
    return out


class Emu:
    def __init__(self, data_dir: Optional[str], tree: str = REPO) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = tree + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        args = [sys.executable, "-m", "ibm_cos_emulator", "--json", "--hmac", "AKBENCH:SKBENCH"]
        if data_dir:
            args += ["--data-dir", data_dir]
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        info = json.loads(self.proc.stdout.readline())  # type: ignore[union-attr]
        self.port = int(info["endpoint_url"].rsplit(":", 1)[1])
        self.host = f"127.0.0.1:{self.port}"
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method: str, path: str, body: bytes = b"") -> int:
        headers = _sign(method, self.host, path, "AKBENCH", "SKBENCH")
        headers["Content-Length"] = str(len(body))
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        resp.read()
        return resp.status

    def close(self) -> None:
        self.conn.close()
        self.proc.terminate()
        self.proc.communicate(timeout=30)


def run(data_dir: Optional[str], checkpoints: List[int], samples: int, tree: str = REPO) -> Dict[int, List[float]]:
    emu = Emu(data_dir, tree)
    try:
        assert emu.request("PUT", "/bench") == 200
        body = os.urandom(1024)
        count = 0
        out: Dict[int, List[float]] = {}
        for checkpoint in checkpoints:
            while count < checkpoint:
                assert emu.request("PUT", f"/bench/fill-{count:07d}", body) == 200
                count += 1
            times = []
            for i in range(samples):
                start = time.perf_counter()
                assert emu.request("PUT", f"/bench/sample-{checkpoint}-{i:05d}", body) == 200
                times.append((time.perf_counter() - start) * 1000)
            count += samples
            out[checkpoint] = times
        return out
    finally:
        emu.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoints", default="100,1000,10000")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="checkpoints 50,500 and 50 samples (smoke run)")
    parser.add_argument("--compare-tree", default=None, help="another checkout to run with --data-dir too")
    parser.add_argument("--compare-checkpoints", default="100,500")
    args = parser.parse_args()
    checkpoints = [50, 500] if args.quick else [int(x) for x in args.checkpoints.split(",")]
    samples = 50 if args.quick else args.samples
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    results: Dict[str, Dict[int, List[float]]] = {"--data-dir": {c: [] for c in checkpoints},
                                                   "in memory": {c: [] for c in checkpoints}}
    if args.compare_tree:
        other = [int(x) for x in args.compare_checkpoints.split(",")]
        results["other tree"] = {c: [] for c in other}
    for _ in range(args.rounds):
        if args.compare_tree:
            tmp = tempfile.mkdtemp(prefix="emu-bench-other-")
            try:
                for c, t in run(os.path.join(tmp, "data"), other, samples, args.compare_tree).items():
                    results["other tree"][c] += t
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        tmp = tempfile.mkdtemp(prefix="emu-bench-")
        try:
            for c, t in run(os.path.join(tmp, "data"), checkpoints, samples).items():
                results["--data-dir"][c] += t
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for c, t in run(None, checkpoints, samples).items():
            results["in memory"][c] += t
    print(f"{'mode':<12} {'objects':>8} {'median ms':>10} {'p90 ms':>8} {'ratio':>7}")
    ok = True
    for mode, by_count in results.items():
        base = statistics.median(by_count[min(by_count)])
        for c in sorted(by_count):
            times = sorted(by_count[c])
            med = statistics.median(times)
            p90 = times[int(len(times) * 0.9) - 1]
            print(f"{mode:<12} {c:>8} {med:>10.2f} {p90:>8.2f} {med / base:>6.2f}x")
            if mode == "--data-dir" and med / base > 2.0:
                ok = False
    print("target (--data-dir, last checkpoint within 2x of the first):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
