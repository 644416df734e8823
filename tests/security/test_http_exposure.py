"""The HTTP transport: no public bind without a token, no request without it, Host and Origin checked."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from mcp_support import HTTP_TOKEN, Folders, assert_nowhere, http_process, server_env, structured

from siliconflow_emulator.running import RunningEmulator

MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "0"},
    },
}


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_a_public_bind_without_a_token_refuses_to_start(folders: Folders, host: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "siliconflow_images_mcp", "--transport", "streamable-http", "--host", host],
        env=server_env(None, folders),
        capture_output=True,
        text=True,
        timeout=30,
        cwd="/",
    )
    assert result.returncode != 0
    assert "refusing to serve" in result.stderr and "SILICONFLOW_MCP_TOKEN" in result.stderr
    assert "127.0.0.1" in result.stderr  # says how to serve safely instead


def test_a_weak_token_is_refused(folders: Folders) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "siliconflow_images_mcp",
            "--transport",
            "streamable-http",
            "--auth-token",
            "short",
        ],
        env=server_env(None, folders),
        capture_output=True,
        text=True,
        timeout=30,
        cwd="/",
    )
    assert result.returncode != 0 and "at least 16" in result.stderr and "short" not in result.stderr


def test_without_the_token_every_request_is_401(emulator: RunningEmulator, folders: Folders) -> None:
    env = server_env(emulator, folders, SILICONFLOW_MCP_TOKEN=HTTP_TOKEN)
    with folders.log.open("w") as log, http_process(env, log, "--host", "0.0.0.0") as url:
        for headers in (
            {},
            {"Authorization": "Bearer wrong-token-0123456789"},
            {"Authorization": HTTP_TOKEN},
        ):
            answer = httpx.post(url, json=INITIALIZE, headers=MCP_HEADERS | headers, timeout=10)
            assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")
            assert_nowhere(HTTP_TOKEN, answer.text)
        good = httpx.post(
            url, json=INITIALIZE, headers=MCP_HEADERS | {"Authorization": f"Bearer {HTTP_TOKEN}"}, timeout=10
        )
        assert good.status_code == 200
    assert_nowhere(HTTP_TOKEN, folders.log.read_text())


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Host": "evil.example"}, 421),
        ({"Origin": "https://evil.example"}, 403),
        ({"Host": "localhost:9", "Origin": "http://localhost:9"}, 200),
    ],
)
def test_host_and_origin_are_checked_on_loopback(
    folders: Folders, headers: dict[str, str], status: int
) -> None:
    with folders.log.open("w") as log, http_process(server_env(None, folders), log, "--offline") as url:
        answer = httpx.post(url, json=INITIALIZE, headers=MCP_HEADERS | headers, timeout=10)
    assert answer.status_code == status


def test_host_and_origin_are_checked_on_a_public_bind_too(
    emulator: RunningEmulator, folders: Folders
) -> None:
    env = server_env(emulator, folders, SILICONFLOW_MCP_TOKEN=HTTP_TOKEN)
    auth = {"Authorization": f"Bearer {HTTP_TOKEN}"}
    args = (
        "--host",
        "0.0.0.0",
        "--allowed-host",
        "images.example.com",
        "--allowed-origin",
        "https://chat.example.com",
    )
    with folders.log.open("w") as log, http_process(env, log, *args) as url:
        rebinding = httpx.post(
            url, json=INITIALIZE, headers=MCP_HEADERS | auth | {"Host": "attacker.example"}, timeout=10
        )
        assert rebinding.status_code == 421
        listed = httpx.post(
            url, json=INITIALIZE, headers=MCP_HEADERS | auth | {"Host": "images.example.com"}, timeout=10
        )
        assert listed.status_code == 200
        cross_site = httpx.post(
            url, json=INITIALIZE, headers=MCP_HEADERS | auth | {"Origin": "https://evil.example"}, timeout=10
        )
        assert cross_site.status_code == 403
        allowed = httpx.post(
            url,
            json=INITIALIZE,
            headers=MCP_HEADERS | auth | {"Origin": "https://chat.example.com"},
            timeout=10,
        )
        assert allowed.status_code == 200


@pytest.mark.anyio
async def test_with_the_token_the_tools_work(emulator: RunningEmulator, folders: Folders) -> None:
    from mcp_support import mcp_http_server

    with folders.log.open("w") as log:
        async with mcp_http_server(server_env(emulator, folders), log) as client:
            data = structured(await client.call_tool("generate_image", {"prompt": "over http", "seed": 5}))
    assert data["seed"] == 5
