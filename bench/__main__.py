"""`python -m bench [--quick] [--only SECTION ...] [--output DIR]`: run the benchmarks, print the table, write the report.

A full run writes `bench/results.md` and `bench/results.png`. A `--quick` run (fewer rounds)
writes into a fresh temporary folder and prints its path, so the committed results always
come from a full run; `--only` runs only the sections named and writes nothing. `--output`
sends either to the folder given.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import anyio

from . import (
    client_cost,
    cold_start,
    concurrency,
    inline_previews,
    mcp_roundtrip,
    memory,
    preview_lag,
    tools_list,
)
from .report import Row, table, write

SECTIONS = ("client", "mcp", "concurrency", "cold-start", "tools-list", "memory", "preview-lag")
BENCH_DIR = Path(__file__).resolve().parent
NOTES = (
    "The SDK over the mock is `AsyncSiliconFlow(transport=httpx.MockTransport(...))`: its retry "
    "transport, origin-scoped auth and response hook still run; only the socket is gone.",
    "openai 3.x sends through `httpx2`, not `httpx`: it gets `httpx2.MockTransport` with the same "
    "canned answer, and its own default retries (2), as a user would have it.",
    "The loopback client rows ask the emulator for 64x64 images, so rendering does not drown the clients.",
    "Photo-like images (`siliconflow-emulator --photo-like`) weigh about 1.6 bytes a pixel, like the "
    "API's: 1.7 MB at 1024x1024, 2.8 MB at 1328x1328.",
    "The floor of budget 2 makes its preview with the server's own `StreamingPreview`, fed by "
    "`AsyncGeneration.save(observe=...)`: the same technique as the server, so the ratio is what the "
    "server adds. The ratio against a floor that previews after the download is shown beside it.",
    "The budget-3 row uses the emulator's smooth placeholders: with photo-like images, drawing sixteen "
    "at once needs more CPU than a 2-core machine has in 0.5 s, and the emulator sets the wall time.",
    "Preview and tools/list sizes count 1 KB = 1000 characters, as `SILICONFLOW_PREVIEW_BYTES` does.",
    "Each emulator runs in its own process, so its rendering never holds the measuring process's GIL; "
    "faults (download rate, pixel bomb, extra URLs) are its command-line flags, one emulator per scenario.",
)


@dataclass(frozen=True, slots=True)
class Plan:
    """How many rounds each benchmark runs."""

    mock_rounds: int
    mock_calls: int
    loopback_rounds: int
    loopback_calls: int
    mcp_rounds: int
    concurrency_rounds: int
    concurrency_photo_rounds: int
    cold_rounds: int
    memory_runs: int
    lag_rounds: int


# Many short rounds rather than a few long ones: on a shared machine a burst of someone else's
# work then spoils a few rounds, which the median leaves out, instead of shifting every one.
FULL = Plan(
    mock_rounds=60,
    mock_calls=100,
    loopback_rounds=20,
    loopback_calls=40,
    mcp_rounds=40,
    concurrency_rounds=10,
    concurrency_photo_rounds=4,
    cold_rounds=12,
    memory_runs=3,
    lag_rounds=10,
)
QUICK = Plan(
    mock_rounds=10,
    mock_calls=100,
    loopback_rounds=5,
    loopback_calls=15,
    mcp_rounds=6,
    concurrency_rounds=3,
    concurrency_photo_rounds=1,
    cold_rounds=4,
    memory_runs=1,
    lag_rounds=3,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer rounds, a rough look; writes into a temporary folder, never bench/",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="run only this section (repeatable); nothing is written unless --output is given",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="folder for results.md and results.png (default: bench/ for a full run)",
    )
    return parser.parse_args(argv)


def output_folder(args: argparse.Namespace) -> Path | None:
    """Where this run's report goes: None to write nothing."""
    if args.output is not None:
        return Path(args.output)
    if args.only:
        return None
    if args.quick:
        return Path(tempfile.mkdtemp(prefix="sf-bench-quick-"))
    return BENCH_DIR


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
            rows += await client_cost.measure(
                plan.mock_rounds, plan.mock_calls, plan.loopback_rounds, plan.loopback_calls
            )
        elif section == "mcp":
            found, single = await mcp_roundtrip.measure(plan.mcp_rounds)
            rows += found
        elif section == "concurrency":
            rows += await concurrency.measure(plan.concurrency_rounds, photo_like=False)
            rows += await concurrency.measure(plan.concurrency_photo_rounds, photo_like=True)
        elif section == "cold-start":
            rows += await cold_start.measure(plan.cold_rounds)
        elif section == "tools-list":
            rows += await tools_list.measure()
        elif section == "memory":
            found, batch = await memory.measure(plan.memory_runs)
            rows += found
        elif section == "preview-lag":
            rows += await preview_lag.measure(plan.lag_rounds)
        _say(f"      done in {time.perf_counter() - started:.1f} s")
    rows += inline_previews.rows(single, batch, f"batch of {memory.BATCH} at {memory.SIZE}")
    return sorted(rows, key=lambda row: row.section.split(" ")[0])


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def context(plan: Plan, argv: list[str], seconds: float, load_before: str) -> list[str]:
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("mcp", "httpx", "httpx-retries", "openai", "httpx2", "pillow")
    )
    return [
        f"Run: `python -m bench{' ' if argv else ''}{' '.join(argv)}`, {seconds:.0f} s in all. Rounds: "
        f"client {plan.mock_rounds} of {plan.mock_calls} mock calls and {plan.loopback_rounds} of "
        f"{plan.loopback_calls} loopback calls, "
        f"MCP call {plan.mcp_rounds}, concurrency {plan.concurrency_rounds} (photo-like "
        f"{plan.concurrency_photo_rounds}), cold start {plan.cold_rounds}, memory {plan.memory_runs} fresh "
        f"servers per case, preview lag {plan.lag_rounds}.",
        f"Machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average {load_before} before the run, {_load()} after.",
        f"Packages: {packages}.",
    ]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    sections = tuple(dict.fromkeys(args.only)) if args.only else SECTIONS
    load_before = _load()
    started = time.perf_counter()
    rows = anyio.run(run, plan, sections)
    seconds = time.perf_counter() - started
    print(table(rows))
    budgeted = [row for row in rows if row.met is not None]
    missed = [row for row in budgeted if not row.met]
    print(
        f"\n{len(rows)} rows, {len(budgeted) - len(missed)} budgets met, {len(missed)} missed ({seconds:.0f} s)."
    )
    folder = output_folder(args)
    if folder is None:
        print("--only: nothing written (give --output DIR to keep this run's report)")
        return
    notes = [*NOTES, *(f"{row.label}: {row.note}." for row in rows if row.note)]
    for path in write(rows, context(plan, argv, seconds, load_before), notes, folder):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
