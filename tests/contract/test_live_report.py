"""The live run's report covers exactly the cases that ran, whatever their order or selection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = """
def test_agrees(live_report):
    live_report.checked += 1


def test_disagrees(live_report):
    live_report.checked += 1
    live_report.findings.append("POST /images/generations answered HTTP 500")


def test_unrelated():
    pass
"""


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_cases.py").write_text(CASES)
    # Without the installed plugins (schemathesis, hypothesis...), each run starts in a fraction of the time.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "live_report", "-p", "no:cacheprovider", "-q", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_disagreement_fails_the_run_and_is_reported(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "disagree in 1 of 2 case(s)" in result.stdout
    assert "1 disagreement(s) in 2 case(s)" in result.stdout
    assert "answered HTTP 500" in result.stdout


def test_order_does_not_hide_a_disagreement(tmp_path: Path) -> None:
    # The disagreeing case first: the old report had to run last to see anything.
    result = run(tmp_path, "test_cases.py::test_disagrees", "test_cases.py::test_agrees")
    assert result.returncode == 1, result.stdout
    assert "answered HTTP 500" in result.stdout and "no disagreement" not in result.stdout


def test_only_agreeing_cases_say_so(tmp_path: Path) -> None:
    result = run(tmp_path, "-k", "test_agrees")
    assert result.returncode == 0, result.stdout
    assert "1 case(s) checked: no disagreement found." in result.stdout


def test_no_live_case_run_claims_nothing(tmp_path: Path) -> None:
    # The old report test, run alone, said "no disagreement found" having checked nothing.
    result = run(tmp_path, "-k", "unrelated")
    assert result.returncode == 0, result.stdout
    assert "disagreement" not in result.stdout
