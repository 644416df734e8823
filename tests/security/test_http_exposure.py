"""The HTTP transport: no public bind without a token, no request without it, Host and Origin checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from mcp_support import HTTP_TOKEN, Folders, assert_nowhere, http_process, server_env, structured
from starlette.types import Receive, Scope, Send

from siliconflow_emulator.running import RunningEmulator
from siliconflow_images_mcp import http_access
from siliconflow_images_mcp.config import ConfigError, Settings
from siliconflow_images_mcp.http_access import BearerTokenMiddleware, decide

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
    # Whoever started it is told how to admit the name a proxy or DNS gives it.
    assert "--allowed-host NAME" in folders.log.read_text()


@pytest.mark.anyio
async def test_with_the_token_the_tools_work(emulator: RunningEmulator, folders: Folders) -> None:
    from mcp_support import mcp_http_server

    with folders.log.open("w") as log:
        async with mcp_http_server(server_env(emulator, folders), log) as client:
            data = structured(await client.call_tool("generate_image", {"prompt": "over http", "seed": 5}))
    assert data["seed"] == 5


async def answer_ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        # Templates, so that test ids (and pytest's output) never hold the token.
        ("Bearer {token}", 200),
        ("bearer {token}", 200),
        ("BEARER  {token}", 200),
        ("Bearer {upper}", 401),  # the token itself is case-sensitive
        ("Bearer {token}x", 401),
        ("Bearer{token}", 401),
        ("Basic {token}", 401),
        ("Bearer", 401),
    ],
)
async def test_the_bearer_scheme_is_matched_whatever_its_case(authorization: str, status: int) -> None:
    app = BearerTokenMiddleware(answer_ok, HTTP_TOKEN)
    header = authorization.format(token=HTTP_TOKEN, upper=HTTP_TOKEN.upper())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as client:
        answer = await client.post("/mcp", headers={"Authorization": header})
    assert answer.status_code == status


def public(tmp_path: Path, **settings: list[str]) -> Settings:
    return Settings.load({"HOME": str(tmp_path)}, auth_token=HTTP_TOKEN, **settings)  # type: ignore[arg-type]


def test_an_allowed_host_may_be_a_bare_ipv6_address(tmp_path: Path) -> None:
    given = ["fe80::1", "[2001:db8::5]:8443", "images.example.com", "10.0.0.5:8000"]
    hosts = decide(public(tmp_path, allowed_hosts=given), "192.0.2.10", 8000).security.allowed_hosts or []
    # A Host header brackets an IPv6 address; a name without a port stands for every port.
    expected = {
        "[fe80::1]",
        "[fe80::1]:*",
        "[2001:db8::5]:8443",
        "images.example.com",
        "images.example.com:*",
    }
    assert expected | {"10.0.0.5:8000"} <= set(hosts)
    assert not [h for h in hosts if h.startswith("fe80") or h.endswith((":8443:*", ":8000:*"))]


def test_a_public_bind_says_how_to_admit_another_name(tmp_path: Path) -> None:
    advice = decide(public(tmp_path), "0.0.0.0", 8000).advice or ""
    assert (
        "--allowed-host NAME" in advice
        and "SILICONFLOW_MCP_ALLOWED_HOSTS" in advice
        and "127.0.0.1" in advice
    )
    assert decide(public(tmp_path), "127.0.0.1", 8000).advice is None


def test_the_refusal_asks_for_as_long_a_token_as_the_settings_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_access, "MIN_TOKEN_CHARS", 24)
    with pytest.raises(ConfigError, match=r"a secret of 24\+ characters"):
        decide(Settings.load({"HOME": str(tmp_path)}), "0.0.0.0", 8000)
