"""The processes the benchmarks drive: emulators, and MCP servers spoken to over stdio.

Each emulator runs in its own process (the `siliconflow-emulator` command), not in a thread of
the benchmark: its PNG rendering would otherwise hold the benchmark's GIL and be billed to
whichever client happened to be measured at the time. The emulator has no control endpoint,
so a scenario that needs a fault (a throttled link, a pixel bomb, extra URLs) starts its own
emulator with the matching command-line flags.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import anyio
import httpx
import psutil
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import LATEST_PROTOCOL_VERSION

API_KEY = "sk-bench-not-a-real-key"
STARTUP_TIMEOUT = 20.0
SERVER_MODULE = "siliconflow_images_mcp"
MINIMAL_MODULE = "bench.minimal_server"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class EmulatorFlags:
    """What a benchmark's emulator is started with: its `siliconflow-emulator` flags, all off by default."""

    photo_like: bool = False
    """PNGs of about 1.6 bytes a pixel, like the API's (else smooth placeholders, under 0.1)."""
    step_latency: float = 0.0
    """Seconds of emulated inference per step (Kolors takes 20 steps by default)."""
    download_rate: float = 0.0
    """Bytes a second each image download is throttled to (0: as fast as loopback goes)."""
    pixel_bomb: int = 0
    """The next N downloads are PNGs whose header claims 12000x12000 pixels."""
    extra_urls: int = 0
    """The next successful generation answers with this many image URLs."""

    def arguments(self) -> list[str]:
        args = ["--photo-like"] if self.photo_like else []
        for flag, value in (
            ("--step-latency", self.step_latency),
            ("--download-rate", self.download_rate),
            ("--pixel-bomb", self.pixel_bomb),
            ("--extra-urls", self.extra_urls),
        ):
            if value:
                args += [flag, repr(value)]
        return args


@dataclass(frozen=True, slots=True)
class Emulator:
    base_url: str
    flags: EmulatorFlags
    pid: int


@contextlib.contextmanager
def emulator(flags: EmulatorFlags | None = None) -> Iterator[Emulator]:
    """`siliconflow-emulator` on a free loopback port, started with `flags`, until the block ends."""
    flags = flags if flags is not None else EmulatorFlags()
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "siliconflow_emulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--api-key",
        API_KEY,
        "--log-level",
        "warning",
        *flags.arguments(),
    ]
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        try:
            base_url = f"http://127.0.0.1:{port}/v1"
            _wait_until_ready(base_url, process)
            yield Emulator(base_url, flags, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _free_port() -> int:
    # The port is free when asked; the emulator binds it a moment later (loopback, no rival).
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_ready(base_url: str, process: subprocess.Popen[bytes]) -> None:
    # GET /models only: a generation would spend a counted fault (extra_urls) before the benchmark.
    deadline = time.monotonic() + STARTUP_TIMEOUT
    headers = {"Authorization": f"Bearer {API_KEY}"}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"siliconflow-emulator exited with {process.returncode} while starting")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base_url}/models", headers=headers, timeout=1.0).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"siliconflow-emulator did not answer within {STARTUP_TIMEOUT:.0f} s")


def server_env(base_url: str, output_dir: Path, home: Path) -> dict[str, str]:
    """The environment an MCP client would give `siliconflow-images mcp`; every other setting at its default."""
    return {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "SILICONFLOW_API_KEY": API_KEY,
        "SILICONFLOW_BASE_URL": base_url,
        "SILICONFLOW_OUTPUT_DIR": str(output_dir),
    }


def _with_bench_path(env: dict[str, str]) -> dict[str, str]:
    # The benchmark package must be importable from `/` for the minimal server; a PYTHONPATH
    # given to the benchmark still applies (e.g. to measure another copy of the packages).
    return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


@contextlib.asynccontextmanager
async def mcp_server(
    module: str, env: dict[str, str], errlog: TextIO, args: Sequence[str] = ()
) -> AsyncIterator[Client]:
    """`python -m module` under the MCP SDK's stdio client, connected (the handshake done)."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", module, *args], env=_with_bench_path(env), cwd="/"
    )
    async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=120) as client:
        yield client


@contextlib.asynccontextmanager
async def siliconflow_images_mcp(base_url: str) -> AsyncIterator[tuple[Client, Path]]:
    """A connected `siliconflow-images mcp` saving into a fresh temporary folder, and that folder."""
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        home, output = Path(tmp) / "home", Path(tmp) / "out"
        home.mkdir()
        with (Path(tmp) / "server.log").open("w") as log:
            async with mcp_server(SERVER_MODULE, server_env(base_url, output, home), log) as client:
                yield client, output


def _request(request_id: int, method: str) -> bytes:
    # What the MCP SDK's own client sends (2026-07-28: no initialize, the version rides in _meta).
    meta = {
        "io.modelcontextprotocol/protocolVersion": LATEST_PROTOCOL_VERSION,
        "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "0"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": {"_meta": meta}}
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


async def raw_answer(module: str, env: dict[str, str], method: str) -> bytes:
    """The exact bytes of the one JSON-RPC line `python -m module` answers `method` with over stdio.

    No MCP client library in between: `server/discover`, then `method`, written as the SDK's
    client writes them, and the answer's line read off the server's stdout as it came.
    """
    command = [sys.executable, "-m", module]
    async with await anyio.open_process(
        command, env=_with_bench_path(env), cwd="/", stderr=subprocess.DEVNULL
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        await process.stdin.send(_request(1, "server/discover") + _request(2, method))
        buffer = b""
        with anyio.fail_after(STARTUP_TIMEOUT):
            async for data in process.stdout:
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    answer: dict[str, Any] = json.loads(line)
                    if answer.get("id") == 2:
                        if "result" not in answer:
                            raise RuntimeError(f"{module} answered {method} with {line[:300]!r}")
                        await process.stdin.aclose()
                        return line
        raise RuntimeError(f"{module} closed stdout before answering {method}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far (its threads included)."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def child_pid(module: str) -> int:
    """The pid of this process's child running `python -m module` (the stdio client spawned it)."""
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if module in child.cmdline():
                return int(child.pid)
    raise RuntimeError(f"no child process runs {module}")


def peak_rss(pid: int) -> int:
    """Bytes of the process's resident high-water mark (VmHWM); psutil's RSS now where there is none."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return int(psutil.Process(pid).memory_info().rss)
