"""Smoke run of benchmarks/calls.py: proves the benchmark works, measures nothing.

Runs ``benchmarks/calls.py --quick`` with the current interpreter (our SDK only,
no ibm-cos-sdk interpreter) and checks that it exits 0 and prints a figure line
for every workload.  The figures themselves are not asserted: timing belongs to
the benchmark, not to the test suite.
"""

import json
import os
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CALLS = os.path.join(REPO_ROOT, "benchmarks", "calls.py")

FIGURE_LINES = [
    "import ibm_boto3 (ms)",
    "first client() (ms)",
    "import + first client (ms)",
    "head_object CPU/call (us)",
    "put_object 1 KiB CPU/call (us)",
    "get_object 1 KiB CPU/call (us)",
    "list_objects_v2 1000 keys CPU/call (us)",
]


def test_benchmark_quick_run(tmp_path):
    env = dict(os.environ)
    env.pop("IBM_COS_SDK_PYTHON", None)  # ours only, whatever the CI environment has
    out_json = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, CALLS, "--quick", "--json", str(out_json)],
        cwd=str(tmp_path),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        timeout=55,
    )
    report = "stdout:\n%s\nstderr:\n%s" % (proc.stdout, proc.stderr)
    assert proc.returncode == 0, report

    lines = proc.stdout.splitlines()
    for figure in FIGURE_LINES:
        matching = [line for line in lines if line.startswith(figure)]
        assert matching, "no %r line\n%s" % (figure, report)
        value = matching[0][len(figure):].split()[0]
        assert value != "-" and float(value) > 0, "%r has no value\n%s" % (figure, report)

    # which ibm_boto3 was measured is printed up front
    assert "ibm_boto3 per side" in proc.stdout, report

    data = json.loads(out_json.read_text())
    medians = data["backends"]["responder"]["medians"]["ours"]
    for workload in ("head", "put", "get", "list"):
        assert medians["%s.cpu_us_per_call" % workload] > 0
        assert medians["%s.calls_per_s" % workload] > 0
