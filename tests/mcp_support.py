"""Helpers and shared fixtures of the MCP and security tests: small images, an emulator, servers
spawned over stdio or HTTP, the server in this process, a fake clock, and secrets looked for
piece by piece.

The fixtures are defined here once; tests/mcp/conftest.py and tests/security/conftest.py
import them, which is how pytest finds them.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import anyio.lowlevel
import httpx2
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult
from PIL import Image

from siliconflow_emulator import EmulatorSettings, run_in_thread
from siliconflow_emulator.running import RunningEmulator

if TYPE_CHECKING:
    from siliconflow_images_mcp.tools import ImageTools

SECRET_KEY = "sk-e2e-do-not-leak-4f1c2a9b7e"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    # Module scope, so one server process can serve a whole module's tests.
    return "asyncio"


@pytest.fixture(scope="module")
def running_emulator() -> Iterator[RunningEmulator]:
    """One emulator per module; tests take `emulator`, which puts it back as it started."""
    with run_in_thread(
        EmulatorSettings(api_keys=frozenset({SECRET_KEY})), host="127.0.0.1", port=0
    ) as running:
        yield running


@pytest.fixture
def emulator(running_emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    yield running_emulator
    running_emulator.reset()


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return Folders.under(tmp_path)


# --- secrets ----------------------------------------------------------------------------------


def pieces(secret: str, size: int = 8) -> list[str]:
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def assert_nowhere(secret: str, *texts: str) -> None:
    """Neither `secret` nor any 8-character piece of it (a cut or echoed key) in any of `texts`."""
    for text in texts:
        leaked = [piece for piece in pieces(secret) if piece in text]
        assert not leaked, f"pieces of the secret leaked: {leaked[:3]}"


def assert_not_on_disk(secret: str, root: Path) -> None:
    for path in root.rglob("*"):
        assert_nowhere(secret, path.name)
        if path.is_file() and path.stat().st_size < 50_000_000:
            assert_nowhere(secret, path.read_bytes().decode("latin-1"))


# --- time -------------------------------------------------------------------------------------


class FakeClock:
    """The SDK's `Clock`, for a server in this process: waits are recorded and return at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await anyio.lowlevel.checkpoint()


def png_bytes(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class Folders:
    home: Path
    output: Path
    allowed: Path
    outside: Path
    log: Path

    @classmethod
    def under(cls, root: Path) -> Folders:
        folders = cls(
            root / "home", root / "home" / "out", root / "allowed", root / "outside", root / "server.log"
        )
        for folder in (folders.home, folders.allowed, folders.outside):
            folder.mkdir(parents=True, exist_ok=True)
        return folders


def server_env(emulator: RunningEmulator | None, folders: Folders, **extra: str) -> dict[str, str]:
    env = {
        "HOME": str(folders.home),
        "PATH": os.environ.get("PATH", ""),
        "SILICONFLOW_OUTPUT_DIR": str(folders.output),
        "SILICONFLOW_ALLOWED_DIRS": str(folders.allowed),
        "SILICONFLOW_LOG_LEVEL": "DEBUG",
        "SILICONFLOW_MAX_RETRIES": "2",
        "SILICONFLOW_RETRY_BUDGET": "10",
        "SILICONFLOW_TIMEOUT": "20",
    }
    if emulator is not None:
        env |= {"SILICONFLOW_API_KEY": SECRET_KEY, "SILICONFLOW_BASE_URL": emulator.base_url}
    return env | extra


HTTP_TOKEN = "tok-" + "x7Qp" * 8
"""The bearer token HTTP servers of the tests require."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def http_process(env: dict[str, str], log: TextIO, *args: str, port: int | None = None) -> Iterator[str]:
    """`python -m siliconflow_images_mcp --transport streamable-http`, until it listens; yields its URL."""
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "siliconflow_images_mcp",
        "--transport",
        "streamable-http",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        [*command, *args], env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, "the server exited while starting"
                assert time.monotonic() < deadline, "the server did not start listening"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


@asynccontextmanager
async def mcp_http_server(env: dict[str, str], log: TextIO, *args: str) -> AsyncIterator[Client]:
    """The same server over streamable HTTP, with a token, driven by the SDK's client."""
    with http_process(env | {"SILICONFLOW_MCP_TOKEN": HTTP_TOKEN}, log, *args) as url:
        headers = {"Authorization": f"Bearer {HTTP_TOKEN}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(url, http_client=http), read_timeout_seconds=60) as client,
        ):
            yield client


def connect(
    transport: str, env: dict[str, str], log: TextIO, *args: str
) -> AbstractAsyncContextManager[Client]:
    return mcp_server(env, log, *args) if transport == "stdio" else mcp_http_server(env, log, *args)


@asynccontextmanager
async def mcp_server(env: dict[str, str], log: TextIO, *args: str) -> AsyncIterator[Client]:
    """`python -m siliconflow_images_mcp` under the SDK's stdio client, started from `/` like desktop clients do."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "siliconflow_images_mcp", *args], env=env, cwd="/"
    )
    async with Client(stdio_client(params, errlog=log), read_timeout_seconds=60) as client:
        yield client


@asynccontextmanager
async def in_process(tools: ImageTools) -> AsyncIterator[Client]:
    """The server in this process under the SDK's client (memory streams, the same MCP session
    code as stdio), so a test can hand it a fake clock or an instrumented HTTP transport."""
    from siliconflow_images_mcp.server import build_server

    try:
        async with Client(build_server(tools.settings, tools), read_timeout_seconds=60) as client:
            yield client
    finally:
        await tools.aclose()


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def error_text(result: CallToolResult) -> str:
    assert result.is_error, f"expected an error, got: {text_of(result)[:500]}"
    return text_of(result)


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content
