"""The fuzz tests reuse the core tests' scripted loopback server."""
from __future__ import annotations

import os
import sys

import pytest

CORE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "core")
if CORE not in sys.path:
    sys.path.insert(0, CORE)

pytest.importorskip("hypothesis")
