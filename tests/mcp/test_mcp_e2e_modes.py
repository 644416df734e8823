"""End to end in the other modes: no key, a wrong key, --offline over stdio, and streamable HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp.client import Client
from mcp_support import (
    SECRET_KEY,
    Folders,
    error_text,
    http_process,
    mcp_server,
    server_env,
    structured,
    text_of,
)

from siliconflow_emulator.running import RunningEmulator

pytestmark = pytest.mark.anyio


async def test_without_a_key_the_server_starts_lists_tools_and_names_the_variable(folders: Folders) -> None:
    with folders.log.open("w") as log:
        async with mcp_server(server_env(None, folders), log) as client:
            assert len((await client.list_tools()).tools) == 3
            message = error_text(await client.call_tool("generate_image", {"prompt": "a cat"}))
            assert "SILICONFLOW_API_KEY is not set" in message and "--offline" in message
            listing = structured(await client.call_tool("list_models", {}))
            assert listing["live_checked"] is False and "SILICONFLOW_API_KEY" in listing["live_error"]


async def test_a_refused_key_points_at_the_variable_and_is_never_shown(
    emulator: RunningEmulator, folders: Folders
) -> None:
    wrong = "sk-wrong-key-7d1e0f"
    env = server_env(emulator, folders, SILICONFLOW_API_KEY=wrong)
    with folders.log.open("w") as log:
        async with mcp_server(env, log) as client:
            result = await client.call_tool("generate_image", {"prompt": "a cat"})
    message = error_text(result)
    assert "401" in message and "SILICONFLOW_API_KEY" in message and "not interchangeable" in message
    everything = result.model_dump_json() + folders.log.read_text()
    assert wrong not in everything and SECRET_KEY not in everything


async def test_offline_mode_needs_no_key_and_says_its_images_are_placeholders(folders: Folders) -> None:
    with folders.log.open("w") as log:
        async with mcp_server(server_env(None, folders), log, "--offline") as client:
            made = await client.call_tool("generate_image", {"prompt": "a boat"})
            data = structured(made)
            assert data[
                "offline"
            ] is True and "placeholder images from the local SiliconFlow emulator" in text_of(made)
            edited = structured(
                await client.call_tool("edit_image", {"image": data["images"][0]["path"], "prompt": "x"})
            )
            assert edited["offline"] is True and Path(edited["images"][0]["path"]).parent == folders.output
            tools = (await client.list_tools()).tools
            assert all("OFFLINE MODE" in (t.description or "") for t in tools if t.name != "list_models")


@pytest.fixture
def http_server(folders: Folders) -> Iterator[str]:
    with folders.log.open("w") as log, http_process(server_env(None, folders), log, "--offline") as url:
        yield url


async def test_streamable_http_serves_the_same_tools(http_server: str) -> None:
    async with Client(http_server) as client:
        assert {t.name for t in (await client.list_tools()).tools} == {
            "generate_image",
            "edit_image",
            "list_models",
        }
        data = structured(await client.call_tool("generate_image", {"prompt": "over http", "seed": 5}))
        assert data["seed"] == 5 and data["offline"] is True
