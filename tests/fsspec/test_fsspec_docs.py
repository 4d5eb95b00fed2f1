"""The examples of docs/fsspec.md run as written (against the emulator they start)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("fsspec")
pytest.importorskip("moto")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "docs", "fsspec.md")


def blocks():
    with open(DOC, encoding="utf-8") as f:
        found = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert len(found) == 5
    return found


def run(args, tmp_path, **kwargs):
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=str(tmp_path), timeout=300,
                         **kwargs)
    assert out.returncode == 0, out.stderr[-4000:]
    return out.stdout


def test_fsspec_pandas_pyarrow_examples(tmp_path):
    out = run(["-"], tmp_path, input="\n".join(blocks()[:4]))
    assert "['demo-bucket/notes/big.bin', 'demo-bucket/notes/hello.txt']" in out
    assert "b'ell'" in out and "['demo-bucket/notes/hello.txt']" in out
    assert "Tokyo" in out and "21.25" in out
    assert re.search(r"2\s+3\s+2028\s+2025", out), out  # the 2025 partition, month 3


def test_dask_example(tmp_path):
    pytest.importorskip("distributed")
    script = tmp_path / "dask_example.py"
    script.write_text(blocks()[4])
    out = run([str(script)], tmp_path)
    assert "sensor" in out and "dask-bucket/readings-scaled/part.0.parquet" in out
