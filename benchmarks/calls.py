#!/usr/bin/env python3
"""Side-by-side per-request benchmark: our ibm_boto3 vs IBM's ibm-cos-sdk 2.16.2.

Measures, each in a fresh process run by the side's own interpreter:

* cold ``import ibm_boto3`` (ms), first and second ``ibm_boto3.client("s3")`` (ms),
  and the first head_object call on a new client (ms);
* client CPU time per call (``time.process_time`` delta / n) and calls per second
  (wall) for 2,000 head_object, 1,000 put_object of 1 KiB, 1,000 get_object of
  1 KiB read fully and 500 list_objects_v2 returning 1,000 keys,

against a fast canned S3 responder on 127.0.0.1 (``benchmarks/_responder.py``,
its own process) and, with ``--emulator``, against ``python -m ibm_cos_emulator``.
The sides run alternately (ours, theirs, ours, theirs, ...) for ``--rounds``
rounds; the table shows medians, the ratio ours/theirs and the targets of issue 8.

    python benchmarks/calls.py                                   # ours only
    python benchmarks/calls.py --ibm-python /tmp/ibm/bin/python  # side by side
    python benchmarks/calls.py --quick                           # CI smoke run

Only the standard library is used here; each worker imports only
``ibm_boto3`` / ``ibm_botocore`` of its own interpreter.
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
WORKER = os.path.join(HERE, "_worker.py")
RESPONDER = os.path.join(HERE, "_responder.py")

BUCKET = "bench-bucket"
OBJECT_KEY = "bench/object-1k.dat"
LIST_PREFIX = "bench/list/"
LIST_KEYS = 1000
DEFAULT_HMAC = ("bench-access-key-id", "bench-secret-access-key-0123456789")

# name -> (operation, full count, quick count)
WORKLOADS = {
    "head": ("head_object", 2000, 20),
    "put": ("put_object", 1000, 10),
    "get": ("get_object", 1000, 10),
    "list": ("list_objects_v2", 500, 5),
}
WORKLOAD_LABELS = {
    "head": "head_object",
    "put": "put_object 1 KiB",
    "get": "get_object 1 KiB",
    "list": "list_objects_v2 1000 keys",
}
# figure key -> max ratio ours/theirs (lower is better)
TARGETS = {
    "import_plus_client1_ms": 0.25,
    "head.cpu_us_per_call": 0.33,
    "put.cpu_us_per_call": 0.33,
    "get.cpu_us_per_call": 0.33,
    "list.cpu_us_per_call": 0.5,
}


class BenchError(RuntimeError):
    pass


# --------------------------------------------------------------------------
# environment and subprocesses
# --------------------------------------------------------------------------

def hermetic_env(scratch):
    """The environment for workers: no PYTHON*/AWS*/IBM* leaks, no config files."""
    env = {}
    for name, value in os.environ.items():
        upper = name.upper()
        if upper.startswith(("PYTHON", "AWS_", "IBM_", "BOTO_", "COS_")):
            continue
        env[name] = value
    env["HOME"] = scratch  # no ~/.aws, ~/.bluemix
    env["AWS_CONFIG_FILE"] = os.path.join(scratch, "no-aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(scratch, "no-aws-credentials")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


class Side:
    def __init__(self, name, python, append_path=None):
        self.name = name
        self.python = python
        self.append_path = append_path
        self.identity = None

    def run(self, scratch, env, timeout, **kwargs):
        cmd = [self.python, "-I", WORKER]
        if self.append_path:
            kwargs["append_path"] = self.append_path
        cmd += ["%s=%s" % (k, v) for k, v in kwargs.items()]
        try:
            proc = subprocess.run(cmd, cwd=scratch, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=timeout,
                                  universal_newlines=True)
        except subprocess.TimeoutExpired:
            raise BenchError("%s worker %s timed out after %ss" % (self.name, kwargs.get("mode"), timeout))
        except OSError as exc:
            raise BenchError("%s: cannot run %s: %s" % (self.name, self.python, exc))
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT "):
                if proc.returncode == 0:
                    return json.loads(line[len("RESULT "):])
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-25:])
        raise BenchError("%s worker (%s) failed with exit code %s:\n%s"
                         % (self.name, " ".join(cmd[3:]), proc.returncode, tail))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def start_responder(scratch):
    cmd = [sys.executable, "-I", "-B", RESPONDER, "--host", "127.0.0.1", "--port", "0",
           "--list-keys", str(LIST_KEYS), "--object-size", "1024", "--watch-stdin"]
    proc = subprocess.Popen(cmd, cwd=scratch, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            universal_newlines=True)
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise BenchError("responder did not start (got %r)" % line)
    port = int(line.split()[1])
    if not wait_for_port(port, proc, 10):
        proc.kill()
        raise BenchError("responder is not accepting connections on %d" % port)
    return proc, port


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    try:
        if proc.stdin:
            proc.stdin.close()
    except OSError:
        pass
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


_AK_RE = re.compile(r"""(?i)access[ _-]?key(?:[ _-]?id)?[\s:='"]+([^\s'",]+)""")
_SK_RE = re.compile(r"""(?i)secret(?:[ _-]?access)?[ _-]?key[\s:='"]+([^\s'",]+)""")


