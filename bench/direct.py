"""The floor: what a script does by hand to get what one `generate_image` call gives.

A direct SDK call (`AsyncSiliconFlow.images.generate`), the download and atomic save of every
image (`AsyncGeneration.save`), and the inline preview of each, made by the server's own
`previews` module, in one of two ways:

- streaming: a `StreamingPreview` per image fed chunk by chunk by `save(observe=...)`, so the
  PNG decodes while it downloads (what `siliconflow-images mcp` does);
- after the download: `previews.preview(data, budget)` on the full bytes once they are in.

Every step also notes when it happened (last byte in, preview ready, files saved), for the
benchmark of how soon after the last byte a preview is ready.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from siliconflow_images import AsyncGeneration, AsyncSiliconFlow
from siliconflow_images_mcp.config import DEFAULT_PREVIEW_BYTES
from siliconflow_images_mcp.previews import PREVIEWS, StreamingPreview, preview, preview_budget

MODEL = "Kwai-Kolors/Kolors"
PROMPT = "a lighthouse at dusk, oil painting"


@dataclass(slots=True)
class Timeline:
    """`time.perf_counter()` readings of one generation's images, as they happened."""

    first_byte: list[float] = field(default_factory=list)
    last_byte: list[float] = field(default_factory=list)
    preview_ready: list[float] = field(default_factory=list)
    saved: float = 0.0
    previews: list[tuple[str, str] | None] = field(default_factory=list)

    @classmethod
    def of(cls, count: int) -> Timeline:
        return cls([0.0] * count, [0.0] * count, [0.0] * count, 0.0, [None] * count)

    def arrived(self, index: int) -> None:
        now = time.perf_counter()
        if not self.first_byte[index]:
            self.first_byte[index] = now
        self.last_byte[index] = now

    def preview_lag(self) -> float:
        """Seconds from the last byte of any image to the last preview ready."""
        return max(self.preview_ready) - max(self.last_byte)

    def save_lag(self) -> float:
        """Seconds from the last byte of any image to every file saved."""
        return self.saved - max(self.last_byte)

    def download_seconds(self) -> float:
        return max(self.last_byte) - min(self.first_byte)


def client(base_url: str, api_key: str) -> AsyncSiliconFlow:
    """The SDK's async client with its defaults: what a script would make."""
    return AsyncSiliconFlow(api_key=api_key, base_url=base_url)


async def generate(sdk: AsyncSiliconFlow, seed: int, **options: Any) -> AsyncGeneration:
    return await sdk.images.generate(model=MODEL, prompt=PROMPT, seed=seed, **options)


async def keep_streaming(generation: AsyncGeneration, folder: Path) -> Timeline:
    """Save every image and make its preview while it downloads, as the server's tool does."""
    count = len(generation.images)
    budget = preview_budget(DEFAULT_PREVIEW_BYTES, count)
    jobs = [StreamingPreview(budget) for _ in range(count)]
    timeline = Timeline.of(count)

    async def preview_one(index: int) -> None:
        timeline.previews[index] = await jobs[index].make()
        timeline.preview_ready[index] = time.perf_counter()

    def feed(index: int, chunk: bytes) -> None:
        jobs[index].feed(chunk)
        timeline.arrived(index)

    async with anyio.create_task_group() as group:
        for index in range(count):
            group.start_soon(preview_one, index)
        try:
            await generation.save(folder, observe=feed)
            timeline.saved = time.perf_counter()
        finally:
            for job in jobs:
                job.finish()
    return timeline


async def keep_after_download(generation: AsyncGeneration, folder: Path) -> Timeline:
    """Download every image, then preview the full bytes while the files are written.

    The best a decode-after-the-download can do: each preview starts the moment the downloads
    are in, in a worker thread as the server would run it, alongside the saving.
    """
    count = len(generation.images)
    budget = preview_budget(DEFAULT_PREVIEW_BYTES, count)
    timeline = Timeline.of(count)
    await generation.download(observe=lambda index, _: timeline.arrived(index))

    async def preview_one(index: int) -> None:
        data = generation.images[index].data
        assert data is not None
        timeline.previews[index] = await anyio.to_thread.run_sync(preview, data, budget, limiter=PREVIEWS)
        timeline.preview_ready[index] = time.perf_counter()

    async with anyio.create_task_group() as group:
        for index in range(count):
            group.start_soon(preview_one, index)
        await generation.save(folder)  # the images are in: this only writes the files
        timeline.saved = time.perf_counter()
    return timeline
