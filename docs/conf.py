"""Sphinx configuration of the documentation site (``python -m sphinx -W -b html docs docs/_build``).

Pages are Markdown (MyST). The API reference is generated at build time from the SDK's own
model files by ``_ext/cosref.py``; benchmark charts are drawn from ``benchmarks/results/`` by
``_ext/charts.py``. Every fenced ``python`` example on a page is run against the emulator by
``tests/docs/test_doc_examples.py``.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "_ext"))
sys.path.insert(0, os.path.dirname(HERE))

project = "ibm-cos-sdk (rebuilt)"
author = "the ibm-cos-sdk rebuild contributors"
copyright = "2026, " + author
release = "2.16.2"

extensions = ["myst_parser", "sphinx.ext.autodoc", "cosref", "charts"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
html_theme = "furo"
html_title = "IBM COS SDK for Python"
nitpicky = False
autodoc_member_order = "bysource"
