"""Chart data for the documentation site, written by the benchmark scripts.

A benchmark that takes ``--chart NAME`` calls :func:`save` with its medians; the result is
``benchmarks/results/NAME.json``, a small file in one format for every benchmark::

    {"title": "...", "measured": "2026-12-02, 2 cores, ...", "baseline": "ibm-cos-sdk",
     "sides": ["ours", "ibm-cos-sdk"],
     "rows": [{"label": "upload", "unit": "MB/s", "better": "higher",
               "values": {"ours": 1008.0, "ibm-cos-sdk": 427.0}}, ...]}

The documentation build (``docs/_ext/charts.py``) draws each file as a bar chart with
:func:`render` (matplotlib, from the ``docs`` extra): one group of bars per row, each bar the
side's value relative to the baseline side, labelled with the measured value.
"""
from __future__ import annotations

import datetime
import json
import os
import platform
from typing import Any, Dict, List, Optional, Sequence

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def row(label: str, unit: str, better: str, values: Dict[str, Optional[float]]) -> Dict[str, Any]:
    """One figure: ``better`` is ``"higher"`` or ``"lower"``; sides without a value are left out."""
    if better not in ("higher", "lower"):
        raise ValueError("better must be 'higher' or 'lower'")
    return {"label": label, "unit": unit, "better": better,
            "values": {side: float("%.4g" % v) for side, v in values.items() if v is not None}}


def save(name: str, title: str, sides: Sequence[str], rows: List[Dict[str, Any]], baseline: Optional[str] = None,
         note: str = "", directory: str = RESULTS) -> str:
    """Write ``directory/name.json`` and return its path."""
    os.makedirs(directory, exist_ok=True)
    data = {
        "title": title,
        "measured": "%s, %d cores, Python %s%s" % (datetime.date.today().isoformat(), os.cpu_count() or 0,
                                                 platform.python_version(), (", " + note) if note else ""),
        "baseline": baseline or (sides[1] if len(sides) > 1 else sides[0]),
        "sides": list(sides),
        "rows": rows,
    }
    path = os.path.join(directory, name + ".json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.write("\n")
    return path


def _label(value: float, unit: str) -> str:
    text = ("%.0f" % value) if value >= 100 else ("%.3g" % value)
    return "%s %s" % (text, unit)


def render(data: Dict[str, Any], png_path: str) -> None:
    """Draw one chart file as a PNG (matplotlib with the Agg backend, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sides = data["sides"]
    rows = [r for r in data["rows"] if data["baseline"] in r["values"]]
    height = 0.8 / max(1, len(sides))
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.45 * len(rows) * max(2, len(sides))))
    colours = ["#0f62fe", "#8d8d8d", "#24a148", "#da1e28", "#8a3ffc", "#ff832b"]
    for index, side in enumerate(sides):
        ys, xs, labels = [], [], []
        for position, item in enumerate(rows):
            if side not in item["values"]:
                continue
            value = item["values"][side]
            ys.append(position + index * height)
            xs.append(value / item["values"][data["baseline"]] if item["values"][data["baseline"]] else 0)
            labels.append(_label(value, item["unit"]))
        bars = ax.barh(ys, xs, height=height, label=side, color=colours[index % len(colours)])
        for bar, text in zip(bars, labels):
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, " " + text, va="center", fontsize=8)
    ax.set_yticks([p + height * (len(sides) - 1) / 2 for p in range(len(rows))])
    ax.set_yticklabels(["%s (%s is better)" % (r["label"], r["better"]) for r in rows], fontsize=9)
    ax.invert_yaxis()
    ax.axvline(1.0, color="#393939", linewidth=0.8)
    ax.set_xlabel("relative to %s (= 1.0)" % data["baseline"])
    ax.set_title("%s\n%s" % (data["title"], data["measured"]), fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=len(sides), fontsize=8, frameon=False)
    ax.set_xlim(0, max([1.0] + [bar.get_width() for bar in ax.patches]) * 1.3)
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)
    plt.close(fig)


def render_all(directory: str, out_dir: str) -> List[str]:
    """Render every ``*.json`` of ``directory`` into ``out_dir``; returns the chart names."""
    names = []
    os.makedirs(out_dir, exist_ok=True)
    for filename in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        if filename.endswith(".json"):
            with open(os.path.join(directory, filename), encoding="utf-8") as handle:
                data = json.load(handle)
            render(data, os.path.join(out_dir, filename[:-5] + ".png"))
            names.append(filename[:-5])
    return names
