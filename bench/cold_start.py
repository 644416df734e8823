"""Budget 4: from spawning `siliconflow-images mcp` to its answer to `tools/list`, next to a one-tool server.

Each round spawns both servers (in rotating order) with the MCP SDK's stdio client and times
from just before the spawn to the parsed `tools/list` answer: interpreter start, imports,
building the server, the `server/discover` handshake and the list. Shutting down is not timed.
The yardstick is `bench/minimal_server.py`, the smallest `MCPServer` with one tool, so importing
the MCP SDK (most of either start) cancels out of the ratio. The API is never contacted.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from .processes import MINIMAL_MODULE, SERVER_MODULE, mcp_server, server_env
from .report import RATIO, Row
from .stats import Stats, interleave, ratios

SECTION = "4 cold start to tools/list"
PANEL = "Cold start: spawn to answered tools/list (ms)"
# Never contacted: listing tools must not need the network.
UNREACHABLE_API = "http://127.0.0.1:9/v1"


async def _start_and_list(module: str, env: dict[str, str], folder: Path, expected: int) -> float:
    with (folder / f"{module}.log").open("a") as log:
        started = time.perf_counter()
        async with mcp_server(module, env, log) as client:
            tools = (await client.list_tools()).tools
            elapsed = time.perf_counter() - started
    if len(tools) != expected:
        raise RuntimeError(f"{module} listed {len(tools)} tools, expected {expected}")
    return elapsed


async def measure(rounds: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        folder = Path(tmp)
        (folder / "home").mkdir()
        env = server_env(UNREACHABLE_API, folder / "out", folder / "home")

        async def ours(_: int) -> float:
            return await _start_and_list(SERVER_MODULE, env, folder, expected=3)

        async def minimal(_: int) -> float:
            return await _start_and_list(MINIMAL_MODULE, env, folder, expected=1)

        # One untimed start of each fills the OS file cache, as any second launch would find it.
        await ours(0)
        await minimal(0)
        series = await interleave(rounds, {"ours": ours, "minimal": minimal})
    return [
        Row(
            SECTION, "minimal one-tool MCPServer", Stats.of(series["minimal"]).scaled(1e3), "ms", panel=PANEL
        ),
        Row(
            SECTION,
            "siliconflow-images mcp",
            Stats.of(series["ours"]).scaled(1e3),
            "ms",
            panel=PANEL,
            ours=True,
        ),
        Row(
            SECTION,
            "siliconflow-images mcp / minimal",
            Stats.of(ratios(series["ours"], series["minimal"])),
            RATIO,
            budget=1.15,
            short="cold start / minimal MCPServer",
        ),
    ]
