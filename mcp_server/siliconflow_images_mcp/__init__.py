"""The siliconflow-images MCP server: generate_image, edit_image and list_models for any MCP client.

Start it with `siliconflow-images mcp` (or `python -m siliconflow_images_mcp`); `main()`
parses the options and `server.serve()` runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses

import anyio

from .config import ENVIRONMENT, ConfigError, Settings
from .logs import configure as configure_logging

__all__ = ["Settings", "main"]

PROG = "siliconflow-images mcp"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="MCP server for SiliconFlow image generation and editing. Options override the "
        "SILICONFLOW_* environment variables; the API key comes only from SILICONFLOW_API_KEY.",
        epilog="environment:\n" + "\n".join(f"  {name:<32} {what}" for name, what in ENVIRONMENT.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--transport", choices=["stdio", "streamable-http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="streamable-http only (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="streamable-http only (default 8000)")
    parser.add_argument(
        "--auth-token",
        help="bearer token HTTP clients must send; required off loopback. Prefer SILICONFLOW_MCP_TOKEN: "
        "a command line is visible to other users of this machine (ps)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        help="a Host header to accept behind a proxy, e.g. images.example.com (repeatable)",
    )
    parser.add_argument("--allowed-origin", action="append", help="an Origin header to accept (repeatable)")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="serve placeholder images from the built-in emulator; no key needed",
    )
    parser.add_argument("--base-url", help="API base URL; its host picks the site (SILICONFLOW_BASE_URL)")
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
    """`siliconflow-images mcp`: check the settings, then serve until the client goes."""
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
            auth_token=args.auth_token,
            allowed_hosts=args.allowed_host,
            allowed_origins=args.allowed_origin,
        )
        exposure = None
        if args.transport == "streamable-http":
            from .http_access import decide

            exposure = decide(
                settings, args.host, args.port
            )  # a dangerous bind is refused before anything starts
    except ConfigError as exc:
        raise SystemExit(f"{PROG}: {exc}") from None
    configure_logging(settings.log_level, settings.secrets)

    from .server import serve

    with contextlib.ExitStack() as stack:
        if settings.offline:
            from .offline import OFFLINE_KEY, emulator

            base_url = stack.enter_context(emulator(settings.site))
            settings = dataclasses.replace(settings, base_url=base_url, api_key=OFFLINE_KEY)
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(serve, settings, exposure)


if __name__ == "__main__":  # pragma: no cover
    main()
