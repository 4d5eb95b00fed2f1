"""benchmarks/cli.py --quick runs (ours only, tiny sizes): the script works; figures are not checked."""
from __future__ import annotations

import os
import subprocess
import sys

from cli_support import REPO


def test_cli_benchmark_quick():
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run([sys.executable, os.path.join(REPO, "benchmarks", "cli.py"), "--quick", "--s5cmd", "",
                           "--aws", ""], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert "| small (50 × 64 KiB) | cp up |" in out and "| large (2 × 16 MiB) | resync down |" in out
