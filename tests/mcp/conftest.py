"""Fixtures of the MCP tests; helpers live in mcp_support.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mcp_support import SECRET_KEY

from siliconflow_emulator import EmulatorSettings, Faults, run_in_thread
from siliconflow_emulator.running import RunningEmulator


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    # Module scope, so one server process can serve a whole module's tests.
    return "asyncio"


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    settings = EmulatorSettings(
        api_keys=frozenset({SECRET_KEY}), image_ttl=3600.0, faults=Faults(retry_after=1)
    )
    with run_in_thread(settings, host="127.0.0.1", port=0) as running:
        yield running
