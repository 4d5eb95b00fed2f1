"""Soak: 16 threads sharing one client and one TransferManager against the emulator.

    python benchmarks/soak.py [--minutes 1] [--threads 16] [--interval 5]

Each thread loops over mixed operations (put/get/head/list/delete of small objects,
upload and download of 1-12 MiB through the shared manager, copies, multipart objects
downloaded with the ETag check) until the time is up. Every ``--interval`` seconds it
prints the process's RSS, open file descriptors and threads, and the operations done
and errors seen so far. The emulator runs in a process of its own, so the figures are the
client's alone. It stops by itself; the exit status is 1 on any error, a deadlock (a
thread that made no progress for 60 s) or growth of RSS beyond ``--max-rss-growth`` MiB or
of fds/threads between the sample after the warm-up (a quarter of the run) and the last
one taken before the workers stop. Linux only (reads /proc/self).
"""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import os
import random
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

MB = 1024 * 1024


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--max-rss-growth", type=float, default=64.0, help="MiB of RSS growth allowed after the warm-up")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    import ibm_boto3
    from ibm_boto3.s3.transfer import TransferConfig
    from ibm_s3transfer.manager import TransferManager

    server = subprocess.Popen([sys.executable, "-m", "ibm_cos_emulator", "--json"], stdout=subprocess.PIPE,
                              cwd=os.path.dirname(HERE))
    info = json.loads(server.stdout.readline())  # type: ignore[union-attr]
    client = ibm_boto3.client("s3", endpoint_url=info["endpoint_url"], aws_access_key_id=info["access_key_id"],
                              aws_secret_access_key=info["secret_access_key"])
    bucket = "soak-" + uuid.uuid4().hex[:12]
    client.create_bucket(Bucket=bucket)
    config = TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB, max_concurrency=8)
    manager = TransferManager(client, config)
    deadline = time.monotonic() + args.minutes * 60
    counts = [0] * args.threads
    last_progress = [time.monotonic()] * args.threads
    errors: list = []
    blobs = {size: os.urandom(size) for size in (0, 1024, 100 * 1024, MB, 6 * MB, 12 * MB)}

    def worker(index: int) -> None:
        rng = random.Random(args.seed * 1000 + index)
        prefix = "t%02d/" % index
        while time.monotonic() < deadline and not errors:
            op = rng.choice(["put", "get", "head", "list", "delete", "upload", "download", "copy"])
            size = rng.choice(list(blobs))
            key = prefix + "k%d" % rng.randrange(8)
            try:
                if op == "put":
                    client.put_object(Bucket=bucket, Key=key, Body=blobs[min(size, MB)])
                elif op in ("get", "head", "copy", "download"):
                    client.put_object(Bucket=bucket, Key=key, Body=blobs[min(size, 100 * 1024)]) if op != "download" else None
                    if op == "get":
                        client.get_object(Bucket=bucket, Key=key)["Body"].read()
                    elif op == "head":
                        client.head_object(Bucket=bucket, Key=key)
                    elif op == "copy":
                        manager.copy({"Bucket": bucket, "Key": key}, bucket, key + ".copy").result()
                    else:
                        data = blobs[size]
                        manager.upload(io.BytesIO(data), bucket, key + ".big").result()
                        out = io.BytesIO()
                        manager.download(bucket, key + ".big", out).result()
                        if out.getvalue() != data:
                            raise AssertionError("download differs")
                elif op == "list":
                    client.list_objects_v2(Bucket=bucket, Prefix=prefix)
                elif op == "delete":
                    client.delete_object(Bucket=bucket, Key=key)
                else:
                    manager.upload(io.BytesIO(blobs[size]), bucket, key + ".up").result()
            except Exception as exc:  # every error fails the soak
                errors.append("%s %s: %r" % (op, key, exc))
                return
            counts[index] += 1
            last_progress[index] = time.monotonic()

    threads = [threading.Thread(target=worker, args=(i,), name="soak-%d" % i, daemon=True) for i in range(args.threads)]
    started = time.monotonic()
    samples = []
    for thread in threads:
        thread.start()
    print("%8s %10s %6s %8s %8s %7s" % ("t (s)", "RSS (MiB)", "fds", "threads", "ops", "errors"))
    stuck = False
    while time.monotonic() < deadline and any(t.is_alive() for t in threads):
        time.sleep(max(0.05, min(args.interval, deadline - time.monotonic())))
        now = time.monotonic()
        sample = (now - started, _rss_mib(), _fds(), threading.active_count(), sum(counts), len(errors))
        samples.append(sample)
        print("%8.1f %10.1f %6d %8d %8d %7d" % sample, flush=True)
        if min(now - p for p in last_progress) > 60:
            stuck = True
            break
    for thread in threads:
        thread.join(timeout=60)
        stuck = stuck or thread.is_alive()
    manager.shutdown()
    client.close()
    server.terminate()
    server.wait(timeout=30)
    steady = [row for row in samples if row[0] >= args.minutes * 15] or samples
    first, last = steady[0], steady[-1]
    growth, fd_growth, thread_growth = last[1] - first[1], last[2] - first[2], last[3] - first[3]
    elapsed = time.monotonic() - started
    print("ops %d in %.0f s (%.0f/s); after warm-up (t=%.0f..%.0f s): RSS %+.1f MiB, fds %+d, threads %+d; errors %d%s"
          % (sum(counts), elapsed, sum(counts) / elapsed, first[0], last[0], growth, fd_growth, thread_growth,
             len(errors), "; DEADLOCK" if stuck else ""))
    for error in errors[:5]:
        print("error:", error)
    flat = growth <= args.max_rss_growth and fd_growth <= 4 and thread_growth <= 4
    return 0 if (flat and not errors and not stuck) else 1


if __name__ == "__main__":
    sys.exit(main())