def start_emulator(scratch, port, hmac):
    """Start ``python -m ibm_cos_emulator --port N``; return (proc, (ak, sk)) or (None, reason)."""
    log_path = os.path.join(scratch, "emulator.log")
    log = open(log_path, "w")
    cmd = [sys.executable, "-m", "ibm_cos_emulator", "--port", str(port)]
    if hmac:
        cmd += ["--hmac", "%s:%s" % hmac]
    try:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    except OSError as exc:
        log.close()
        return None, "cannot start the emulator: %s" % exc
    ok = wait_for_port(port, proc, 30)
    output, ak, sk = "", None, None
    deadline = time.monotonic() + 5
    while ok:  # the banner with the keys may come a moment after the port opens
        with open(log_path) as fh:
            output = fh.read()
        ak, sk = _AK_RE.search(output), _SK_RE.search(output)
        if (ak and sk) or hmac or time.monotonic() > deadline or proc.poll() is not None:
            break
        time.sleep(0.1)
    log.close()
    if not ok:
        with open(log_path) as fh:
            output = fh.read()
        stop(proc)
        tail = "\n".join(output.strip().splitlines()[-8:])
        return None, "the emulator did not start (%s)%s" % (
            " ".join(cmd), (":\n" + tail) if tail else "")
    if hmac:
        creds = hmac
    elif ak and sk:
        creds = (ak.group(1), sk.group(1))
    else:
        print("note: no credentials found in the emulator's output; using %s (pass --hmac AK:SK)"
              % DEFAULT_HMAC[0])
        creds = DEFAULT_HMAC
    return proc, creds


