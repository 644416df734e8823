"""The live run's report, for tests/contract/test_live.py (see live_report.py)."""

from live_report import live_report, pytest_terminal_summary

__all__ = ["live_report", "pytest_terminal_summary"]
