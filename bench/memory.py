"""Budget 5: the server's peak memory over a batch of four 1328x1328 images, and preview sizes.

Kolors is the only model that makes several images per call (`batch_size` up to 4) and the
emulator accepts it at 1328x1328, so one `generate_image` call makes the whole batch: four
downloads held at once, four files saved, four previews made. Each run starts a fresh server,
because the peak is read from the kernel's high-water mark (`VmHWM` in /proc/PID/status), which
covers the life of the process: start-up included, nothing between two samples missed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psutil

from .mcp_roundtrip import check, preview_sizes, tool_arguments
from .processes import SERVER_MODULE, child_pid, emulator, siliconflow_images_mcp
from .report import Row
from .stats import Stats

SECTION = "5 memory and previews"
BATCH = 4
SIZE = "1328x1328"
MB = 1_000_000  # decimal, as the budget and the preview sizes (1 KB = 1000) count


def peak_rss(pid: int) -> int:
    """Bytes of the process's resident high-water mark (VmHWM); psutil's RSS now where there is none."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return int(psutil.Process(pid).memory_info().rss)


async def measure(runs: int) -> tuple[list[Row], list[int]]:
    """The rows of budget 5a, and the preview sizes (base64 characters) of every image of the batches."""
    idle: list[float] = []
    peak: list[float] = []
    walls: list[float] = []
    previews: list[int] = []
    with emulator() as running:
        for run in range(runs):
            async with siliconflow_images_mcp(running.base_url) as (client, _):
                await client.list_tools()
                pid = child_pid(SERVER_MODULE)
                idle.append(peak_rss(pid) / MB)
                # A first small call loads the HTTP side (imported on first use), so the timed
                # batch below is a warm server's; the peak still covers the whole life.
                check(await client.call_tool("generate_image", tool_arguments(seed=run, image_size="64x64")))
                arguments = tool_arguments(seed=run, image_size=SIZE, batch_size=BATCH)
                started = time.perf_counter()
                result = check(await client.call_tool("generate_image", arguments))
                walls.append((time.perf_counter() - started) * 1e3)
                peak.append(peak_rss(pid) / MB)
                sizes = preview_sizes(result)
                saved = _files_saved(result.structured_content or {})
                if len(sizes) != BATCH or saved != BATCH:
                    raise RuntimeError(f"expected {BATCH} previews and files, got {len(sizes)} and {saved}")
                previews.extend(sizes)
    note = f"Kwai-Kolors/Kolors, batch_size={BATCH}, image_size={SIZE}: one call, fresh server each run"
    rows = [
        Row(SECTION, "server peak RSS after start + tools/list", Stats.of(idle), "MB"),
        Row(
            SECTION,
            f"server peak RSS over a batch of {BATCH} {SIZE} images",
            Stats.of(peak),
            "MB",
            budget=200.0,
            note=note,
            short=f"peak RSS, batch of {BATCH} at {SIZE}",
        ),
        Row(SECTION, f"generate_image wall, batch of {BATCH} {SIZE}, 0 s inference", Stats.of(walls), "ms"),
    ]
    return rows, previews


def _files_saved(structured: dict[str, Any]) -> int:
    return sum(Path(image["path"]).is_file() for image in structured.get("images", []))


def preview_rows(single: list[int], batch: list[int]) -> list[Row]:
    """Inline preview sizes in KB of base64 (1 KB = 1000 characters, as the budget counts them)."""
    return [
        Row(
            SECTION,
            "inline preview per image, 1024x1024 single",
            Stats.of([n / 1000 for n in single]),
            "KB",
            budget=100.0,
            short="preview, 1024x1024",
        ),
        Row(
            SECTION,
            f"inline preview per image, batch of {BATCH} {SIZE}",
            Stats.of([n / 1000 for n in batch]),
            "KB",
            budget=100.0,
            short=f"preview, batch of {BATCH} at {SIZE}",
        ),
    ]
