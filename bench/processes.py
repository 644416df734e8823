"""The processes the benchmarks drive: the emulator, and MCP servers spoken to over stdio.

The emulator runs in its own process (the `siliconflow-emulator` command), not in a thread of
the benchmark: its PNG rendering would otherwise hold the benchmark's GIL and be billed to
whichever client happened to be measured at the time.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx
import psutil
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

API_KEY = "sk-bench-not-a-real-key"
STARTUP_TIMEOUT = 20.0
SERVER_MODULE = "siliconflow_images_mcp"
MINIMAL_MODULE = "bench.minimal_server"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Emulator:
    base_url: str
    step_latency: float
    pid: int


@contextlib.contextmanager
def emulator(step_latency: float = 0.0) -> Iterator[Emulator]:
    """`siliconflow-emulator` on a free loopback port, answering after `step_latency` per step."""
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
        "--step-latency",
        repr(step_latency),
    ]
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        try:
            base_url = f"http://127.0.0.1:{port}/v1"
            _wait_until_ready(base_url, process)
            yield Emulator(base_url, step_latency, process.pid)
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


@contextlib.asynccontextmanager
async def mcp_server(
    module: str, env: dict[str, str], errlog: TextIO, args: Sequence[str] = ()
) -> AsyncIterator[Client]:
    """`python -m module` under the SDK's stdio client, connected (initialize done)."""
    # The benchmark package must be importable from `/` for the minimal server; a PYTHONPATH
    # given to the benchmark still applies (e.g. to measure another copy of the packages).
    env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    params = StdioServerParameters(command=sys.executable, args=["-m", module, *args], env=env, cwd="/")
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
