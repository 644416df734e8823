"""`siliconflow-emulator`: the command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Final

import uvicorn

from siliconflow_models import SITES

from .app import create_app
from .hosts import bind_refusal, is_loopback
from .running import listening_socket
from .settings import DEFAULT_IMAGE_TTL, DEFAULT_SITE, EmulatorSettings, Faults

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


@dataclass(frozen=True, slots=True)
class FaultFlag:
    """How the command line spells one field of `Faults`; its type and default come from the field."""

    help: str
    name: str | None = None
    """The flag; None: the field's name with dashes (`rate_limit`: `--rate-limit`)."""
    metavar: str | None = None
    """None: N for a count, SECONDS for the rest."""


FAULT_FLAGS: Final = MappingProxyType(
    {
        "rate_limit": FaultFlag("answer the next N generations 429"),
        "retry_after": FaultFlag("Retry-After of 429 and 503, rounded up (default: %(default)s)"),
        "overload": FaultFlag("answer the next N 503 (code 50505)"),
        "gateway_timeout": FaultFlag("answer the next N 504"),
        "malformed": FaultFlag("answer the next N 200 with a body off the spec"),
        "step_latency": FaultFlag("emulated inference time per step (a 20-step request at 0.05 takes 1 s)"),
        "fixed_latency": FaultFlag("extra seconds before every generation request is answered", "--latency"),
        "extra_urls": FaultFlag(
            "answer the next successful generation with N image URLs, whatever was asked for"
        ),
        "not_an_image": FaultFlag("serve the next N downloads as HTML pages"),
        "pixel_bomb": FaultFlag(
            "serve the next N downloads as small PNGs whose header claims 12000x12000 pixels"
        ),
        "trailing_bytes": FaultFlag("serve the next N downloads with 1 MiB of junk after the image's end"),
        "trickle": FaultFlag("send downloads one byte every SECONDS"),
        "download_rate": FaultFlag(
            "send downloads at most this fast (0: as fast as loopback goes)", metavar="BYTES_PER_SECOND"
        ),
    }
)
"""One entry per field of `Faults`: a fault without one stops the command from building its parser."""


@dataclass(frozen=True, slots=True)
class CliOptions:
    settings: EmulatorSettings
    host: str
    port: int
    log_level: str


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="siliconflow-emulator",
        description=(
            "A local stand-in for SiliconFlow's image API (POST /v1/images/generations, GET /v1/models): "
            "validates requests against the spec, answers with deterministic placeholder images, and "
            "misbehaves on demand. It never contacts SiliconFlow, and fetches no URL unless told to."
        ),
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; any but loopback needs --api-key (default: %(default)s)",
    )
    parser.add_argument(
        "--port", type=_port, default=8765, help="port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--api-key",
        action="append",
        type=_key,
        default=[],
        metavar="KEY",
        help="accept only this bearer token (repeatable); without it any non-empty token passes",
    )
    parser.add_argument(
        "--image-ttl",
        type=_non_negative_float,
        default=DEFAULT_IMAGE_TTL,
        metavar="SECONDS",
        help="seconds before an image URL answers 404 (default: %(default)s, like the API)",
    )
    parser.add_argument(
        "--site",
        choices=list(SITES),
        default=DEFAULT_SITE,
        help="which SiliconFlow site to be: it serves that site's models only (default: %(default)s)",
    )
    parser.add_argument(
        "--fetch-loopback",
        action="store_true",
        help="also fetch input images from loopback URLs (off: data URIs and its own image URLs only)",
    )
    parser.add_argument(
        "--photo-like",
        action="store_true",
        help="add seeded grain, so PNGs weigh what the API's do (about 1.6 bytes a pixel)",
    )
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="info", help="(default: %(default)s)")
    faults = parser.add_argument_group("faults", "misbehaviour for testing clients; all off by default")
    for setting in fields(Faults):
        flag = FAULT_FLAGS[setting.name]
        counted = isinstance(setting.default, int)
        faults.add_argument(
            flag.name or "--" + setting.name.replace("_", "-"),
            dest=setting.name,
            type=_count if counted else _non_negative_float,
            default=setting.default,
            metavar=flag.metavar or ("N" if counted else "SECONDS"),
            help=flag.help,
        )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> CliOptions:
    parser = build_parser()
    args = parser.parse_args(argv)
    refusal = bind_refusal(args.host, frozenset(args.api_key))
    if refusal is not None:
        parser.error(refusal)
    faults = Faults(**{setting.name: getattr(args, setting.name) for setting in fields(Faults)})
    settings = EmulatorSettings(
        api_keys=frozenset(args.api_key),
        image_ttl=args.image_ttl,
        faults=faults,
        site=args.site,
        fetch_loopback=args.fetch_loopback,
        photo_like=args.photo_like,
    )
    return CliOptions(settings=settings, host=args.host, port=args.port, log_level=args.log_level)


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_args(argv)
    level = "DEBUG" if options.log_level == "trace" else options.log_level.upper()
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s:     %(name)s: %(message)s")
    settings = options.settings
    try:
        # Bound before anything is printed, so the line below gives the port --port 0 picked.
        sock = listening_socket(options.host, options.port)
    except OSError as exc:
        sys.exit(f"siliconflow-emulator: cannot listen on {options.host} port {options.port}: {exc}")
    # Say how many keys, never which: the log may be pasted into a bug report.
    tokens = f"{len(settings.api_keys)} key(s) from --api-key" if settings.api_keys else "any non-empty token"
    host = f"[{options.host}]" if ":" in options.host else options.host
    print(
        f"siliconflow-emulator: http://{host}:{sock.getsockname()[1]}/v1 as site {settings.site} "
        f"(bearer: {tokens}; image URLs live {settings.image_ttl:g} s; {_describe_inputs(settings)}; "
        f"{'photo-like grain; ' if settings.photo_like else ''}faults: {_describe_faults(settings.faults)})",
        file=sys.stderr,
        flush=True,
    )
    app = create_app(settings, loopback_only=is_loopback(options.host))
    with sock:
        uvicorn.Server(uvicorn.Config(app, log_level=options.log_level)).run(sockets=[sock])


def _describe_faults(faults: Faults) -> str:
    armed = [
        f"{setting.name}={value:g}"
        for setting in fields(Faults)
        if (value := getattr(faults, setting.name)) != setting.default
    ]
    return ", ".join(armed) if armed else "none"


def _describe_inputs(settings: EmulatorSettings) -> str:
    loopback = ", loopback URLs" if settings.fetch_loopback else ""
    return f"input images: data URIs, its own image URLs{loopback}"


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _key(text: str) -> str:
    # A blank key would count as "keys were given" and then match no token at all.
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be blank")
    return text


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, not {value}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number, 0 or more, not {text}")
    return value
