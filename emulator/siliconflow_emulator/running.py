"""Running the emulator inside another program: uvicorn in a daemon thread on a free port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn

from .app import create_app
from .hosts import bind_refusal, is_loopback
from .settings import EmulatorSettings

STARTUP_TIMEOUT = 10.0
BACKLOG = 2048
"""uvicorn's own default."""


@dataclass(frozen=True, slots=True)
class RunningEmulator:
    """A started emulator. `settings` is the live object: change it (and its faults) at will."""

    settings: EmulatorSettings
    host: str
    port: int
    started_with: EmulatorSettings = field(repr=False, compare=False)
    """A copy of the settings as they were at start, for `reset`."""

    def reset(self) -> None:
        """Put every setting back as it was at start: faults, keys, image TTL, site and flags.

        Stored images stay, and a download already under way keeps the pace it started with.
        """
        self.settings.restore(self.started_with)

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What a client takes as its base URL, e.g. `http://127.0.0.1:8765/v1`."""
        return f"{self.origin}/v1"


@contextmanager
def run_in_thread(
    settings: EmulatorSettings | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
) -> Iterator[RunningEmulator]:
    """Serve the emulator until the block ends; port 0 picks a free one.

    Returns once the socket accepts connections. Logging is left to the host program's own
    configuration and there is no access log, so nothing is written to stdout (which an MCP
    server on stdio must keep for itself).
    """
    settings = settings if settings is not None else EmulatorSettings()
    refusal = bind_refusal(host, settings.api_keys)
    if refusal is not None:
        raise ValueError(refusal)
    started_with = settings.copy()
    # Bound here rather than in uvicorn, so the port is known before the thread starts.
    sock = listening_socket(host, port)
    try:
        config = uvicorn.Config(
            create_app(settings, loopback_only=is_loopback(host)),
            log_level=log_level,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="siliconflow-emulator", daemon=True
        )
        thread.start()
        _wait_until_started(server, thread)
        try:
            yield RunningEmulator(settings, host, sock.getsockname()[1], started_with)
        finally:
            server.should_exit = True
            thread.join(timeout=STARTUP_TIMEOUT)
    finally:
        sock.close()


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) and listening; port 0 picks a free one.

    Listening before uvicorn starts lets a client that already knows the port connect at once:
    its connection waits in the backlog until the server accepts it.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP spelled out: asyncio turns Nagle off only on sockets whose proto says TCP, and
    # with Nagle on, every response after a connection's first waited 40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("siliconflow-emulator stopped while starting; see its log")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"siliconflow-emulator did not start within {STARTUP_TIMEOUT:.0f} s")
        time.sleep(0.005)
