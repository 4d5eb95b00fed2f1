"""Smoke run of benchmarks/directories.py --quick (ours only): proves the script works and
that its downloads verify; the figures are not asserted (timing belongs to the benchmark)."""
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_directories_benchmark_quick_run(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("IBM_COS_SDK_PYTHON", "S5CMD")}
    env["PATH"] = os.path.dirname(sys.executable)  # no s5cmd: ours only
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, os.path.join(REPO, "benchmarks", "directories.py"), "--quick", "--json", str(out)],
                          cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    medians = json.loads(out.read_text())["medians"]["ours"]
    for workload in ("small", "large"):
        for op in ("upload", "download"):
            assert medians[workload][op]["files/s"] > 0