# --------------------------------------------------------------------------
# statistics and the table
# --------------------------------------------------------------------------

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def save_chart(name, medians, names, workloads):
    """The responder medians as chart data for the documentation (benchmarks/charts.py)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import charts

    rows = [charts.row(label, unit, "lower" if lower else "higher", {side: medians[side].get(key) for side in names})
            for key, label, unit, lower in figure_rows("responder", workloads, include_startup=True)
            if key in TARGETS]
    print("chart data saved to %s" % charts.save(name, "Per-call cost against a local S3 responder", names, rows))


def figure_rows(backend, workloads, include_startup):
    """(key, label, unit, lower_is_better) in table order."""
    rows = []
    if include_startup:
        rows += [
            ("import_ms", "import ibm_boto3", "ms", True),
            ("client1_ms", "first client()", "ms", True),
            ("client2_ms", "second client()", "ms", True),
            ("import_plus_client1_ms", "import + first client", "ms", True),
            ("first_call_ms", "first head_object call", "ms", True),
        ]
    for w in workloads:
        op = WORKLOAD_LABELS[w]
        rows.append(("%s.cpu_us_per_call" % w, "%s CPU/call" % op, "us", True))
        rows.append(("%s.calls_per_s" % w, "%s calls/s (wall)" % op, "1/s", False))
    return rows


def fmt(value, unit):
    if value is None:
        return "-"
    if unit == "1/s":
        return "%.0f" % value
    if value >= 1000:
        return "%.0f" % value
    if value >= 100:
        return "%.1f" % value
    return "%.2f" % value


def render_table(title, rows, medians, side_names, with_targets):
    ours = side_names[0]
    theirs = side_names[1] if len(side_names) > 1 else None
    header = ["figure", "%s (median)" % ours]
    if theirs:
        header += ["%s (median)" % theirs, "ratio ours/theirs", "target", "status"]
    table = [header]
    for key, label, unit, lower in rows:
        line = [label if unit == "1/s" else "%s (%s)" % (label, unit), fmt(medians[ours].get(key), unit)]
        if theirs:
            a, b = medians[ours].get(key), medians[theirs].get(key)
            ratio = a / b if (a is not None and b) else None
            target = TARGETS.get(key) if with_targets else None
            if target is not None and ratio is not None:
                status = "PASS" if ratio <= target else "MISS"
                tcol = "<= %.2fx" % target
            else:
                status = ""
                tcol = "" if lower else "(higher=better)"
            line += [fmt(b, unit), "%.2f" % ratio if ratio is not None else "-", tcol, status]
        table.append(line)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    out = [title]
    for n, r in enumerate(table):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(description="Per-request benchmark: our ibm_boto3 vs ibm-cos-sdk 2.16.2.")
    p.add_argument("--ours-python", default=sys.executable,
                   help="interpreter with our SDK installed (default: this one)")
    p.add_argument("--ibm-python", default=os.environ.get("IBM_COS_SDK_PYTHON") or None,
                   help="interpreter of a venv with ibm-cos-sdk==2.16.2 (default: $IBM_COS_SDK_PYTHON;"
                        " without it only our figures are printed)")
    p.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    p.add_argument("--quick", action="store_true", help="tiny counts, 1 round (CI smoke run)")
    p.add_argument("--workloads", default="head,put,get,list",
                   help="comma list of head,put,get,list (default: all)")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the call counts (default 1)")
    p.add_argument("--emulator", action="store_true",
                   help="also run the workloads against python -m ibm_cos_emulator")
    p.add_argument("--emulator-scale", type=float, default=0.25,
                   help="call-count multiplier against the emulator (default 0.25)")
    p.add_argument("--hmac", default=None, metavar="AK:SK",
                   help="HMAC keys for the emulator (default: parsed from its output)")
    p.add_argument("--no-repo-fallback", action="store_true",
                   help="do not let our side fall back to this checkout when its interpreter"
                        " has no ibm_boto3 installed")
    p.add_argument("--json", dest="json_out", default=None, metavar="FILE", help="save the results as JSON")
    p.add_argument("--chart", default=None, metavar="NAME",
                   help="save the responder medians as benchmarks/results/NAME.json for the docs' charts")
    p.add_argument("--fail-on-miss", action="store_true", help="exit 1 if a target is missed")
    args = p.parse_args(argv)
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    for w in args.workloads:
        if w not in WORKLOADS:
            p.error("unknown workload %r (choose from %s)" % (w, ",".join(WORKLOADS)))
    if args.quick:
        args.rounds = 1
    if args.rounds < 1:
        p.error("--rounds must be >= 1")
    if args.hmac and ":" not in args.hmac:
        p.error("--hmac must be AK:SK")
    return args


def counts(args, scale):
    out = {}
    for w in args.workloads:
        _, full, quick = WORKLOADS[w]
        n = quick if args.quick else max(1, int(round(full * args.scale * scale)))
        out[w] = n
    return out


def warmup_for(n, quick):
    return 2 if quick else max(5, min(50, n // 20))


def main(argv=None):
    args = parse_args(argv)
    sides = [Side("ours", args.ours_python, None if args.no_repo_fallback else REPO_ROOT)]
    if args.ibm_python:
        sides.append(Side("ibm-cos-sdk", args.ibm_python))
    names = [s.name for s in sides]
    timeout = 120 if args.quick else 1800

    scratch = tempfile.mkdtemp(prefix="ibm-cos-bench-")
    env = hermetic_env(scratch)
    responder = emulator = None
    results = {
        "config": {
            "rounds": args.rounds, "quick": args.quick, "workloads": args.workloads,
            "scale": args.scale, "list_keys": LIST_KEYS, "object_size": 1024,
            "driver_python": sys.executable, "platform": sys.platform,
            "cpu_count": os.cpu_count(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
        "sides": {}, "backends": {}, "targets": TARGETS,
    }
    try:
        # -- which ibm_boto3 does each side import? -------------------------
        print("ibm_boto3 per side (fresh isolated interpreters, cwd %s):" % scratch)
        for side in sides:
            side.identity = side.run(scratch, env, timeout, mode="probe")
            ident = side.identity
            print("  %-12s %s (ibm_boto3 %s, ibm_botocore %s, Python %s)\n  %-12s   via %s"
                  % (side.name, ident["ibm_boto3_file"], ident["ibm_boto3_version"],
                     ident["ibm_botocore_version"], ident["python_version"], "", ident["python"]))
            results["sides"][side.name] = ident
        if len(sides) == 2:
            if sides[0].identity["ibm_boto3_file"] == sides[1].identity["ibm_boto3_file"]:
                print("  note: both sides import the same ibm_boto3 -- a harness self-check;"
                      " every ratio should be about 1.0")
        ours_file = sides[0].identity["ibm_boto3_file"]
        if not os.path.abspath(ours_file).startswith(REPO_ROOT + os.sep):
            print("  note: our side's ibm_boto3 is not from this checkout (%s)" % REPO_ROOT)

        # -- backends ---------------------------------------------------------
        responder, port = start_responder(scratch)
        backends = [("responder", "http://127.0.0.1:%d" % port, DEFAULT_HMAC, 1.0)]
        print("responder: http://127.0.0.1:%d (pid %d)" % (port, responder.pid))
        if args.emulator:
            eport = free_port()
            hmac = tuple(args.hmac.split(":", 1)) if args.hmac else None
            emulator, info = start_emulator(scratch, eport, hmac)
            if emulator is None:
                print("emulator: skipped -- %s" % info)
            else:
                endpoint = "http://127.0.0.1:%d" % eport
                print("emulator: %s (pid %d), access key %s" % (endpoint, emulator.pid, info[0]))
                seeder = sides[-1]  # ibm-cos-sdk when present: seeding must not depend on ours
                try:
                    seeder.run(scratch, env, timeout, mode="seed", endpoint=endpoint, ak=info[0],
                               sk=info[1], bucket=BUCKET, key=OBJECT_KEY, list_prefix=LIST_PREFIX,
                               list_keys=LIST_KEYS)
                    backends.append(("emulator", endpoint, info, args.emulator_scale))
                except BenchError as exc:
                    print("emulator: skipped -- seeding failed: %s" % exc)
                    stop(emulator)
                    emulator = None
        sys.stdout.flush()

        common = dict(bucket=BUCKET, key=OBJECT_KEY, list_prefix=LIST_PREFIX, list_keys=LIST_KEYS)

        # -- one untimed start-up per side: warms the OS file cache / bytecode ---
        _, endpoint0, creds0, _ = backends[0]
        if not args.quick:
            for side in sides:
                side.run(scratch, env, timeout, mode="startup", endpoint=endpoint0,
                         ak=creds0[0], sk=creds0[1], **common)

        # -- the alternating rounds ------------------------------------------
        for bname, endpoint, creds, bscale in backends:
            ns = counts(args, bscale)
            samples = {s.name: {} for s in sides}
            creds_kw = dict(endpoint=endpoint, ak=creds[0], sk=creds[1])
            for rnd in range(1, args.rounds + 1):
                progress = ["[%s] round %d/%d:" % (bname, rnd, args.rounds)]
                if bname == "responder":
                    for side in sides:
                        r = side.run(scratch, env, timeout, mode="startup", **dict(common, **creds_kw))
                        _expect_same_file(side, r)
                        r["import_plus_client1_ms"] = r["import_ms"] + r["client1_ms"]
                        for k in ("import_ms", "client1_ms", "client2_ms", "import_plus_client1_ms",
                                  "first_call_ms"):
                            samples[side.name].setdefault(k, []).append(r[k])
                        progress.append("%s start %.0f ms" % (side.name, r["import_plus_client1_ms"]))
                for w in args.workloads:
                    for side in sides:
                        r = side.run(scratch, env, timeout, mode="workload", workload=w, n=ns[w],
                                     warmup=warmup_for(ns[w], args.quick), **dict(common, **creds_kw))
                        _expect_same_file(side, r)
                        for k in ("cpu_us_per_call", "calls_per_s", "wall_us_per_call"):
                            samples[side.name].setdefault("%s.%s" % (w, k), []).append(r[k])
                        progress.append("%s %s %.0f us" % (side.name, w, r["cpu_us_per_call"]))
                print(" ".join(progress), file=sys.stderr)
                sys.stderr.flush()

            medians = {name: {k: median(v) for k, v in samples[name].items()} for name in names}
            results["backends"][bname] = {
                "endpoint": endpoint, "counts": ns, "samples": samples, "medians": medians,
            }
            if len(sides) == 2:
                results["backends"][bname]["ratios"] = {
                    k: (medians[names[0]][k] / medians[names[1]][k]
                        if medians[names[0]].get(k) is not None and medians[names[1]].get(k) else None)
                    for k in medians[names[0]]
                }
            rows = figure_rows(bname, args.workloads, include_startup=(bname == "responder"))
            title = "\n%s -- %s; medians of %d round(s); calls: %s" % (
                "local S3 responder" if bname == "responder" else "ibm_cos_emulator",
                endpoint, args.rounds, ", ".join("%s %d" % (WORKLOADS[w][0], ns[w]) for w in args.workloads))
            print(render_table(title, rows, medians, names, with_targets=(bname == "responder")))
            sys.stdout.flush()

        status = {}
        if len(sides) == 2:
            ratios = results["backends"]["responder"]["ratios"]
            for key, target in TARGETS.items():
                if ratios.get(key) is not None:
                    status[key] = "PASS" if ratios[key] <= target else "MISS"
            results["status"] = status
            missed = [k for k, v in status.items() if v == "MISS"]
            print("\ntargets: %d PASS, %d MISS%s" % (
                len(status) - len(missed), len(missed), (" (" + ", ".join(missed) + ")") if missed else ""))
        else:
            print("\n(only our side ran: pass --ibm-python or set IBM_COS_SDK_PYTHON for ratios and targets)")

        if args.chart and "responder" in results["backends"]:
            save_chart(args.chart, results["backends"]["responder"]["medians"], names, args.workloads)
        if args.json_out:
            with open(args.json_out, "w") as fh:
                json.dump(results, fh, indent=2, sort_keys=True)
            print("results saved to %s" % args.json_out)
        if args.fail_on_miss and any(v == "MISS" for v in status.values()):
            return 1
        return 0
    except BenchError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    finally:
        stop(emulator)
        stop(responder)
        shutil.rmtree(scratch, ignore_errors=True)


def _expect_same_file(side, result):
    got = result.get("ibm_boto3_file")
    if got and side.identity and got != side.identity["ibm_boto3_file"]:
        raise BenchError("%s imported %s, but the probe saw %s" % (side.name, got, side.identity["ibm_boto3_file"]))


if __name__ == "__main__":
    sys.exit(main())
