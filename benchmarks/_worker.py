"""One measurement, in a fresh process, with whichever ``ibm_boto3`` this interpreter has.

Run by ``benchmarks/calls.py`` as ``<python> -I _worker.py key=value ...`` from a
scratch directory, so that neither the repository nor PYTHONPATH leaks onto
``sys.path``; ``append_path=DIR`` (given for our side only) adds a checkout as a
last-resort fallback *after* site-packages, so an installed ``ibm_boto3`` wins.

Modes:
  probe      report which ibm_boto3 / ibm_botocore were imported (file, version)
  startup    time ``import ibm_boto3`` (cold), first and second client creation,
             and the first head_object call
  workload   warm up, then time N calls of one operation (CPU via
             time.process_time, wall via time.perf_counter)
  seed       create the bucket and objects the workloads expect (emulator)

The result is one line on stdout: ``RESULT {json}``.  Only ``sys`` and ``time``
are imported before ``import ibm_boto3`` is timed.
"""

import sys
import time


def _args():
    out = {}
    for item in sys.argv[1:]:
        key, _, value = item.partition("=")
        out[key] = value
    return out


def _emit(result):
    import json

    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


def _make_client(ibm_boto3, args):
    from ibm_botocore.client import Config

    config = Config(
        signature_version="s3v4",
        region_name=args.get("region") or "us-south",
        s3={"addressing_style": "path"},
    )
    return ibm_boto3.client(
        "s3",
        aws_access_key_id=args["ak"],
        aws_secret_access_key=args["sk"],
        endpoint_url=args["endpoint"],
        config=config,
    )


def _identity(ibm_boto3):
    import os

    import ibm_botocore

    return {
        "python": sys.executable,
        "python_version": sys.version.split()[0],
        "ibm_boto3_file": os.path.abspath(getattr(ibm_boto3, "__file__", None) or "<namespace>"),
        "ibm_boto3_version": getattr(ibm_boto3, "__version__", None),
        "ibm_botocore_file": os.path.abspath(getattr(ibm_botocore, "__file__", None) or "<namespace>"),
        "ibm_botocore_version": getattr(ibm_botocore, "__version__", None),
    }


def _check(cond, message):
    if not cond:
        raise AssertionError(message)


def _operation(client, name, args):
    bucket = args["bucket"]
    key = args["key"]
    if name == "head":
        call = client.head_object

        def op():
            return call(Bucket=bucket, Key=key)

        def verify(resp):
            _check(resp["ContentLength"] == 1024, "head_object ContentLength %r" % (resp.get("ContentLength"),))

    elif name == "put":
        call = client.put_object
        payload = (b"0123456789abcdef" * 64)[:1024]

        def op():
            return call(Bucket=bucket, Key=key, Body=payload)

        def verify(resp):
            _check(resp.get("ETag"), "put_object returned no ETag: %r" % (resp,))

    elif name == "get":
        call = client.get_object

        def op():
            return call(Bucket=bucket, Key=key)["Body"].read()

        def verify(data):
            _check(len(data) == 1024, "get_object read %d bytes, expected 1024" % len(data))

    elif name == "list":
        call = client.list_objects_v2
        prefix = args["list_prefix"]
        expected = int(args["list_keys"])

        def op():
            return call(Bucket=bucket, Prefix=prefix)

        def verify(resp):
            contents = resp.get("Contents", [])
            _check(len(contents) == expected,
                   "list_objects_v2 returned %d keys, expected %d" % (len(contents), expected))
            first = contents[0]
            _check(isinstance(first["Size"], int) and first["Key"].startswith(prefix)
                   and hasattr(first["LastModified"], "year"),
                   "list_objects_v2 entry not parsed: %r" % (first,))

    else:
        raise SystemExit("unknown workload %r" % name)
    return op, verify


def main():
    args = _args()
    mode = args.get("mode", "probe")
    if args.get("append_path"):
        sys.path.append(args["append_path"])

    t0 = time.perf_counter()
    import ibm_boto3

    import_ms = (time.perf_counter() - t0) * 1000.0

    if mode == "probe":
        result = _identity(ibm_boto3)
        result["import_ms"] = import_ms
        _emit(result)
        return

    if mode == "startup":
        t0 = time.perf_counter()
        client = _make_client(ibm_boto3, args)
        t1 = time.perf_counter()
        client2 = _make_client(ibm_boto3, args)
        t2 = time.perf_counter()
        resp = client.head_object(Bucket=args["bucket"], Key=args["key"])
        t3 = time.perf_counter()
        _check(resp["ContentLength"] == 1024, "head_object ContentLength %r" % (resp.get("ContentLength"),))
        del client2
        result = {
            "import_ms": import_ms,
            "client1_ms": (t1 - t0) * 1000.0,
            "client2_ms": (t2 - t1) * 1000.0,
            "first_call_ms": (t3 - t2) * 1000.0,
        }
        result.update(_identity(ibm_boto3))
        _emit(result)
        return

    client = _make_client(ibm_boto3, args)

    if mode == "seed":
        bucket = args["bucket"]
        try:
            client.create_bucket(Bucket=bucket)
        except Exception as exc:  # already there is fine
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        payload = (b"0123456789abcdef" * 64)[:1024]
        client.put_object(Bucket=bucket, Key=args["key"], Body=payload)
        prefix = args["list_prefix"]
        for i in range(int(args["list_keys"])):
            client.put_object(Bucket=bucket, Key="%sobject-%06d.dat" % (prefix, i), Body=b"x" * (i % 100))
        _emit({"seeded": True})
        return

    if mode != "workload":
        raise SystemExit("unknown mode %r" % mode)

    name = args["workload"]
    n = int(args["n"])
    warmup = int(args.get("warmup", "20"))
    op, verify = _operation(client, name, args)
    for _ in range(max(warmup, 1)):
        verify(op())

    loop = range(n)
    c0 = time.process_time()
    w0 = time.perf_counter()
    for _ in loop:
        last = op()
    w1 = time.perf_counter()
    c1 = time.process_time()
    verify(last)
    cpu = c1 - c0
    wall = w1 - w0
    _emit({
        "workload": name,
        "n": n,
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_us_per_call": cpu / n * 1e6,
        "wall_us_per_call": wall / n * 1e6,
        "calls_per_s": n / wall if wall > 0 else float("inf"),
        "ibm_boto3_file": _identity(ibm_boto3)["ibm_boto3_file"],
    })


if __name__ == "__main__":
    main()
