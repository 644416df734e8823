"""Fixtures of the security suite: one emulator per module, put back as it started after every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_support import SECRET_KEY, Folders

from siliconflow_emulator import EmulatorSettings, Faults, run_in_thread
from siliconflow_emulator.running import RunningEmulator


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def running_emulator() -> Iterator[RunningEmulator]:
    settings = EmulatorSettings(api_keys=frozenset({SECRET_KEY}), faults=Faults(retry_after=0))
    with run_in_thread(settings, host="127.0.0.1", port=0) as running:
        yield running


@pytest.fixture
def emulator(running_emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    yield running_emulator
    running_emulator.reset()


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return Folders.under(tmp_path)


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)
