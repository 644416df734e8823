"""The live contract run's report: what SiliconFlow did that the spec does not allow, said once.

Disagreements are collected rather than raised, so that nothing is retried or shrunk (both would
send more paid requests). They gather in one session-scoped `live_report`, which fails the run
in its teardown if there are any, and the terminal summary prints them. No test has to run last:
with `-k` or in any order, the report covers exactly the cases that ran, and says nothing when
none did. Loaded by tests/contract/conftest.py, or with `-p live_report`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

REPORT = pytest.StashKey["LiveReport"]()


@dataclass
class LiveReport:
    title: str = "SiliconFlow against openapi/siliconflow.yaml"
    checked: int = 0
    """Cases sent and checked."""
    findings: list[str] = field(default_factory=list)
    """One entry per disagreeing case, already fit to print (no key in it)."""


@pytest.fixture(scope="session")
def live_report(request: pytest.FixtureRequest) -> Iterator[LiveReport]:
    report = LiveReport()
    request.config.stash[REPORT] = report
    yield report
    if report.findings:
        pytest.fail(
            f"SiliconFlow and the spec disagree in {len(report.findings)} of {report.checked} case(s); "
            "the report is in the summary at the end",
            pytrace=False,
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    report = config.stash.get(REPORT, None)
    if report is None or not report.checked:
        return  # no live case ran (skipped, deselected): there is nothing to vouch for
    terminalreporter.section(report.title)
    if not report.findings:
        terminalreporter.write_line(f"{report.checked} case(s) checked: no disagreement found.")
        return
    terminalreporter.write_line(f"{len(report.findings)} disagreement(s) in {report.checked} case(s)\n")
    terminalreporter.write_line("\n\n".join(report.findings))
