"""`python -m bench [--quick] [--only SECTION ...]`: run the benchmarks, print the table, write the report."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import anyio

from . import client_cost, cold_start, concurrency, mcp_roundtrip, memory
from .report import Row, table, write

SECTIONS = ("client", "mcp", "concurrency", "cold-start", "memory")
NOTES = (
    "openai 3.x sends through `httpx2`, not `httpx`: it gets `httpx2.MockTransport` with the same "
    "canned answer, and its own default retries (2), as a user would have it.",
    "The loopback rows ask the emulator for 64x64 images, so rendering does not drown the clients.",
    "Preview sizes count base64 characters (1 KB = 1000), as `SILICONFLOW_PREVIEW_BYTES` does.",
    "The emulator runs in its own process, so its rendering never holds the measuring process's GIL.",
)


@dataclass(frozen=True, slots=True)
class Plan:
    """How many rounds each benchmark runs."""

    client_rounds: int
    mock_calls: int
    loopback_calls: int
    mcp_rounds: int
    concurrency_rounds: int
    cold_rounds: int
    memory_runs: int


FULL = Plan(
    client_rounds=20,
    mock_calls=300,
    loopback_calls=40,
    mcp_rounds=30,
    concurrency_rounds=10,
    cold_rounds=12,
    memory_runs=3,
)
QUICK = Plan(
    client_rounds=5,
    mock_calls=100,
    loopback_calls=15,
    mcp_rounds=8,
    concurrency_rounds=3,
    cold_rounds=4,
    memory_runs=1,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds: a rough look in about half a minute"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="run only this section (repeatable); nothing is written then",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="folder for results.md and results.png (default: bench/)",
    )
    return parser.parse_args(argv)


def _say(text: str) -> None:
    # stdout carries the table; progress goes to stderr.
    print(text, file=sys.stderr, flush=True)


async def run(plan: Plan, sections: tuple[str, ...]) -> list[Row]:
    rows: list[Row] = []
    single: list[int] = []
    batch: list[int] = []
    for n, section in enumerate(sections, 1):
        _say(f"[{n}/{len(sections)}] {section} ...")
        started = time.perf_counter()
        if section == "client":
            rows += await client_cost.measure(plan.client_rounds, plan.mock_calls, plan.loopback_calls)
        elif section == "mcp":
            found, single = await mcp_roundtrip.measure(plan.mcp_rounds)
            rows += found
        elif section == "concurrency":
            rows += await concurrency.measure(plan.concurrency_rounds)
        elif section == "cold-start":
            rows += await cold_start.measure(plan.cold_rounds)
        elif section == "memory":
            found, batch = await memory.measure(plan.memory_runs)
            rows += found
        _say(f"      done in {time.perf_counter() - started:.1f} s")
    if single and batch:
        rows += memory.preview_rows(single, batch)
    return rows


def context(plan: Plan, quick: bool, seconds: float) -> list[str]:
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("mcp", "httpx", "httpx-retries", "openai", "httpx2", "pillow")
    )
    return [
        f"Run: `python -m bench{' --quick' if quick else ''}`, {seconds:.0f} s in all. Rounds: client "
        f"{plan.client_rounds} (of {plan.mock_calls} mock and {plan.loopback_calls} loopback calls), "
        f"MCP call {plan.mcp_rounds}, concurrency {plan.concurrency_rounds}, cold start "
        f"{plan.cold_rounds}, memory {plan.memory_runs} fresh servers.",
        f"Machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}.",
        f"Packages: {packages}.",
    ]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    sections = tuple(args.only) if args.only else SECTIONS
    started = time.perf_counter()
    rows = anyio.run(run, plan, sections)
    seconds = time.perf_counter() - started
    print(table(rows))
    missed = [row for row in rows if row.met is False]
    print(
        f"\n{len(rows) - len(missed)} rows, {sum(row.met is True for row in rows)} budgets met, {len(missed)} missed ({seconds:.0f} s)."
    )
    if args.only:
        return
    notes = [*NOTES, *(f"{row.label}: {row.note}." for row in rows if row.note)]
    for path in write(rows, context(plan, args.quick, seconds), notes, args.output):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
