"""siliconflow-images mcp: an MCP server that creates and edits images with SiliconFlow's image API."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import sys

import anyio

from .config import ENVIRONMENT, ConfigError, Settings

__all__ = ["Settings", "main"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="siliconflow-images mcp",
        description="MCP server for SiliconFlow image generation and editing. Options override the "
        "SILICONFLOW_* environment variables; the API key comes only from SILICONFLOW_API_KEY.",
        epilog="environment:\n" + "\n".join(f"  {name:<28} {what}" for name, what in ENVIRONMENT.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--transport", choices=["stdio", "streamable-http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="streamable-http only (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="streamable-http only (default 8000)")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="serve placeholder images from the built-in emulator; no key needed",
    )
    parser.add_argument("--base-url", help="API base URL (SILICONFLOW_BASE_URL)")
    parser.add_argument("--output-dir", help="where images are saved (SILICONFLOW_OUTPUT_DIR)")
    parser.add_argument(
        "--allowed-dir",
        action="append",
        help="a folder input images may be read from; repeat for more (SILICONFLOW_ALLOWED_DIRS)",
    )
    parser.add_argument("--preview-bytes", type=int, help="base64 budget per preview, 0 for none")
    parser.add_argument("--timeout", type=float, help="seconds to wait for an answer (SILICONFLOW_TIMEOUT)")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR (SILICONFLOW_LOG_LEVEL)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Console script `siliconflow-images mcp`."""
    args = parse_args(argv)
    try:
        settings = Settings.load(
            base_url=args.base_url,
            output_dir=args.output_dir,
            allowed_dirs=args.allowed_dir,
            preview_bytes=args.preview_bytes,
            timeout=args.timeout,
            log_level=args.log_level,
            offline=args.offline,
        )
    except ConfigError as exc:
        raise SystemExit(f"siliconflow-images mcp: {exc}") from None
    configure_logging(settings.log_level)

    from .server import serve

    with contextlib.ExitStack() as stack:
        if settings.offline:
            from .offline import OFFLINE_KEY, emulator

            base_url = stack.enter_context(emulator())
            settings = dataclasses.replace(settings, base_url=base_url, api_key=OFFLINE_KEY)
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(serve, settings, args.transport, args.host, args.port)


def configure_logging(level: str) -> None:
    # stdout carries the protocol on stdio: every log line goes to stderr.
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
