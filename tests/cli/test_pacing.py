"""The pacer alone, on the fake clock: turns at the asked pace, pauses and slowdowns after 429s."""

from __future__ import annotations

import pytest
from cli_support import FakeClock

from siliconflow_images.cli.pacing import FASTEST_AFTER_429, SLOWEST, Gate, Pacer

pytestmark = pytest.mark.anyio


async def test_turns_follow_the_asked_pace() -> None:
    clock = FakeClock()
    pacer = Pacer(clock, ipm=20)
    starts = []
    for images in (1, 4, 1):
        await pacer.wait(Gate(images))
        starts.append(clock.now - 1000)

    # 3 s per image: a call of four images holds the next one back 12 s.
    assert starts == [0, 3, 15]


async def test_unpaced_until_a_429_then_paused_and_slowed_once_per_burst() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    await pacer.wait(Gate())
    await pacer.wait(Gate())
    assert clock.slept == 0

    for _ in range(5):  # five calls under way meet the same limit at once
        pacer.saw_rate_limit(retry_after=7)

    assert pacer.rate_limited == 5 and pacer.slowdowns == 1
    assert pacer.interval == FASTEST_AFTER_429
    await pacer.wait(Gate())
    assert clock.slept == 7  # the Retry-After pause


async def test_slowdowns_double_up_to_a_floor_and_successes_recover() -> None:
    clock = FakeClock()
    pacer = Pacer(clock, ipm=30)
    for _ in range(10):
        pacer.saw_rate_limit(retry_after=None)
        clock.now += 120  # each 429 comes after the last pause ended: a new burst

    assert pacer.interval == SLOWEST
    for _ in range(100):
        pacer.saw_success()
    assert pacer.interval == 2.0  # back to the asked 30 a minute, never faster
