"""Budget 6: the server's peak memory over a batch of four photo-like 1328x1328 images, and under hostile answers.

Kolors is the only model that makes several images per call (`batch_size` up to 4), and the
emulator accepts it at 1328x1328: one `generate_image` call makes the whole batch, four
photo-like PNGs of about 2.8 MB each (1.6 bytes a pixel, like the API's), downloaded at once,
saved, and previewed while they download. Each run starts a fresh server, because the peak is
read from the kernel's high-water mark (`VmHWM` in /proc/PID/status), which covers the life of
the process: start-up included, nothing between two samples missed.

Two hostile answers, each from an emulator started with that fault, each against a fresh server:

- `--pixel-bomb`: the image file is a small PNG whose header claims 12000x12000 pixels (144
  megapixels, over 400 MB decoded);
- `--extra-urls 20`: the API answers one asked image with 20 image URLs.

Both must be refused (the call ends in an error result, nothing decoded or saved) within
400 MB. The batch's inline preview sizes are collected here too (budget 7).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .mcp_roundtrip import check, preview_sizes, text_of, tool_arguments
from .processes import SERVER_MODULE, EmulatorFlags, child_pid, emulator, peak_rss, siliconflow_images_mcp
from .report import Row
from .stats import Stats

SECTION = "6 peak memory"
BATCH = 4
SIZE = "1328x1328"
HOSTILE_SIZE = "1024x1024"
EXTRA_URLS = 20
MB = 1_000_000  # decimal, as the budget and the preview sizes (1 KB = 1000) count


@dataclass(slots=True)
class _Hostile:
    label: str
    short: str
    flags: Callable[[], EmulatorFlags]
    peaks: list[float] = field(default_factory=list)
    refused: list[bool] = field(default_factory=list)
    said: str = ""


async def measure(runs: int) -> tuple[list[Row], list[int]]:
    """The rows of budget 6, and the preview sizes (base64 characters) of every image of the batches."""
    idle: list[float] = []
    peak: list[float] = []
    walls: list[float] = []
    previews: list[int] = []
    with emulator(EmulatorFlags(photo_like=True)) as running:
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
    hostile = [
        _Hostile(
            "pixel bomb: a PNG header claiming 12000x12000",
            "peak RSS, pixel bomb",
            lambda: EmulatorFlags(photo_like=True, pixel_bomb=1),
        ),
        _Hostile(
            f"{EXTRA_URLS} image URLs for one image",
            f"peak RSS, {EXTRA_URLS} URLs for 1 image",
            lambda: EmulatorFlags(photo_like=True, extra_urls=EXTRA_URLS),
        ),
    ]
    for case in hostile:
        for run in range(runs):
            # A fresh emulator per run: each fault is counted, and spent by the first call.
            with emulator(case.flags()) as running:
                async with siliconflow_images_mcp(running.base_url) as (client, output):
                    pid = child_pid(SERVER_MODULE)
                    arguments = tool_arguments(seed=run, image_size=HOSTILE_SIZE)
                    result = await client.call_tool("generate_image", arguments)
                    case.peaks.append(peak_rss(pid) / MB)
                    images_saved = list(output.glob("*.png")) + list(output.glob("*.jpg"))
                    case.refused.append(bool(result.is_error) and not images_saved)
                    case.said = " ".join(text_of(result).split())
    note = f"Kwai-Kolors/Kolors, batch_size={BATCH}, image_size={SIZE}, photo-like: one call, fresh server each run"
    rows = [
        Row(SECTION, "server peak RSS after start + tools/list", Stats.of(idle), "MB"),
        Row(
            SECTION,
            f"server peak RSS over a batch of {BATCH} {SIZE} photo-like images",
            Stats.of(peak),
            "MB",
            budget=200.0,
            note=note,
            short=f"peak RSS, batch of {BATCH} at {SIZE}",
        ),
        Row(
            SECTION,
            f"generate_image wall, batch of {BATCH} {SIZE}, 0 s inference",
            Stats.of(walls),
            "ms",
        ),
    ]
    for case in hostile:
        refused = sum(case.refused)
        rows.append(
            Row(
                SECTION,
                f"server peak RSS, {case.label}: refused {refused} of {len(case.refused)}",
                Stats.of(case.peaks),
                "MB",
                budget=400.0,
                condition=refused == len(case.refused),
                note=f"the error result said: {case.said[:300]!r}",
                short=case.short,
            )
        )
    return rows, previews


def _files_saved(structured: dict[str, Any]) -> int:
    return sum(Path(image["path"]).is_file() for image in structured.get("images", []))
