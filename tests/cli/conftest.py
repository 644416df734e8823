"""Fixtures of the command line's tests: one emulator for the session, a fresh clock, transport and folder per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_support import SECRET_KEY, CountingTransport, FakeClock, Result

from siliconflow_emulator import EmulatorSettings, Faults, RunningEmulator, run_in_thread
from siliconflow_images.cli import run


@pytest.fixture(scope="session")
def running_emulator() -> Iterator[RunningEmulator]:
    with run_in_thread(EmulatorSettings(api_keys=frozenset({SECRET_KEY}))) as emulator:
        yield emulator


@pytest.fixture
def emulator(running_emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    yield running_emulator
    # The app reads its settings on every request: putting them back isolates the next test.
    running_emulator.settings.faults = Faults()
    running_emulator.settings.api_keys = frozenset({SECRET_KEY})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def transport() -> CountingTransport:
    return CountingTransport()


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: RunningEmulator) -> Path:
    """The test's working folder, with an environment that points at the emulator."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SILICONFLOW_API_KEY", SECRET_KEY)
    monkeypatch.setenv("SILICONFLOW_BASE_URL", emulator.base_url)
    for name in ("NO_COLOR", "COLUMNS"):  # every SILICONFLOW_* is cleared by tests/conftest.py
        monkeypatch.delenv(name, raising=False)
    return work


@pytest.fixture
def cli(
    cwd: Path, capsys: pytest.CaptureFixture[str], clock: FakeClock, transport: CountingTransport
) -> Callable[..., Result]:
    """Run the command in this process, on the fake clock and the counting transport."""

    def invoke(*args: str, via: CountingTransport | None = None) -> Result:
        code = run(list(args), clock=clock, transport=via or transport)
        captured = capsys.readouterr()
        result = Result(code, captured.out, captured.err)
        for piece in (SECRET_KEY[i : i + 8] for i in range(len(SECRET_KEY) - 7)):
            assert piece not in result.out + result.err, "a piece of the API key was printed"
        return result

    return invoke
