"""Nothing paid for is lost: an unwritable folder, a folder lost mid-call, a cancel, a crash."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import anyio
import pytest
from mcp_support import Folders, connect, error_text, mcp_server, server_env, structured

from siliconflow_emulator.running import RunningEmulator

pytestmark = pytest.mark.anyio


def ledger_of(folder: Path) -> list[dict[str, object]]:
    path = folder / "siliconflow-ledger.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".png", ".jpg")) if folder.is_dir() else []


async def test_an_unwritable_output_folder_is_refused_before_spending(
    emulator: RunningEmulator, folders: Folders, transport: str
) -> None:
    folders.output.parent.mkdir(parents=True, exist_ok=True)
    folders.output.write_text("a file where the folder should be")
    emulator.settings.faults.malformed = 1  # spent by any request that reached the API
    with folders.log.open("w") as log:
        async with connect(transport, server_env(emulator, folders), log) as client:
            message = error_text(await client.call_tool("generate_image", {"prompt": "x"}))
            assert len((await client.list_tools()).tools) == 3
    assert "cannot be written" in message and "Nothing was sent" in message
    assert emulator.settings.faults.malformed == 1
    assert "cannot be written" in folders.log.read_text()  # said at start too


async def test_a_folder_lost_after_the_answer_leaves_the_urls_and_their_expiry(
    emulator: RunningEmulator, folders: Folders
) -> None:
    emulator.settings.faults.fixed_latency = 1.5
    results = []
    sending = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        # Said once the folder was checked, as the request goes out: the API holds it 1.5 s.
        if message and message.startswith("sending the request"):
            sending.set()

    with folders.log.open("w") as log:
        async with (
            mcp_server(server_env(emulator, folders), log) as client,
            anyio.create_task_group() as group,
        ):

            async def call() -> None:
                results.append(
                    await client.call_tool(
                        "generate_image", {"prompt": "x", "batch_size": 2}, progress_callback=on_progress
                    )
                )

            group.start_soon(call)
            with anyio.fail_after(20):
                await sending.wait()
            shutil.rmtree(folders.output)
            folders.output.write_text("the folder became a file")
    message = error_text(results[0])
    assert message.count("fetch it until") == 2 and message.count("http://127.0.0.1") >= 2
    assert "could not write" in message and "billed" in message


async def test_a_cancel_after_the_answer_still_saves_the_images(
    emulator: RunningEmulator, folders: Folders, transport: str
) -> None:
    emulator.settings.faults.download_rate = 100_000  # about a second per image
    answered = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if message and message.startswith("downloading"):
            answered.set()

    with folders.log.open("w") as log:
        async with connect(
            transport, server_env(emulator, folders, SILICONFLOW_PREVIEW_BYTES="0"), log
        ) as client:
            async with anyio.create_task_group() as group:

                async def call() -> None:
                    await client.call_tool(
                        "generate_image", {"prompt": "cancel me"}, progress_callback=on_progress
                    )

                group.start_soon(call)
                with anyio.fail_after(20):
                    await answered.wait()
                group.cancel_scope.cancel()
            # The server keeps going after the cancel, and keeps serving.
            deadline = time.monotonic() + 20
            # Another process writes the file: polling the disk is all there is to wait on.
            while not images(folders.output) and time.monotonic() < deadline:  # noqa: ASYNC110
                await anyio.sleep(0.1)
            assert len((await client.list_tools()).tools) == 3
    assert len(images(folders.output)) == 1
    events = [entry["event"] for entry in ledger_of(folders.output)]
    assert events[-2:] == ["answered", "saved"]


async def test_part_files_of_a_killed_run_are_removed_at_start(
    emulator: RunningEmulator, folders: Folders
) -> None:
    folders.output.mkdir(parents=True)
    stale = folders.output / ".20250101-000000_m_seed1.999999999.abc.part"
    stale.write_bytes(b"half a png")
    someone_elses = folders.output / ".notes.part.txt"
    someone_elses.write_text("not ours")
    with folders.log.open("w") as log:
        async with mcp_server(server_env(emulator, folders), log) as client:
            structured(await client.call_tool("generate_image", {"prompt": "x"}))
    assert not stale.exists() and someone_elses.exists()
    assert not [p for p in folders.output.iterdir() if p.name.endswith(".part")]


async def test_the_ledger_is_written_before_the_download(emulator: RunningEmulator, folders: Folders) -> None:
    emulator.settings.image_ttl = 0.0  # every download fails: only the ledger knows
    with folders.log.open("w") as log:
        async with mcp_server(server_env(emulator, folders), log) as client:
            error_text(await client.call_tool("generate_image", {"prompt": "x", "seed": 3}))
    answered, failed = ledger_of(folders.output)[-2:]
    assert answered["event"] == "answered" and answered["seed"] == 3 and len(answered["urls"]) == 1  # type: ignore[arg-type]
    assert str(answered["expires_at"]).endswith("+00:00") and failed["event"] == "failed"
    assert os.stat(folders.output / "siliconflow-ledger.jsonl").st_mode & 0o077 == 0  # the user's own record
