"""Absurd inputs get a clear refusal, are never echoed whole, and never flood the log."""

from __future__ import annotations

import pytest
from mcp_support import Folders, error_text, mcp_server, server_env

from siliconflow_emulator.running import RunningEmulator

pytestmark = pytest.mark.anyio

HUGE = 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        ("edit_image", {"image": "a\x00b.png"}, "NUL character"),
        ("edit_image", {"image": "/" + "d/" * 2500 + "x.png"}, "a path is at most"),
        ("edit_image", {"image": "https://e.test/" + "a" * HUGE}, "characters; at most"),
        ("generate_image", {"prompt": "p" * HUGE}, "`prompt` is"),
        ("generate_image", {"negative_prompt": "n" * 200_000}, "`negative_prompt` is"),
    ],
    ids=["nul-path", "long-path", "10-MB-url", "10-MB-prompt", "long-negative-prompt"],
)
async def test_absurd_inputs_are_refused_clearly_and_briefly(
    emulator: RunningEmulator, folders: Folders, tool: str, args: dict[str, str], expected: str
) -> None:
    base = {"prompt": "x"} | ({"image": "last"} if tool == "edit_image" else {})
    emulator.settings.faults.malformed = 1
    with folders.log.open("w") as log:
        async with mcp_server(server_env(emulator, folders, SILICONFLOW_LOG_LEVEL="INFO"), log) as client:
            result = await client.call_tool(tool, base | args)
            assert len((await client.list_tools()).tools) == 3
    message = error_text(result)
    assert expected in message and "Error executing tool" in message
    assert len(result.model_dump_json()) < 5_000
    assert folders.log.stat().st_size < 100_000
    assert emulator.settings.faults.malformed == 1  # nothing reached the API
