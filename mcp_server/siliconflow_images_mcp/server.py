"""The MCP server: the three tools on an `MCPServer`, and running it over stdio or streamable HTTP."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE
from mcp.types import ToolAnnotations

from . import descriptions
from .config import Settings
from .tools import ImageTools

logger = logging.getLogger(__name__)

Transport = Literal["stdio", "streamable-http"]

# They make new files and cost money each time, but never change or delete anything.
CREATES_IMAGES = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
READS_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)

INSTRUCTIONS = (
    "Create and edit images with SiliconFlow. generate_image makes new pictures from a prompt, "
    "edit_image changes or combines existing ones (local files, URLs or data URIs), list_models says "
    "which models and options exist. Image calls cost money; both return a small preview, the saved "
    "file's path and the seed."
)


def build_server(settings: Settings, tools: ImageTools | None = None) -> MCPServer[Any]:
    tools = tools if tools is not None else ImageTools(settings)
    server: MCPServer[Any] = MCPServer(
        "siliconflow-images",
        title="SiliconFlow images",
        instructions=INSTRUCTIONS,
        version=_version(),
        log_level=_sdk_level(settings.log_level),
    )
    server.add_tool(
        tools.generate_image,
        name="generate_image",
        title="Generate images (SiliconFlow)",
        description=descriptions.generate_image(settings),
        annotations=CREATES_IMAGES,
    )
    server.add_tool(
        tools.edit_image,
        name="edit_image",
        title="Edit images (SiliconFlow)",
        description=descriptions.edit_image(settings),
        annotations=CREATES_IMAGES,
    )
    server.add_tool(
        tools.list_models,
        name="list_models",
        title="List image models (SiliconFlow)",
        description=descriptions.list_models(settings),
        annotations=READS_ONLY,
    )
    return server


async def serve(
    settings: Settings, transport: Transport = "stdio", host: str = "127.0.0.1", port: int = 8000
) -> None:
    """Run until the client disconnects (stdio) or the process is stopped (HTTP)."""
    tools = ImageTools(settings)
    # One httpx client for the whole run, closed here rather than per session: HTTP serves many.
    try:
        server = build_server(settings, tools)
        where = settings.base_url + (" (offline emulator)" if settings.offline else "")
        logger.info(
            "siliconflow-images mcp %s over %s; API %s; saving to %s",
            _version(),
            transport,
            where,
            settings.output_dir,
        )
        if transport == "stdio":
            await server.run_stdio_async()
        else:
            await server.run_streamable_http_async(
                host=host, port=port, max_request_body_size=request_body_limit(settings)
            )
    finally:
        await tools.aclose()


def request_body_limit(settings: Settings) -> int:
    """Room for three input images sent as data URIs: the SDK's 4 MiB default fits barely one."""
    base64_image = settings.max_input_bytes * 4 // 3 + 1024
    return max(DEFAULT_MAX_REQUEST_BODY_SIZE, 3 * base64_image + 1024 * 1024)


def _version() -> str:
    try:
        return version("siliconflow-images")
    except PackageNotFoundError:
        return "0"


def _sdk_level(level: str) -> Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]:
    known: dict[str, Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]] = {
        "DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARNING", "ERROR": "ERROR", "CRITICAL": "CRITICAL"
    }  # fmt: skip
    return known.get(level, "INFO")
