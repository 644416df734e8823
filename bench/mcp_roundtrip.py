"""Budget 2: one `generate_image` through `siliconflow-images mcp` over stdio, next to doing it by hand.

Both sides make the same 1024x1024 Kolors image (same body, same seed in a round) from an
emulator with zero inference time, so the emulator's rendering is the same on both sides:

- MCP: `call_tool("generate_image")` from the SDK's client to a spawned server, which calls the
  API, downloads the image, saves it (atomically, fsync'd), makes the inline preview and
  answers with text, preview, resource link and structured content;
- direct: the generated client (as the server builds it) in this process, then a GET of the
  image URL and a write of the bytes to a file: what a script would do without the server.

The inline preview sizes of the MCP answers are collected here as well (budget 5b).
"""

from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path
from typing import Any

from mcp.types import CallToolResult, ImageContent

from siliconflow_client import AuthenticatedClient
from siliconflow_client.api.images import create_image_generation
from siliconflow_client.models import ImageGenerationRequest, ImageGenerationResponse
from siliconflow_images_mcp.config import Settings
from siliconflow_images_mcp.http import client_for
from siliconflow_images_mcp.results import preview, preview_budget
from siliconflow_images_mcp.rules import build_payload
from siliconflow_images_mcp.tools import ImageTools

from .processes import API_KEY, emulator, siliconflow_images_mcp
from .report import RATIO, Row
from .stats import Stats, differences, interleave, ratios

SECTION = "2 generate_image, 0 s inference"
PANEL = "generate_image at 0 s inference, 1024x1024 (ms)"
MODEL = "Kwai-Kolors/Kolors"
PROMPT = "a lighthouse at dusk, oil painting"
SIZE = "1024x1024"


def tool_arguments(seed: int, **extra: Any) -> dict[str, Any]:
    return {"prompt": PROMPT, "model": MODEL, "image_size": SIZE, "seed": seed, **extra}


def check(result: CallToolResult) -> CallToolResult:
    if result.is_error:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        raise RuntimeError(f"generate_image failed: {text[:500]}")
    return result


def preview_sizes(result: CallToolResult) -> list[int]:
    """Characters of base64 in each inline preview of a result."""
    return [len(block.data) for block in result.content if isinstance(block, ImageContent)]


async def direct_generation(client: AuthenticatedClient, folder: Path, seed: int, name: str) -> bytes:
    """The by-hand equivalent of one `generate_image`: call, download, save; returns the image."""
    payload = build_payload(MODEL, PROMPT, {"image_size": SIZE, "seed": seed})
    response = await create_image_generation.asyncio_detailed(
        client=client, body=ImageGenerationRequest.from_dict(payload)
    )
    parsed = response.parsed
    assert isinstance(parsed, ImageGenerationResponse), response.status_code
    image = await client.get_async_httpx_client().get(parsed.images[0].url)
    image.raise_for_status()
    (folder / f"{name}.png").write_bytes(image.content)
    return image.content


async def measure(rounds: int) -> tuple[list[Row], list[int]]:
    """The rows of budget 2, and the preview sizes (base64 characters) of every MCP answer."""
    previews: list[int] = []
    names = (f"direct-{n}" for n in itertools.count())
    last_image: list[bytes] = []
    with emulator() as running, tempfile.TemporaryDirectory(prefix="sf-bench-") as folder:
        settings = Settings.load({}, api_key=API_KEY, base_url=running.base_url, output_dir=folder)
        client = client_for(settings)
        tools = ImageTools(settings)
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

            async def direct(round_no: int) -> float:
                started = time.perf_counter()
                last_image[:] = [await direct_generation(client, Path(folder), round_no, next(names))]
                return time.perf_counter() - started

            async def preview_alone(_: int) -> float:
                # What the inline preview of one such image costs by itself (decode, scale, JPEG).
                started = time.perf_counter()
                preview(last_image[0], preview_budget(settings.preview_bytes, 1))
                return time.perf_counter() - started

            variants = {"mcp": via_mcp, "direct": direct, "in_process": in_process, "preview": preview_alone}
            for warm_up in range(3):
                for variant in variants.values():
                    await variant(10_000 + warm_up)
            series = await interleave(rounds, variants)
        await client.get_async_httpx_client().aclose()
        await tools.aclose()
    ms = {name: Stats.of(values).scaled(1e3) for name, values in series.items()}
    rows = [
        Row(SECTION, "direct: generated client + GET + write file", ms["direct"], "ms", panel=PANEL),
        Row(SECTION, "siliconflow-images mcp over stdio", ms["mcp"], "ms", panel=PANEL, ours=True),
        Row(
            SECTION,
            "MCP / direct",
            Stats.of(ratios(series["mcp"], series["direct"])),
            RATIO,
            budget=1.5,
            short="generate_image via MCP / direct",
        ),
        Row(
            SECTION,
            "MCP - direct: what the server adds",
            Stats.of(differences(series["mcp"], series["direct"])).scaled(1e3),
            "ms",
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
            "of that, stdio + JSON-RPC: MCP - in-process",
            Stats.of(differences(series["mcp"], series["in_process"])).scaled(1e3),
            "ms",
        ),
        Row(
            SECTION,
            "of that, the inline preview alone (decode, scale, JPEG)",
            ms["preview"],
            "ms",
            panel=PANEL,
            ours=True,
            short="inline preview alone",
        ),
    ]
    return rows, previews
