"""One measured transfer in a fresh process (run by ``benchmarks/transfer.py``).

Usage::

    PY -I transfer_worker.py --op upload|download --endpoint URL --bucket B --key K
                             --file PATH [--repo DIR] [--access-key A --secret-key S]
                             [--verify CA.pem]

Imports ``ibm_boto3`` (from ``--repo`` when given, else whatever the interpreter has),
creates a client with default settings, then measures ``upload_file`` or
``download_file`` with the default TransferConfig: wall time, the CPU time of this
process (``resource.getrusage``, user + system) during the transfer, and the peak RSS
of the process. Prints one line ``RESULT {json}``.
"""

import argparse
import json
import os
import resource
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--op", choices=("upload", "download"), required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--bucket", default="bucket")
    parser.add_argument("--key", default="bench-object")
    parser.add_argument("--file", required=True)
    parser.add_argument("--repo", default=None)
    parser.add_argument("--access-key", default="bench-access-key")
    parser.add_argument("--secret-key", default="bench-secret-key")
    parser.add_argument("--profile", default=None, help="write a cProfile of the transfer here")
    parser.add_argument("--verify", default=None, help="CA bundle for an https endpoint")
    parser.add_argument("--verify-etag", choices=("default", "on", "off"), default="default",
                        help="TransferConfig(verify_etag=...) (ours only; ibm-cos-sdk has no such check)")
    args = parser.parse_args(argv)
    if args.repo:
        sys.path.insert(0, args.repo)

    import ibm_boto3

    client = ibm_boto3.client(
        "s3",
        aws_access_key_id=args.access_key,
        aws_secret_access_key=args.secret_key,
        endpoint_url=args.endpoint,
        region_name="us-east-1",
        verify=args.verify,
    )
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    if args.op == "upload":
        client.upload_file(args.file, args.bucket, args.key)
        size = os.path.getsize(args.file)
    else:
        config = None
        if args.verify_etag != "default":
            from ibm_boto3.s3.transfer import TransferConfig

            try:
                config = TransferConfig(verify_etag=args.verify_etag == "on")
            except TypeError:  # ibm-cos-sdk: no ETag check to switch
                config = None
        client.download_file(args.bucket, args.key, args.file, Config=config)
        size = os.path.getsize(args.file)
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    if profiler is not None:
        profiler.dump_stats(args.profile)
    user = after.ru_utime - before.ru_utime
    system = after.ru_stime - before.ru_stime
    result = {
        "op": args.op,
        "bytes": size,
        "wall_s": wall,
        "user_s": user,
        "sys_s": system,
        "cpu_s": user + system,
        "peak_rss_kib": after.ru_maxrss,
        "module": ibm_boto3.__file__,
        "version": getattr(ibm_boto3, "__version__", "?"),
    }
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
