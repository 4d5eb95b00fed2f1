"""The fuzz tests reuse the core tests' scripted loopback server."""
from __future__ import annotations

import os
import sys

CORE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "core")
if CORE not in sys.path:
    sys.path.insert(0, CORE)

try:
    import hypothesis  # noqa: F401  (the [test] extra installs it)
except ImportError:
    collect_ignore_glob = ["test_*.py"]
