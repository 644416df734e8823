"""`make demo`: a real MCP client drives `siliconflow-images mcp --offline` and tells what happened.

The server runs as a subprocess over stdio, started from `/` the way desktop clients start
it, against the built-in emulator: no key, no network, no cost. Images land in `demo-output/`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult, ImageContent, TextContent, Tool

PROMPT = "a lighthouse on a rocky island at dusk, seagulls, moonlight on the sea, oil painting"
EDIT = "make the sky stormy, with lightning over the sea"
SEED = 20250926


class Report:
    """Plain, friendly terminal output: no colour codes, so logs and pipes stay readable."""

    def __init__(self) -> None:
        encoding = (sys.stdout.encoding or "ascii").lower()
        fancy = "utf" in encoding
        self.ok, self.no, self.rule = ("✓", "✗", "─") if fancy else ("+", "x", "-")
        self.started = time.monotonic()

    def section(self, title: str) -> None:
        print(f"\n{self.rule * 3} {title} {self.rule * max(3, 68 - len(title))}")

    def line(self, text: str = "", indent: int = 2) -> None:
        print(" " * indent + text if text else "")

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.1f} s"


def _text(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


def _result_size(result: CallToolResult) -> int:
    return len(result.model_dump_json(by_alias=True, exclude_none=True))


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _describe_tool(report: Report, tool: Tool) -> None:
    schema = tool.input_schema
    required = set(schema.get("required", []))
    args = [f"{name}{'*' if name in required else ''}" for name in schema.get("properties", {})]
    hints = tool.annotations
    kind = "read-only" if hints and hints.read_only_hint else "creates files, costs money when online"
    report.line(f"{tool.name:<15} {(tool.title or '')}  [{kind}]")
    report.line(f"{'':<15} arguments: {', '.join(args) + '   (* required)' if args else 'none'}")


def _show_images(report: Report, result: CallToolResult) -> list[str]:
    report.line("the agent reads:")
    for row in _text(result).splitlines():
        report.line(f"| {row}", 4)
    data: dict[str, Any] = result.structured_content or {}
    previews = [block for block in result.content if isinstance(block, ImageContent)]
    links = [block for block in result.content if block.type == "resource_link"]
    paths = [image["path"] for image in data.get("images", [])]
    preview_kb = ", ".join(f"{len(p.data) // 1024} KB" for p in previews) or "none"
    report.line(
        f"{report.ok} saved {_n(len(paths), 'file')}; the result carries {_n(len(previews), 'preview')} "
        f"({preview_kb} of base64 JPEG), {_n(len(links), 'file link')}"
    )
    report.line(
        f"and structured content: {_result_size(result) // 1024} KB in all (clients accept up to 1 MiB)", 4
    )
    return paths


async def _progress(progress: float, total: float | None, message: str | None) -> None:
    print(f"    … {message}")


async def run(output_dir: Path) -> int:
    report = Report()
    log_path = output_dir / "server.log"
    env = {"SILICONFLOW_OUTPUT_DIR": str(output_dir), "SILICONFLOW_LOG_LEVEL": "INFO"}
    env.update({k: os.environ[k] for k in ("HOME", "PATH", "LANG") if k in os.environ})
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "siliconflow_images_mcp", "--offline"], env=env, cwd=Path("/")
    )

    print("SiliconFlow images over MCP: an offline tour")
    report.line("A real MCP client (the Python SDK's) starts `siliconflow-images mcp --offline` over stdio,")
    report.line("from / as desktop clients do. A local emulator plays SiliconFlow: no key, nothing billed.")

    with log_path.open("w", encoding="utf-8") as errlog:
        async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=120) as client:
            report.section("1. The tools the server offers")
            tools = (await client.list_tools()).tools
            for tool in tools:
                _describe_tool(report, tool)

            report.section("2. generate_image: a new picture from a prompt")
            report.line(f'prompt: "{PROMPT}"')
            report.line(f"model: Kwai-Kolors/Kolors, image_size 960x1280, seed {SEED}")
            generated = await client.call_tool(
                "generate_image",
                {"prompt": PROMPT, "image_size": "960x1280", "seed": SEED},
                progress_callback=_progress,
            )
            if generated.is_error:
                report.line(f"{report.no} {_text(generated)}")
                return 1
            source = _show_images(report, generated)[0]

            report.section("3. edit_image: change the picture just made, named by reference")
            report.line('image: "last" (the newest saved image; a siliconflow://images/ URI works too)')
            report.line(f'prompt: "{EDIT}"   model: the default edit model')
            edited = await client.call_tool(
                "edit_image", {"image": "last", "prompt": EDIT, "seed": SEED}, progress_callback=_progress
            )
            if edited.is_error:
                report.line(f"{report.no} {_text(edited)}")
                return 1
            result = _show_images(report, edited)[0]

            report.section("4. A mistake caught before any money is spent")
            report.line("generate_image with cfg=4 on Kwai-Kolors/Kolors (cfg is a Qwen option):")
            refused = await client.call_tool("generate_image", {"prompt": PROMPT, "cfg": 4})
            mark = report.ok if refused.is_error else report.no
            for row in _text(refused).removeprefix("Error executing tool generate_image: ").splitlines():
                report.line(f"{mark} {row}" if row.startswith("The request") else f"  {row}")

            report.section("5. list_models: what each model takes")
            listing = await client.call_tool("list_models", {})
            for entry in (listing.structured_content or {}).get("models", []):
                sizes = entry["sizes"][:2]
                more = f", sizes {', '.join(sizes)}, ..." if sizes else ""
                report.line(f"{entry['name']:<28} {entry['task']:<14} options: {len(entry['options'])}{more}")

            report.section("6. The saved images are resources any client can read")
            listed = (await client.list_resources()).resources
            for resource in listed:
                report.line(f"{resource.uri}  ({resource.mime_type}, {(resource.size or 0) // 1024} KB)")
            record = await client.read_resource(f"{listed[0].uri}/metadata")
            metadata = json.loads(getattr(record.contents[0], "text", "{}"))
            report.line(
                f"{report.ok} its metadata says how it was made: {metadata['record']['model']}, seed {metadata['record']['seed']},"
            )
            report.line(f'prompt "{metadata["record"]["prompt"]}"', 4)
            report.line("(the same record is inside the PNG file, as text chunks image tools read)", 4)

    report.section("Done")
    sheet = await anyio.to_thread.run_sync(_before_after, Path(source), Path(result), output_dir / "tour.jpg")
    report.line(f"{report.ok} everything above took {report.elapsed()}; the images are in {output_dir}/")
    report.line(f"before and after, side by side: {sheet}")
    report.line(f"the server's log (its stderr): {log_path}")
    report.line("These are placeholders drawn by the emulator. For real images, set SILICONFLOW_API_KEY")
    report.line("and start `siliconflow-images mcp` without --offline (see the README for client set-up).")
    return 0


def _before_after(before: Path, after: Path, target: Path) -> Path:
    """One small picture of both images, for a README or a quick look."""
    from PIL import Image

    height = 480
    with Image.open(before) as a, Image.open(after) as b:
        panels = [im.convert("RGB").resize((round(im.width * height / im.height), height)) for im in (a, b)]
    gap = 16
    sheet = Image.new("RGB", (sum(p.width for p in panels) + gap * 3, height + gap * 2), (24, 24, 24))
    x = gap
    for panel in panels:
        sheet.paste(panel, (x, gap))
        x += panel.width + gap
    sheet.save(target, "JPEG", quality=85)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m siliconflow_images_mcp.demo", description=__doc__)
    parser.add_argument(
        "--output-dir", default="demo-output", help="where the images go (default demo-output/)"
    )
    args = parser.parse_args(argv)
    output_dir = Path(args.output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    raise SystemExit(anyio.run(run, output_dir))


if __name__ == "__main__":
    main()
