"""What the benchmarks found, as rows; and those rows as a terminal table, Markdown and a PNG chart.

Nothing is measured here: the other modules make the `Row`s, this one only lays them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .stats import Stats

RATIO: Final = "\u00d7"
"""The unit of ratios: the multiplication sign (escaped, as ruff rightly flags look-alike letters)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One figure of the report.

    `budget` is the upper bound the README's Benchmarks section sets, in the row's own unit (met
    when the median is at or under it, and `condition` is not False). `panel` names the chart
    panel that draws the row as a bar; rows with a budget are also drawn, as a fraction of it,
    in the chart's summary panel. `note` says how the figure was made where the label cannot
    (shown under the Markdown table).
    """

    section: str
    label: str
    stats: Stats
    unit: str
    budget: float | None = None
    panel: str | None = None
    note: str = ""
    short: str = ""
    """A shorter label for the chart; `label` when empty."""
    ours: bool = False
    """This project's code (drawn in the accent colour), rather than a yardstick."""
    condition: bool | None = None
    """What the budget needs besides the figure (e.g. a hostile call refused every time); None: nothing."""

    @property
    def met(self) -> bool | None:
        if self.budget is None:
            return None
        return self.stats.median <= self.budget and self.condition is not False

    @property
    def verdict(self) -> str:
        return {None: "", True: "met", False: "MISSED"}[self.met]

    @property
    def budget_text(self) -> str:
        return "" if self.budget is None else f"≤ {self.budget:g} {self.unit}"


def _number(value: float) -> str:
    """Three significant figures, without a trailing `.0` on whole numbers."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


HEADER = ("section", "measure", "median", "min", "max", "n", "budget", "")


def _cells(row: Row) -> tuple[str, ...]:
    s = row.stats
    return (
        row.section,
        row.label,
        f"{_number(s.median)} {row.unit}",
        _number(s.low),
        _number(s.high),
        str(s.n),
        row.budget_text,
        row.verdict,
    )


def table(rows: Sequence[Row]) -> str:
    """A plain-text table for the terminal."""
    lines = [HEADER, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def markdown_table(rows: Sequence[Row]) -> str:
    head = "| section | measure | median | min | max | runs | budget | |"
    rule = "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"
    body = []
    for row in rows:
        cells = list(_cells(row))
        cells[7] = {None: "", True: "✅ met", False: "❌ missed"}[row.met]
        body.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join([head, rule, *body])


def markdown(rows: Sequence[Row], context: Sequence[str], notes: Sequence[str]) -> str:
    """`bench/results.md`: how the run was made, the table, and what each row means."""
    parts = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); see the README's Benchmarks section for what each "
        "row measures. Medians of repeated rounds with their min and max; every ratio is taken round "
        "by round between variants run interleaved in the same process, so machine noise cancels.",
        "",
        *[f"- {line}" for line in context],
        "",
        markdown_table(rows),
        "",
        "![benchmarks](results.png)",
    ]
    if notes:
        parts += ["", "## Notes", "", *[f"- {note}" for note in notes]]
    return "\n".join(parts) + "\n"


def write(rows: Sequence[Row], context: Sequence[str], notes: Sequence[str], folder: Path) -> list[Path]:
    """Write `results.md` and `results.png` into `folder`; return their paths."""
    from .chart import draw  # matplotlib is slow to import; only the writing run needs it

    folder.mkdir(parents=True, exist_ok=True)
    md = folder / "results.md"
    md.write_text(markdown(rows, context, notes), encoding="utf-8")
    png = folder / "results.png"
    draw(rows, png)
    return [md, png]
