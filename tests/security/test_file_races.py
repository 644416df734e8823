"""A file in an allowed folder swapped for a symlink or a FIFO while the server reads it.

Swapped after a check, a symlink used to be read from outside the folders; a FIFO used to
block `open()` for ever, and about 40 of them starved the threads stdio also uses. Now the file
is opened first (no symlink followed, nothing that blocks) and checked through the descriptor.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import pytest
from mcp_support import Folders, connect, png_bytes, server_env, text_of

from siliconflow_emulator.running import RunningEmulator

pytestmark = pytest.mark.anyio

INSIDE = (64, 48)
OUTSIDE = (97, 31)
"""Sizes that tell the images apart in what the emulator made: an edit keeps its input's size."""


@contextmanager
def swapping(target: Path, alternatives: list[Path]) -> Iterator[list[int]]:
    """Replace `target` by each alternative in turn, atomically, as fast as possible, until the block ends."""
    stop = threading.Event()
    swaps = [0]

    def run() -> None:
        while not stop.is_set():
            for alternative in alternatives:
                staged = target.with_name(f".staged-{swaps[0]}")
                if alternative.is_symlink():
                    staged.symlink_to(os.readlink(alternative))
                elif alternative.suffix == ".fifo":
                    os.mkfifo(staged)
                else:
                    staged.write_bytes(alternative.read_bytes())
                os.replace(staged, target)
                swaps[0] += 1

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield swaps
    finally:
        stop.set()
        thread.join(timeout=5)


def prepare(folders: Folders) -> tuple[Path, Path, Path]:
    (folders.outside / "secret.png").write_bytes(png_bytes(OUTSIDE, (255, 0, 0)))
    real = folders.home / "real.png"
    real.write_bytes(png_bytes(INSIDE, (0, 0, 255)))
    link = folders.home / "link"
    link.symlink_to(folders.outside / "secret.png")
    return folders.allowed / "pic.png", real, link


async def test_a_symlink_swapped_in_never_leads_outside(
    emulator: RunningEmulator, folders: Folders, transport: str
) -> None:
    target, real, link = prepare(folders)
    target.write_bytes(real.read_bytes())
    made: list[tuple[int, int]] = []
    refusals: list[str] = []
    env = server_env(emulator, folders, SILICONFLOW_PREVIEW_BYTES="0", SILICONFLOW_LOG_LEVEL="INFO")
    with folders.log.open("w") as log:
        async with connect(transport, env, log) as client:

            async def edit() -> None:
                result = await client.call_tool("edit_image", {"image": str(target), "prompt": "x"})
                if result.is_error:
                    refusals.append(text_of(result))
                else:
                    image = (result.structured_content or {})["images"][0]
                    made.append((image["width"], image["height"]))

            with swapping(target, [link, real]) as swaps:
                deadline = time.monotonic() + 3
                while time.monotonic() < deadline:
                    async with anyio.create_task_group() as group:
                        for _ in range(6):
                            group.start_soon(edit)
            assert swaps[0] > 50
    assert OUTSIDE not in made, "a file from outside the allowed folders was sent"
    assert made, "no call got the real file: the race did not run"
    for refusal in refusals:
        reasons = ("symbolic link", "outside the folders", "no file at", "cannot be resolved")
        assert any(reason in refusal for reason in reasons), refusal


async def test_a_fifo_swapped_in_neither_blocks_nor_starves_the_server(
    emulator: RunningEmulator, folders: Folders, transport: str
) -> None:
    target, real, _ = prepare(folders)
    target.write_bytes(real.read_bytes())
    fifo = folders.home / "pipe.fifo"
    env = server_env(emulator, folders, SILICONFLOW_PREVIEW_BYTES="0", SILICONFLOW_LOG_LEVEL="INFO")
    outcomes: list[str] = []
    with folders.log.open("w") as log:
        async with connect(transport, env, log) as client:

            async def edit() -> None:
                result = await client.call_tool("edit_image", {"image": str(target), "prompt": "x"})
                outcomes.append("error" if result.is_error else "made")

            with swapping(target, [fifo, real]), anyio.fail_after(60):
                async with anyio.create_task_group() as group:
                    for _ in range(48):
                        group.start_soon(edit)
                # The protocol is still served while and after files misbehave.
                assert len((await client.list_tools()).tools) == 3
    assert len(outcomes) == 48
