"""Fixtures of the ``cos`` command-line tests (``emu``, ``client`` and ``bucket`` come from
tests/conftest.py): ``cos``, a runner of the real command with a private HOME."""
from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("moto")
pytest.importorskip("rich")

from cli_support import CosRunner  # noqa: E402


@pytest.fixture
def cos(emu: Any, tmp_path: Any) -> CosRunner:
    home = tmp_path / "home"
    home.mkdir()
    return CosRunner(emu, str(home))
