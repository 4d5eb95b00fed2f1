"""pytest fixtures for code that talks to IBM COS (registered through the ``pytest11`` entry point).

``cos_emulator``
    A session-wide :class:`~ibm_cos_emulator.Emulator` on a free loopback port.
``cos_emulator_clean``
    The same emulator, wiped with ``reset()`` before the test (buckets, tokens, faults, clock).

moto is imported only when one of these fixtures is used, so having this plugin installed
costs nothing for test suites that do not use it.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest


@pytest.fixture(scope="session")
def cos_emulator() -> Iterator[Any]:
    from ibm_cos_emulator.server import Emulator

    emulator = Emulator()
    try:
        emulator.start()
    except RuntimeError as exc:  # moto[server] missing
        pytest.skip(str(exc))
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def cos_emulator_clean(cos_emulator: Any) -> Iterator[Any]:
    cos_emulator.reset()
    yield cos_emulator
    cos_emulator.faults.clear()
