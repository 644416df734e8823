"""How soon after an image's last byte its inline preview is ready, on a link slower than loopback.

Over loopback a 1.7 MB image arrives in a few milliseconds, so decoding while it downloads
hardly shows; on a real network it takes a few hundred. The emulator throttles every download
to a given rate (`--download-rate`, one emulator per rate) and serves photo-like Kolors PNGs
(1.6 bytes a pixel) at 1024x1024 and 1328x1328. In this process, two ways of making the
preview, interleaved round by round on the same image (same seed):

- streaming: the server's `StreamingPreview`, fed chunk by chunk as `AsyncGeneration.save
  (observe=...)` delivers them, decoding in a worker thread while the bytes arrive: what
  `siliconflow-images mcp` does;
- after the download: `previews.preview(data, budget)` on the full bytes in a worker thread,
  started the moment the download is done, while the file is written.

Each is timed from the last byte's arrival (the last chunk handed to the observer) to the
preview made. The time the file is saved after the last byte is shown beside it: the tool's
answer waits for both. The preview budget is the default (100000 base64 characters).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from siliconflow_images import AsyncSiliconFlow

from . import direct
from .processes import API_KEY, EmulatorFlags, emulator
from .report import Row
from .stats import Stats, differences, interleave

SECTION = "8 preview after the last byte"
PANEL = "Preview ready after the image's last byte, throttled download (ms)"
RATES = (5_000_000, 10_000_000)
SIZES = ("1024x1024", "1328x1328")


async def measure(rounds: int) -> list[Row]:
    rows: list[Row] = []
    for rate in RATES:
        with emulator(EmulatorFlags(photo_like=True, download_rate=rate)) as running:
            sdk = direct.client(running.base_url, API_KEY)
            try:
                for size in SIZES:
                    rows += await _scenario(sdk, size, rate, rounds)
            finally:
                await sdk.aclose()
    return rows


async def _scenario(sdk: AsyncSiliconFlow, size: str, rate: int, rounds: int) -> list[Row]:
    timelines: dict[str, list[direct.Timeline]] = {"streaming": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        folder = Path(tmp)

        async def streaming(round_no: int) -> float:
            generation = await direct.generate(sdk, round_no, image_size=size)
            timeline = await direct.keep_streaming(generation, folder)
            timelines["streaming"].append(timeline)
            return timeline.preview_lag()

        async def after(round_no: int) -> float:
            generation = await direct.generate(sdk, round_no, image_size=size)
            timeline = await direct.keep_after_download(generation, folder)
            timelines["after"].append(timeline)
            return timeline.preview_lag()

        variants = {"streaming": streaming, "after": after}
        for variant in variants.values():
            await variant(10_000)  # warm up: connections, Pillow's plugins, the worker threads
        for found in timelines.values():
            found.clear()
        series = await interleave(rounds, variants)
    for name, found in timelines.items():
        if any(preview is None for timeline in found for preview in timeline.previews):
            raise RuntimeError(f"the {name} variant made no preview at {size}")
    where = f"{size} at {rate / 1e6:g} MB/s"
    seconds = [timeline.download_seconds() for timeline in timelines["streaming"]]
    note = f"the download itself took {Stats.of(seconds).median * 1e3:.0f} ms (median)"
    return [
        Row(
            SECTION,
            f"{where}: streaming preview ready after the last byte",
            Stats.of(series["streaming"]).scaled(1e3),
            "ms",
            panel=PANEL,
            ours=True,
            note=note,
            short=f"streaming, {where}",
        ),
        Row(
            SECTION,
            f"{where}: preview after the download, ready after the last byte",
            Stats.of(series["after"]).scaled(1e3),
            "ms",
            panel=PANEL,
            short=f"after download, {where}",
        ),
        Row(
            SECTION,
            f"{where}: sooner by streaming (after - streaming)",
            Stats.of(differences(series["after"], series["streaming"])).scaled(1e3),
            "ms",
        ),
        Row(
            SECTION,
            f"{where}: file saved after the last byte (streaming runs)",
            Stats.of([timeline.save_lag() for timeline in timelines["streaming"]]).scaled(1e3),
            "ms",
        ),
    ]
