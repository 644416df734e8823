"""Offline mode fetches nothing an agent names; a hostile API answer is refused, and survived."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from mcp_support import Folders, connect, error_text, mcp_server, server_env

from siliconflow_emulator.running import RunningEmulator

pytestmark = pytest.mark.anyio


@contextmanager
def listening() -> Iterator[tuple[int, list[object]]]:
    """A loopback port that records every connection made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.1)
    accepted: list[object] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                connection, _ = sock.accept()
            except TimeoutError:
                continue
            accepted.append(connection)
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(timeout=2)
        sock.close()


async def test_offline_mode_never_fetches_an_agents_url(folders: Folders, transport: str) -> None:
    with listening() as (port, accepted), folders.log.open("w") as log:
        async with connect(transport, server_env(None, folders), log, "--offline") as client:
            results = [
                await client.call_tool(
                    "edit_image", {"image": f"http://127.0.0.1:{port}/x.png", "prompt": "x"}
                ),
                await client.call_tool(
                    "edit_image", {"image": "http://127.0.0.1:1/closed.png", "prompt": "x"}
                ),
            ]
    assert accepted == []
    first, second = (re.sub(r"ti_[0-9a-f]+", "ti_", error_text(result)) for result in results)
    # The same words whatever listens there: nothing to map the machine with.
    assert first.replace(str(port), "PORT") == second.replace(":1/closed", ":PORT/x")
    assert "data URI" in first


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("extra_urls", "image URLs for 1 image asked"),
        ("pixel_bomb", "12000x12000"),
        ("trailing_bytes", "bytes follow the end of the image"),
        ("not_an_image", "not an image"),
    ],
)
async def test_a_hostile_answer_is_refused_and_the_server_goes_on(
    emulator: RunningEmulator, folders: Folders, fault: str, expected: str
) -> None:
    setattr(emulator.settings.faults, fault, 20 if fault == "extra_urls" else 1)
    with folders.log.open("w") as log:
        async with mcp_server(server_env(emulator, folders), log) as client:
            message = error_text(await client.call_tool("generate_image", {"prompt": "x"}))
            assert not (await client.call_tool("generate_image", {"prompt": "and again"})).is_error
    assert expected in message and "billed" in message
    assert not [p for p in folders.output.iterdir() if p.name.startswith(".")]
