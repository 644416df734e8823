"""Summaries of repeated measurements, and the interleaving that lets ratios cancel machine noise.

Every figure of the report is a `Stats`: the median of several rounds with the smallest and the
largest. Ratios are taken round by round (variant A of round 3 over variant B of round 3), never
as a ratio of two medians, so a slow moment of the machine hits both sides of one ratio.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Stats:
    """Median, min and max of `n` rounds, in whatever unit the values were given."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        if not values:
            raise ValueError("no measurements to summarise")
        return cls(statistics.median(values), min(values), max(values), len(values))

    def scaled(self, factor: float) -> Stats:
        """The same figures in another unit (e.g. seconds to microseconds)."""
        return Stats(self.median * factor, self.low * factor, self.high * factor, self.n)


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Round-by-round ratios of two interleaved series."""
    return [a / b for a, b in zip(numerators, denominators, strict=True)]


def differences(minuends: Sequence[float], subtrahends: Sequence[float]) -> list[float]:
    """Round-by-round differences of two interleaved series."""
    return [a - b for a, b in zip(minuends, subtrahends, strict=True)]


async def interleave(
    rounds: int, variants: Mapping[str, Callable[[int], Awaitable[float]]]
) -> dict[str, list[float]]:
    """Run every variant once per round and collect what each returns (a time, a size, ...).

    The starting variant rotates from round to round, so whichever runs first (with a colder
    cache, or right after a garbage collection) is not always the same one. Each variant is
    given the round number, e.g. to pick the same seed for both sides of a comparison.
    """
    names = list(variants)
    results: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            # A collection left over from the previous variant must not land in this one's time.
            gc.collect()
            results[name].append(await variants[name](round_no))
    return results


async def per_call_seconds(call: Callable[[], Awaitable[object]], calls: int) -> float:
    """Mean wall time of `calls` sequential awaits of `call`."""
    started = time.perf_counter()
    for _ in range(calls):
        await call()
    return (time.perf_counter() - started) / calls
