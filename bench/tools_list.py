"""Budget 5: how many bytes `tools/list` puts in front of a client, against 6 KB.

A client reads every tool's name, title, description, input and output schema, annotations
and icons into its model's context on every conversation, so the listing is paid for again and
again. This spawns `siliconflow-images mcp`, speaks raw JSON-RPC to it over stdio (no MCP
client library in between) and counts the bytes of the one line that answers `tools/list`:
the whole message a client receives, envelope included. The `result` object alone and each
tool's share (its JSON, compact, as the server wrote it) are shown too. 1 KB = 1000 bytes.

The listing does not change between runs, so it is read once; min and max equal the median.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from .processes import SERVER_MODULE, raw_answer, server_env
from .report import Row
from .stats import Stats

SECTION = "5 tools/list size"
UNREACHABLE_API = "http://127.0.0.1:9/v1"
"""Never contacted: listing tools must not need the network."""


def _compact(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


async def measure() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        (Path(tmp) / "home").mkdir()
        env = server_env(UNREACHABLE_API, Path(tmp) / "out", Path(tmp) / "home")
        line = await raw_answer(SERVER_MODULE, env, "tools/list")
    result = json.loads(line)["result"]
    tools = result["tools"]
    if result.get("nextCursor"):
        raise RuntimeError("tools/list is paginated: count every page")
    rows = [
        Row(
            SECTION,
            f"tools/list answer over stdio, {len(tools)} tools (whole JSON-RPC message)",
            Stats.of([len(line) / 1000]),
            "KB",
            budget=6.0,
            short="tools/list answer, JSON bytes",
        ),
        Row(SECTION, "of which the result object", Stats.of([_compact(result) / 1000]), "KB"),
    ]
    rows += [
        Row(SECTION, f"of which {tool['name']}", Stats.of([_compact(tool) / 1000]), "KB") for tool in tools
    ]
    return rows
