"""`bench/results.png`: one panel per comparison, and one that puts every budget on the same scale.

Nothing is measured here: it draws the rows the other modules made. Bars are medians, whiskers
run from the min to the max of the rounds. This project's code (the SDK, siliconflow-images mcp,
its streaming preview) is drawn in the accent colour, yardsticks in grey. In the budget panel
each figure is divided by its budget, so 1.0 is the limit whatever the unit.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: write files only

# The backend is chosen above, before pyplot is first imported.
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from .report import Row

OURS = "#2563eb"
YARDSTICK = "#9ca3af"
MET = "#16a34a"
MISSED = "#dc2626"
INK = "#111827"


def _wrap(text: str, width: int = 30) -> str:
    return "\n".join(textwrap.wrap(text.strip(), width, break_long_words=False)) or text


def _value(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _bars(ax: Axes, title: str, rows: Sequence[Row]) -> None:
    labels = [_wrap(row.short or row.label) for row in rows]
    medians = [row.stats.median for row in rows]
    below = [row.stats.median - row.stats.low for row in rows]
    above = [row.stats.high - row.stats.median for row in rows]
    colours = [OURS if row.ours else YARDSTICK for row in rows]
    positions = list(range(len(rows)))[::-1]  # first row on top
    ax.barh(
        positions,
        medians,
        color=colours,
        height=0.6,
        xerr=[below, above],
        error_kw={"ecolor": INK, "capsize": 3, "lw": 1},
    )
    ax.set_yticks(positions, labels, fontsize=8.5)
    ax.set_title(_wrap(title, 48), fontsize=10.5, loc="left", color=INK)
    ceiling = max(row.stats.high for row in rows)
    ax.set_xlim(0, ceiling * 1.3)
    for position, row in zip(positions, rows, strict=True):
        ax.text(
            row.stats.high + ceiling * 0.03,
            position,
            _value(row.stats.median),
            va="center",
            fontsize=8.5,
            color=INK,
        )
    _tidy(ax)


def _budgets(ax: Axes, rows: Sequence[Row]) -> None:
    assert all(row.budget for row in rows)
    labels = [_wrap(row.short or row.label, 34) for row in rows]
    fractions = [row.stats.median / (row.budget or 1) for row in rows]
    below = [(row.stats.median - row.stats.low) / (row.budget or 1) for row in rows]
    above = [(row.stats.high - row.stats.median) / (row.budget or 1) for row in rows]
    colours = [MET if row.met else MISSED for row in rows]
    positions = list(range(len(rows)))[::-1]
    ax.barh(
        positions,
        fractions,
        color=colours,
        height=0.6,
        xerr=[below, above],
        error_kw={"ecolor": INK, "capsize": 3, "lw": 1},
    )
    ax.axvline(1.0, color=INK, linestyle="--", linewidth=1)
    ax.set_yticks(positions, labels, fontsize=8.5)
    ax.set_title("Every budget: measured / budget (≤ 1 is met)", fontsize=10.5, loc="left", color=INK)
    ceiling = max(1.0, *((row.stats.high / (row.budget or 1)) for row in rows))
    ax.set_xlim(0, ceiling * 1.35)
    for position, row in zip(positions, rows, strict=True):
        text = f"{_value(row.stats.median)} {row.unit} / {row.budget:g}"
        ax.text(
            row.stats.high / (row.budget or 1) + ceiling * 0.03,
            position,
            text,
            va="center",
            fontsize=8,
            color=INK,
            # Keep the figure readable where it crosses the dashed budget line.
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
        )
    _tidy(ax)


def _tidy(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)


def draw(rows: Sequence[Row], path: Path) -> None:
    panels: dict[str, list[Row]] = {}
    for row in rows:
        if row.panel:
            panels.setdefault(row.panel, []).append(row)
    budgeted = [row for row in rows if row.budget is not None]
    count = len(panels) + (1 if budgeted else 0)
    columns = 2
    lines = -(-count // columns)
    fig, axes = plt.subplots(lines, columns, figsize=(13, 3.4 * lines), squeeze=False)
    flat = list(axes.flat)
    for ax, (title, members) in zip(flat, panels.items(), strict=False):
        _bars(ax, title, members)
    if budgeted:
        _budgets(flat[len(panels)], budgeted)
    for ax in flat[count:]:
        ax.set_visible(False)
    fig.suptitle("siliconflow-images: make bench", fontsize=13, x=0.01, ha="left", color=INK)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
