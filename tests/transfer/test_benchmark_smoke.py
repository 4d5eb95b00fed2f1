"""Smoke run of benchmarks/transfer.py: the benchmark works end to end (no figures asserted)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_transfer_benchmark_quick_run(tmp_path, tls):
    if tls and shutil.which("openssl") is None:
        pytest.skip("--tls makes its certificate with the openssl command")
    env = {k: v for k, v in os.environ.items() if k != "IBM_COS_SDK_PYTHON"}
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, "benchmarks", "transfer.py"), "--quick", "--json", str(out), "--tmpdir", str(tmp_path)]
        + (["--tls"] if tls else []),
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ("backend responder at https://" in proc.stdout) == tls, proc.stdout
    for line in ("upload          MB/s", "upload          CPU-s/GiB", "download        peak RSS MB",
                 "download-etag   MB/s", "download-noetag CPU-s/GiB"):
        assert line in proc.stdout, proc.stdout
    data = json.loads(out.read_text())
    for op in ("upload", "download", "download-etag", "download-noetag"):
        sample = data["samples"]["ours"][op][0]
        assert sample["bytes"] == 32 * 1024 * 1024 and sample["cpu_s"] > 0 and sample["peak_rss_kib"] > 0
        assert os.path.realpath(sample["module"]).startswith(os.path.realpath(REPO))
    assert data["samples"]["ours"]["download"][0]["verified"] is True
    assert sorted(os.listdir(tmp_path)) == ["bench.json"]  # the generated files are removed
