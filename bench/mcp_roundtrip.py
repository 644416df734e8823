"""Budget 2: one `generate_image` through `siliconflow-images mcp` over stdio, against the floor.

Every variant makes the same 1024x1024 photo-like Kolors image (same body, same seed in a
round: about 1.7 MB of PNG, 1.6 bytes a pixel like the API's) from an emulator with zero
inference time, so the emulator's rendering costs every variant the same:

- MCP: `call_tool("generate_image")` from the MCP SDK's client to a spawned server, which calls
  the API, downloads and saves the image, makes the inline preview while it downloads, and
  answers with text, preview, resource link and structured content;
- the floor (`bench/direct.py`): in this process, a direct SDK call (`AsyncSiliconFlow`), then
  `AsyncGeneration.save` with the server's own `StreamingPreview` fed by `save(observe=...)`:
  the same work with the same technique, and nothing else. The budget is taken against it;
- the floor with the preview made after the download (`previews.preview(data, budget)` on the
  full bytes), shown beside it;
- the tool's code in this process (`ImageTools.generate_image`), which splits what the server
  adds into its own code and stdio + JSON-RPC;
- the SDK call alone (no download): how much of every figure is the emulator drawing the PNG;
- the preview alone, from bytes in memory: what the decode and preview cost by themselves.

The inline preview sizes of the MCP answers are collected here as well (budget 7).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from mcp.types import CallToolResult, ImageContent

from siliconflow_images_mcp.config import DEFAULT_PREVIEW_BYTES, Settings
from siliconflow_images_mcp.previews import preview, preview_budget
from siliconflow_images_mcp.tools import ImageTools

from . import direct
from .processes import API_KEY, EmulatorFlags, emulator, siliconflow_images_mcp
from .report import RATIO, Row
from .stats import Stats, differences, interleave, ratios

SECTION = "2 generate_image, 0 s inference"
PANEL = "generate_image at 0 s inference, 1024x1024 photo-like (ms)"
SIZE = "1024x1024"
WARM_UP_ROUNDS = 3


def tool_arguments(seed: int, **extra: Any) -> dict[str, Any]:
    return {"prompt": direct.PROMPT, "model": direct.MODEL, "image_size": SIZE, "seed": seed, **extra}


def text_of(result: CallToolResult) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


def check(result: CallToolResult) -> CallToolResult:
    if result.is_error:
        raise RuntimeError(f"generate_image failed: {text_of(result)[:500]}")
    return result


def preview_sizes(result: CallToolResult) -> list[int]:
    """Characters of base64 in each inline preview of a result."""
    return [len(block.data) for block in result.content if isinstance(block, ImageContent)]


async def measure(rounds: int) -> tuple[list[Row], list[int]]:
    """The rows of budget 2, and the preview sizes (base64 characters) of every MCP answer."""
    previews: list[int] = []
    last_image: list[bytes] = []
    budget = preview_budget(DEFAULT_PREVIEW_BYTES, 1)
    with emulator(EmulatorFlags(photo_like=True)) as running, tempfile.TemporaryDirectory() as tmp:
        folders = {name: Path(tmp) / name for name in ("tool", "streaming", "after")}
        settings = Settings.load({}, api_key=API_KEY, base_url=running.base_url, output_dir=folders["tool"])
        tools = ImageTools(settings)
        sdk = direct.client(running.base_url, API_KEY)
        async with siliconflow_images_mcp(running.base_url) as (mcp, _):

            async def via_mcp(round_no: int) -> float:
                started = time.perf_counter()
                result = check(await mcp.call_tool("generate_image", tool_arguments(seed=round_no)))
                elapsed = time.perf_counter() - started
                previews.extend(preview_sizes(result))
                return elapsed

            async def in_process(round_no: int) -> float:
                # The server's own tool code in this process: everything but stdio and JSON-RPC.
                started = time.perf_counter()
                check(await tools.generate_image(**tool_arguments(seed=round_no)))
                return time.perf_counter() - started

            async def floor(round_no: int) -> float:
                started = time.perf_counter()
                generation = await direct.generate(sdk, round_no, image_size=SIZE)
                timeline = await direct.keep_streaming(generation, folders["streaming"])
                elapsed = time.perf_counter() - started
                if timeline.previews[0] is None:
                    raise RuntimeError("the floor made no preview")
                last_image[:] = [generation.images[0].data or b""]
                return elapsed

            async def floor_after(round_no: int) -> float:
                started = time.perf_counter()
                generation = await direct.generate(sdk, round_no, image_size=SIZE)
                await direct.keep_after_download(generation, folders["after"])
                return time.perf_counter() - started

            async def call_alone(round_no: int) -> float:
                started = time.perf_counter()
                await direct.generate(sdk, round_no, image_size=SIZE)
                return time.perf_counter() - started

            async def preview_alone(_: int) -> float:
                started = time.perf_counter()
                preview(last_image[0], budget)
                return time.perf_counter() - started

            variants = {
                "mcp": via_mcp,
                "floor": floor,
                "floor_after": floor_after,
                "in_process": in_process,
                "call": call_alone,
                "preview": preview_alone,
            }
            for warm_up in range(WARM_UP_ROUNDS):
                for variant in variants.values():
                    await variant(10_000 + warm_up)
            previews.clear()
            series = await interleave(rounds, variants)
        await sdk.aclose()
        await tools.aclose()
    return _rows(series), previews


def _rows(series: dict[str, list[float]]) -> list[Row]:
    ms = {name: Stats.of(values).scaled(1e3) for name, values in series.items()}
    mcp, floor = series["mcp"], series["floor"]
    return [
        Row(
            SECTION,
            "floor: SDK call + save(observe=StreamingPreview)",
            ms["floor"],
            "ms",
            panel=PANEL,
            short="floor: SDK + save + streaming preview",
        ),
        Row(
            SECTION,
            "floor, preview after the download",
            ms["floor_after"],
            "ms",
            panel=PANEL,
            short="floor, preview after download",
        ),
        Row(SECTION, "siliconflow-images mcp over stdio", ms["mcp"], "ms", panel=PANEL, ours=True),
        Row(
            SECTION,
            "MCP / floor",
            Stats.of(ratios(mcp, floor)),
            RATIO,
            budget=1.2,
            short="generate_image via MCP / floor",
        ),
        Row(
            SECTION,
            "MCP / floor with the preview after the download",
            Stats.of(ratios(mcp, series["floor_after"])),
            RATIO,
        ),
        Row(
            SECTION, "MCP - floor: what the server adds", Stats.of(differences(mcp, floor)).scaled(1e3), "ms"
        ),
        Row(
            SECTION,
            "the tool's code in-process (no stdio, no JSON-RPC)",
            ms["in_process"],
            "ms",
            panel=PANEL,
            ours=True,
            short="generate_image tool code, in-process",
        ),
        Row(
            SECTION,
            "of that, the tool's own code: in-process - floor",
            Stats.of(differences(series["in_process"], floor)).scaled(1e3),
            "ms",
        ),
        Row(
            SECTION,
            "of that, stdio + JSON-RPC: MCP - in-process",
            Stats.of(differences(mcp, series["in_process"])).scaled(1e3),
            "ms",
        ),
        Row(
            SECTION,
            "the SDK call alone (the emulator draws the PNG)",
            ms["call"],
            "ms",
            panel=PANEL,
            short="SDK call alone (emulator renders)",
        ),
        Row(
            SECTION,
            "the preview alone, from bytes (decode, scale, JPEG)",
            ms["preview"],
            "ms",
            panel=PANEL,
            ours=True,
            short="preview alone, from bytes",
        ),
    ]
