"""One measured directory transfer in a fresh process (run by ``benchmarks/directories.py``).

Usage::

    PY -I directories_worker.py --tool ours|loop --op upload|download --endpoint URL
                                --prefix P --dir DIR [--bucket B] [--access-key A --secret-key S]

``ours``: ``AsperaTransferManager(client).upload_directory`` / ``download_directory``
(default settings). ``loop``: what an ibm-cos-sdk user writes today -- ``os.walk`` and
``client.upload_file`` per file, or a ``list_objects_v2`` paginator and
``client.download_file`` per object (default TransferConfig). Prints ``RESULT {json}``
with the wall time and the CPU seconds of this process and of its worker processes during the
transfer.
"""

import argparse
import json
import os
import resource
import sys
import time


def cpu_seconds():
    """User + system CPU of this process and of its finished children (the directory
    engine's worker processes, which have ended by the time the transfer returns)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def loop_upload(client, bucket, prefix, directory):
    for dirpath, _dirs, names in os.walk(directory):
        for name in names:
            path = os.path.join(dirpath, name)
            client.upload_file(path, bucket, prefix + os.path.relpath(path, directory).replace(os.sep, "/"))


def loop_download(client, bucket, prefix, directory):
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            target = os.path.join(directory, *entry["Key"][len(prefix):].split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            client.download_file(bucket, entry["Key"], target)


def ours(client, op, bucket, prefix, directory):
    from ibm_s3transfer.aspera.manager import AsperaTransferManager

    with AsperaTransferManager(client) as manager:
        if op == "upload":
            manager.upload_directory(directory, bucket, prefix).result()
        else:
            manager.download_directory(bucket, prefix, directory).result()


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", choices=("ours", "loop"), required=True)
    parser.add_argument("--op", choices=("upload", "download"), required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--bucket", default="bucket")
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--access-key", default="bench-access-key")
    parser.add_argument("--secret-key", default="bench-secret-key")
    parser.add_argument("--profile", default=None)
    args = parser.parse_args(argv)

    import ibm_boto3

    if args.tool == "ours":
        # imported before the clock starts, as the loop's side has s3transfer imported with
        # its client: start-up is not part of the figures
        import ibm_s3transfer.aspera.manager  # noqa: F401

    client = ibm_boto3.client("s3", aws_access_key_id=args.access_key, aws_secret_access_key=args.secret_key,
                              endpoint_url=args.endpoint, region_name="us-east-1")
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    before = cpu_seconds()
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    if args.tool == "ours":
        ours(client, args.op, args.bucket, args.prefix, args.dir)
    elif args.op == "upload":
        loop_upload(client, args.bucket, args.prefix, args.dir)
    else:
        loop_download(client, args.bucket, args.prefix, args.dir)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    wall = time.perf_counter() - start
    cpu = cpu_seconds() - before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"wall_s": wall, "cpu_s": cpu, "module": ibm_boto3.__file__, "peak_rss_kib": peak}
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
