#!/usr/bin/env python3
"""Side-by-side wire comparison of this SDK with the real ibm-cos-sdk 2.16.2.

    python tests/wire/compare_with_ibm_cos_sdk.py [--ibm-python PY] [--case PATTERN] [--variant PATTERN]
                                                  [--verbose] [--update-snapshot]

Runs ``capture.py`` once in an interpreter that has ibm-cos-sdk (``--ibm-python``, else the
``IBM_COS_SDK_PYTHON`` environment variable, else a temporary venv with
``pip install ibm-cos-sdk==2.16.2``) and once with this repo, then prints one line per
case and variant: PASS, DIFF (with the differences), ALLOWED (a deliberate difference from
the allowlist in ``wire_cases.py``, with its reason), or OURS-ONLY (operations ibm-cos-sdk
does not have).  Exit status 1 when there is a DIFF; 0 (with a note) when no ibm-cos-sdk
interpreter can be found or made.

``--update-snapshot`` also writes ``expected_requests.json`` from the ibm-cos-sdk run; that
file is what ``test_wire_snapshots.py`` checks our SDK against without needing the venv.

The ibm-cos-sdk interpreter runs with ``-I`` from a temporary directory, so it can never
import this repository's packages (capture.py verifies where ``ibm_botocore`` came from).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CAPTURE = os.path.join(HERE, "capture.py")
SNAPSHOT = os.path.join(HERE, "expected_requests.json")
SDK_REQUIREMENT = "ibm-cos-sdk==2.16.2"
sys.path.insert(0, HERE)

import capture  # noqa: E402
import wire_cases  # noqa: E402


def _child_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_", "IBM_", "COS_"))}
    if "AWS_CA_BUNDLE" in os.environ:
        env["AWS_CA_BUNDLE"] = os.environ["AWS_CA_BUNDLE"]
    return env


def find_ibm_python(explicit: Optional[str], workdir: str) -> Tuple[Optional[str], str]:
    candidate = explicit or os.environ.get("IBM_COS_SDK_PYTHON")
    if candidate:
        return candidate, "given interpreter %s" % candidate
    venv = os.path.join(workdir, "venv")
    try:
        subprocess.run([sys.executable, "-m", "venv", venv], check=True, capture_output=True, timeout=300)
        python = os.path.join(venv, "bin", "python")
        if not os.path.exists(python):
            python = os.path.join(venv, "Scripts", "python.exe")
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", SDK_REQUIREMENT],
                       check=True, capture_output=True, timeout=900, cwd=workdir)
        return python, "temporary venv with %s" % SDK_REQUIREMENT
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return None, "could not install %s: %s %s" % (SDK_REQUIREMENT, exc, detail.strip()[-300:])


def has_ibm_cos_sdk(python: str, workdir: str) -> bool:
    try:
        probe = subprocess.run([python, "-I", "-c", "import ibm_boto3, ibm_botocore"], cwd=workdir, env=_child_env(),
                               capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


def run_side(python: str, side: str, workdir: str, cases: Optional[List[str]], variants: Optional[List[str]]) -> Dict[str, Any]:
    out = os.path.join(workdir, "%s.json" % side)
    command = [python]
    if side == "ibm":
        command.append("-I")
    command += [CAPTURE, "--side", side, "--out", out]
    for pattern in cases or ():
        command += ["--case", pattern]
    for pattern in variants or ():
        command += ["--variant", pattern]
    cwd = workdir if side == "ibm" else REPO
    proc = subprocess.run(command, cwd=cwd, env=_child_env(), capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit("%s side failed (exit %d):\n%s\n%s" % (side, proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    with open(out, encoding="utf-8") as handle:
        return json.load(handle)


def compare(ibm: Dict[str, Any], ours: Dict[str, Any], verbose: bool = False) -> Tuple[collections.Counter, List[str]]:
    counts: collections.Counter = collections.Counter()
    lines: List[str] = []
    for case in wire_cases.CASES:
        if case.id not in ibm["results"]:
            continue
        for variant, expected in ibm["results"][case.id].items():
            actual = ours["results"].get(case.id, {}).get(variant)
            if actual is None:
                counts["DIFF"] += 1
                lines.append("DIFF      %-58s %-24s not run on our side" % (case.id, variant))
                continue
            status, items = capture.classify(case.id, variant, expected, actual)
            counts[status] += 1
            if status == "PASS" and not verbose:
                continue
            lines.append("%-9s %-58s %s" % (status, case.id, variant))
            for field, text, reason in items:
                lines.append("      %s: %s" % (field, text))
                if reason:
                    lines.append("          %s" % (reason if reason.startswith("PENDING") else "allowed: " + reason))
    for variant, expected in ibm.get("iam_requests", {}).items():
        actual = ours.get("iam_requests", {}).get(variant)
        if expected != actual:
            counts["DIFF"] += 1
            lines.append("DIFF      IAM token request                                          %s\n      ibm=%s\n      ours=%s" % (variant, expected, actual))
        else:
            counts["PASS"] += 1
    return counts, lines


def write_snapshot(ibm: Dict[str, Any]) -> None:
    """One case per line, so that a regenerated snapshot diffs readably."""
    snapshot = capture.strip_for_snapshot(ibm)
    cases = snapshot.pop("cases")
    with open(SNAPSHOT, "w", encoding="utf-8") as handle:
        handle.write("{\n")
        for key in sorted(snapshot):
            handle.write("%s: %s,\n" % (json.dumps(key), json.dumps(snapshot[key], ensure_ascii=False, sort_keys=True)))
        handle.write('"cases": {\n')
        names = sorted(cases)
        for index, name in enumerate(names):
            handle.write("%s: %s%s\n" % (json.dumps(name, ensure_ascii=False), json.dumps(cases[name], ensure_ascii=False, sort_keys=True),
                                         "," if index + 1 < len(names) else ""))
        handle.write("}\n}\n")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ibm-python", help="a Python with ibm-cos-sdk 2.16.2 installed (default: $IBM_COS_SDK_PYTHON, else a temp venv)")
    parser.add_argument("--case", action="append", help="fnmatch pattern of case ids (repeatable)")
    parser.add_argument("--variant", action="append", help="fnmatch pattern of variants (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="list passing cases too")
    parser.add_argument("--update-snapshot", action="store_true", help="write %s from the ibm-cos-sdk run" % os.path.basename(SNAPSHOT))
    args = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="wire-compare-")
    try:
        python, how = find_ibm_python(args.ibm_python, workdir)
        if python is not None and not has_ibm_cos_sdk(python, workdir):
            how = "%s cannot import ibm_boto3 with -I" % python
            python = None
        if python is None:
            print("SKIP: no ibm-cos-sdk interpreter available (%s)" % how)
            return 0
        print("ibm-cos-sdk side: %s" % how)
        ibm = run_side(python, "ibm", workdir, args.case, args.variant)
        ours = run_side(sys.executable, "ours", workdir, args.case, args.variant)
        print("ibm-cos-sdk %s from %s; ours from %s" % (ibm["sdk_version"], ibm["sdk_location"], ours["sdk_location"]))
        counts, lines = compare(ibm, ours, args.verbose)
        for line in lines:
            print(line)
        total = sum(counts.values())
        print("\n%d cases, %d comparisons (case x client variant, plus the IAM token requests): %s" % (
            len(ibm["results"]), total, ", ".join("%s %d" % (k, counts[k]) for k in ("PASS", "DIFF", "ALLOWED", "PENDING", "OURS-ONLY", "OURS-ONLY-FAIL", "SKIPPED") if counts[k])))
        if args.update_snapshot:
            if args.case or args.variant:
                print("not writing the snapshot from a partial run (drop --case/--variant)")
            else:
                write_snapshot(ibm)
                print("wrote %s" % SNAPSHOT)
        return 1 if counts["DIFF"] or counts["OURS-ONLY-FAIL"] else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
