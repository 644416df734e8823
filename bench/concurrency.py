"""Budget 3: 1, 4 and 16 concurrent `generate_image` calls at 0.5 s emulated inference each.

The emulator sleeps 0.5 s per request (20 steps x 25 ms) while it draws the picture, so with
enough cores every request takes about as long as one; what the wall time grows by is work
that does not overlap. One `siliconflow-images mcp` over stdio serves all calls of a round, as
a desktop client's single server would. The images are 1024x1024 Kolors pictures, smooth
placeholders (the emulator's default) unless `photo_like`: on a small machine, drawing sixteen
photo-like PNGs at once outlasts the 0.5 s of inference, and the emulator's own CPU, not the
server, then sets the wall time (the raw rows below show how much).

The same rounds also make 1 and 16 concurrent raw httpx calls (POST, then GET of the image,
nothing saved or previewed) to the same emulator: how much of the growth belongs to the
emulator and this machine rather than to the server. The CPU time the server and the emulator
spend per call is read from the kernel around every variant, to show what the cores must do.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import anyio
import httpx

from . import direct
from .mcp_roundtrip import SIZE, check, tool_arguments
from .processes import (
    API_KEY,
    SERVER_MODULE,
    EmulatorFlags,
    child_pid,
    cpu_seconds,
    emulator,
    siliconflow_images_mcp,
)
from .report import RATIO, Row
from .stats import Stats, differences, interleave, ratios

STEPS = 20
INFERENCE_SECONDS = 0.5
LEVELS = (1, 4, 16)

OneCall = Callable[[int], Coroutine[Any, Any, None]]


async def _together(count: int, one: OneCall, first_seed: int) -> float:
    """Wall time of `count` calls started at once; each gets its own seed, so nothing is cached."""
    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for i in range(count):
            group.start_soon(one, first_seed + i)
    return time.perf_counter() - started


class _CpuLog:
    """CPU milliseconds per call of the server and the emulator, summed over each round.

    The kernel counts CPU time in ticks of 10 ms, too coarse for one call: a round's total
    over all its variants (21 MCP calls, 38 generations) is fine enough.
    """

    def __init__(self, server_pid: int, emulator_pid: int) -> None:
        self.pids = {"server": server_pid, "emulator": emulator_pid}
        self.seconds: dict[str, dict[int, float]] = {"server": {}, "emulator": {}}
        self.calls: dict[str, dict[int, int]] = {"server": {}, "emulator": {}}

    def variant(self, one: OneCall, count: int, via_server: bool) -> Callable[[int], Awaitable[float]]:
        async def run(round_no: int) -> float:
            before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
            wall = await _together(count, one, first_seed=round_no * 1000 + count * 10)
            for name, pid in self.pids.items():
                if name == "emulator" or via_server:
                    spent = cpu_seconds(pid) - before[name]
                    self.seconds[name][round_no] = self.seconds[name].get(round_no, 0.0) + spent
                    self.calls[name][round_no] = self.calls[name].get(round_no, 0) + count
            return wall

        return run

    def per_call_ms(self, name: str) -> list[float]:
        return [1e3 * spent / self.calls[name][n] for n, spent in self.seconds[name].items()]


async def measure(rounds: int, photo_like: bool = False) -> list[Row]:
    kind = "photo-like" if photo_like else "smooth placeholder"
    section = f"3 concurrency, 0.5 s inference, {kind}"
    panel = f"Concurrent generate_image, 0.5 s inference, {kind} (s)"
    flags = EmulatorFlags(photo_like=photo_like, step_latency=INFERENCE_SECONDS / STEPS)
    with emulator(flags) as running:
        async with (
            siliconflow_images_mcp(running.base_url) as (mcp, _),
            httpx.AsyncClient(
                base_url=running.base_url,
                headers={"Authorization": f"Bearer {API_KEY}"},
                timeout=60,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            ) as raw,
        ):

            async def via_mcp(seed: int) -> None:
                arguments = tool_arguments(seed=seed, num_inference_steps=STEPS)
                check(await mcp.call_tool("generate_image", arguments))

            async def via_raw(seed: int) -> None:
                body = {
                    "model": direct.MODEL,
                    "prompt": direct.PROMPT,
                    "image_size": SIZE,
                    "seed": seed,
                    "num_inference_steps": STEPS,
                }
                answer = (await raw.post("/images/generations", json=body)).raise_for_status().json()
                (await raw.get(answer["images"][0]["url"])).raise_for_status()

            # Open enough connections and warm both sides before anything is timed.
            await _together(16, via_mcp, first_seed=999_000)
            await _together(16, via_raw, first_seed=998_000)
            cpu = _CpuLog(child_pid(SERVER_MODULE), running.pid)
            series = await interleave(
                rounds,
                {
                    **{f"mcp{n}": cpu.variant(via_mcp, n, via_server=True) for n in LEVELS},
                    "raw1": cpu.variant(via_raw, 1, via_server=False),
                    "raw16": cpu.variant(via_raw, 16, via_server=False),
                },
            )
    mcp1, mcp16, raw1, raw16 = series["mcp1"], series["mcp16"], series["raw1"], series["raw16"]
    # The growth of 16 MCP calls over one, less the growth of 16 raw calls over one raw call:
    # what remains once the emulator's own slowdown under load is taken out.
    net = [
        1 + (growth - emulator_growth) / one
        for growth, emulator_growth, one in zip(
            differences(mcp16, mcp1), differences(raw16, raw1), mcp1, strict=True
        )
    ]
    rows = [
        Row(
            section,
            f"{n} concurrent via siliconflow-images mcp (wall)",
            Stats.of(series[f"mcp{n}"]),
            "s",
            panel=panel,
            ours=True,
        )
        for n in LEVELS
    ]
    rows += [
        Row(section, "1 raw httpx POST + GET (wall)", Stats.of(raw1), "s", panel=panel),
        Row(section, "16 concurrent raw httpx POST + GET (wall)", Stats.of(raw16), "s", panel=panel),
        Row(section, "MCP: 4 calls / 1 call", Stats.of(ratios(series["mcp4"], mcp1)), RATIO),
        Row(
            section,
            "MCP: 16 calls / 1 call",
            Stats.of(ratios(mcp16, mcp1)),
            RATIO,
            budget=None if photo_like else 1.3,
            short=f"16 concurrent calls / 1 call (MCP, {kind})",
        ),
        Row(
            section,
            "raw httpx: 16 calls / 1 call (the emulator's own growth)",
            Stats.of(ratios(raw16, raw1)),
            RATIO,
        ),
        Row(section, "MCP: 16 calls / 1 call, net of the emulator's growth", Stats.of(net), RATIO),
        Row(
            section,
            "siliconflow-images mcp CPU per generate_image",
            Stats.of(cpu.per_call_ms("server")),
            "ms",
        ),
        Row(
            section,
            "emulator CPU per generation (draw, encode, serve)",
            Stats.of(cpu.per_call_ms("emulator")),
            "ms",
        ),
    ]
    return rows
