"""Sphinx extension: draw the benchmark charts from ``benchmarks/results/*.json`` at build time.

The benchmark scripts write those files (``--chart NAME``; see ``benchmarks/charts.py``); this
extension renders each as ``_generated/charts/NAME.png`` under the docs, and pages include them
with ``![...](_generated/charts/NAME.png)``. A page that names a chart with no data file fails
the build (Sphinx warns about the missing image, and the build runs with ``-W``).
"""
from __future__ import annotations

import importlib.util
import os
from typing import Any, Dict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def _charts_module() -> Any:
    spec = importlib.util.spec_from_file_location("benchmark_charts", os.path.join(REPO, "benchmarks", "charts.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _on_builder_inited(app: Any) -> None:
    charts = _charts_module()
    charts.render_all(os.path.join(REPO, "benchmarks", "results"), os.path.join(app.srcdir, "_generated", "charts"))


def setup(app: Any) -> Dict[str, Any]:
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True, "version": "1"}
