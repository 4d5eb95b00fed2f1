"""Smoke run of benchmarks/fsspec.py --quick (ours only): the benchmark works; no figures asserted."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("fsspec")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_fsspec_benchmark_quick_run(tmp_path):
    workloads = "list,read_seq,read_random,write"
    try:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
        workloads += ",parquet"
    except ImportError:
        pass
    env = {k: v for k, v in os.environ.items() if k != "S3FS_PYTHON"}
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, os.path.join(REPO, "benchmarks", "fsspec.py"), "--quick",
                           "--workloads", workloads, "--json", str(out)],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for workload in workloads.split(","):
        assert any(line.startswith(workload + " ") for line in proc.stdout.splitlines()), proc.stdout
    samples = json.loads(out.read_text())["samples"]
    assert samples["list"]["ours"][0]["moved"] == 2500
    assert samples["write"]["ours"][0]["moved"] == 16 << 20
