"""The command line's grammar: subcommands, options, and what each value must look like."""

from __future__ import annotations

import argparse
import math
import textwrap
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final, NoReturn

from siliconflow_models import MODELS, OutputFormat
from siliconflow_models.capabilities import IMAGE_FIELDS

from ..catalog import ASPECT_RATIOS, parse_aspect
from . import exits, messages
from .exits import UsageError
from .image_request import FIELDS, MAX_IMAGES, SIZE_PATTERN
from .messages import PROG
from .session import ENVIRONMENT

DEFAULT_CONCURRENCY: Final = 8
EPILOG: Final = (
    "exit codes:\n"
    + "\n".join(
        textwrap.fill(meaning, 96, initial_indent=f"  {code:<5}", subsequent_indent=" " * 7)
        for code, meaning in exits.MEANINGS.items()
    )
    + "\n\nenvironment:\n"
    + "\n".join(f"  {name:<24} {what}" for name, what in ENVIRONMENT.items())
)


def package_version() -> str:
    try:
        return version("siliconflow-images")
    except PackageNotFoundError:
        return "unknown"


def _size(text: str) -> str:
    if not SIZE_PATTERN.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(messages.not_a_size(text))
    return text.strip()


def _aspect(text: str) -> str:
    try:
        parse_aspect(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _whole(text: str, low: int | None = None, high: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or (low is not None and value < low) or (high is not None and value > high):
        raise argparse.ArgumentTypeError(messages.not_a_whole_number(text, low, high))
    return value


def _integer(text: str) -> int:
    return _whole(text)


def _count(text: str) -> int:
    return _whole(text, 1, MAX_IMAGES)


def _positive_int(text: str) -> int:
    return _whole(text, 1)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(messages.not_a_number(text))
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(messages.not_a_number(text, positive=True))
    return value


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is raised (as UsageError) rather than printed and exited on.

    `--json` promises one JSON document, failure included; argparse's own `error` would print to
    stderr and exit before the command could write it.
    """

    def error(self, message: str) -> NoReturn:
        raise UsageError(messages.bad_usage(self.prog, message.removeprefix("argument ")))


def wants_json(argv: Sequence[str]) -> bool:
    """Whether `--json` is asked for, read even from a command line that is otherwise wrong."""
    probe = Parser(add_help=False)
    probe.add_argument("--json", action="store_true")
    try:
        known, _ = probe.parse_known_args(list(argv))
    except UsageError:
        return False
    return bool(known.json)


def _common() -> Parser:
    parent = Parser(add_help=False)
    parent.add_argument("--json", action="store_true", help="print one JSON document on stdout (for scripts)")
    parent.add_argument("-v", "--verbose", action="store_true", help="log requests and retries to stderr")
    return parent


def _api() -> Parser:
    parent = Parser(add_help=False)
    where = parent.add_mutually_exclusive_group()
    where.add_argument(
        "--offline",
        action="store_true",
        help="use the built-in emulator: placeholder images, no key, nothing billed",
    )
    where.add_argument("--base-url", help="API base URL (SILICONFLOW_BASE_URL)")
    parent.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="SECONDS",
        help="wait this long for an answer (SILICONFLOW_TIMEOUT)",
    )
    return parent


def _takers(field: str) -> str:
    """The table's models that take `field`, for an option's help ('' when every one does)."""
    names = [caps.name.rsplit("/", 1)[-1] for caps in MODELS.values() if caps.accepts(field)]
    if len(names) == len(MODELS):
        return ""
    return f" ({', '.join(names) or 'no model in the table'})"


def _request() -> Parser:
    """The request's options; each stores under its API name, which a batch line may use too."""
    parent = Parser(add_help=False)
    group = parent.add_argument_group("request")
    group.add_argument("-m", "--model", help="model name (default: the site's default; see `models`)")
    group.add_argument("-n", type=_count, default=1, help=f"how many images (1 to {MAX_IMAGES}; default 1)")
    shape = group.add_mutually_exclusive_group()
    shape.add_argument(
        "--size",
        dest="image_size",
        type=_size,
        metavar="WxH",
        help="image_size, e.g. 1328x1328" + _takers("image_size"),
    )
    shape.add_argument(
        "--aspect",
        dest="aspect_ratio",
        type=_aspect,
        metavar="W:H",
        help=f"the model's recommended size nearest this ratio ({', '.join(ASPECT_RATIOS)})",
    )
    group.add_argument(
        "--seed",
        type=_integer,
        metavar="N",
        help="seed; several calls use seed, seed+1, ..." + _takers("seed"),
    )
    group.add_argument(
        "--steps",
        dest="num_inference_steps",
        type=_integer,
        metavar="N",
        help="num_inference_steps" + _takers("num_inference_steps"),
    )
    group.add_argument("--cfg", type=_number, metavar="X", help="cfg" + _takers("cfg"))
    group.add_argument(
        "--guidance",
        dest="guidance_scale",
        type=_number,
        metavar="X",
        help="guidance_scale" + _takers("guidance_scale"),
    )
    group.add_argument(
        "--negative",
        dest="negative_prompt",
        metavar="TEXT",
        help="negative_prompt: what to keep out of the image" + _takers("negative_prompt"),
    )
    group.add_argument(
        "--format",
        dest="output_format",
        choices=[member.value for member in OutputFormat],
        help="output_format" + _takers("output_format"),
    )
    group.add_argument(
        "--enhance",
        dest="prompt_enhancement",
        action=argparse.BooleanOptionalAction,
        help="prompt_enhancement" + _takers("prompt_enhancement"),
    )
    return parent


def _aliases() -> dict[str, str]:
    # The API calls -n's images per call batch_size; a batch line may use either name.
    found = {"batch_size": "n"}
    for action in _request()._actions:
        for option in action.option_strings:
            name = option.removeprefix("--")
            if option.startswith("--") and name != action.dest and not name.startswith("no-"):
                found[name] = action.dest
    return found


ALIASES: Final[Mapping[str, str]] = _aliases()
"""Short names (the request options' own) for the API's field names, as a batch line may use them."""


def _batch_epilog() -> str:
    short: dict[str, list[str]] = {}
    for alias, name in ALIASES.items():
        short.setdefault(name, []).append(alias)
    names = [
        " | ".join([name, *short.get(name, [])]) + (" (required)" if name == "prompt" else "")
        for name in FIELDS
        if name not in IMAGE_FIELDS
    ]
    listed = textwrap.fill(
        ", ".join(names) + ",", 96, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False
    )
    return (
        "file format: one JSON object per line; blank lines and lines starting with # are skipped,\n"
        "a line that is a JSON string is a prompt. Fields (API name, or its short name):\n"
        f"{listed}\n"
        f"  {', '.join(IMAGE_FIELDS)} (a file relative to FILE's folder, a URL or a data: URI: an edit)\n"
        '  {"prompt": "a red fox in snow", "model": "Qwen/Qwen-Image", "aspect": "16:9", "seed": 7}\n'
        f"\nexample: {PROG} batch prompts.jsonl --ipm 2 -o out   (then again with --resume)"
    )


BATCH_EPILOG: Final = _batch_epilog()


def _running() -> Parser:
    parent = Parser(add_help=False)
    parent.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        help="where images go (default: SILICONFLOW_OUTPUT_DIR, else the current folder)",
    )
    parent.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"calls under way at once, at most (default {DEFAULT_CONCURRENCY})",
    )
    parent.add_argument(
        "--ipm",
        type=_positive_float,
        metavar="N",
        help="images per minute at most (default: unpaced; 429s slow it down either way)",
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Create and edit images with SiliconFlow's image API.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    raw = argparse.RawDescriptionHelpFormatter
    common, api, request, running = _common(), _api(), _request(), _running()

    generate = commands.add_parser(
        "generate",
        parents=[request, running, api, common],
        formatter_class=raw,
        help="make images from a prompt",
        description="Make images from PROMPT, save them, and print their paths.",
        epilog=f"example: {PROG} generate 'a lighthouse at dusk, oil painting' -n 4 --aspect 16:9",
    )
    generate.add_argument(
        "prompt", nargs="?", metavar="PROMPT", help="what to draw; - (or none, piped) reads stdin"
    )

    edit = commands.add_parser(
        "edit",
        parents=[request, running, api, common],
        formatter_class=raw,
        help="edit an image (or combine up to three) following a prompt",
        description="Edit IMAGE following PROMPT (IMAGE2 and IMAGE3 are combined with it where the "
        "model takes them). Each image is a file, an http(s) URL or a data: URI.",
        epilog=f"example: {PROG} edit photo.png 'make the sky stormy'",
    )
    edit.add_argument("inputs", nargs="+", metavar="IMAGE [IMAGE2 IMAGE3] PROMPT")

    commands.add_parser(
        "models",
        parents=[api, common],
        help="the spec's model table, joined with what your account offers",
        description="List image models: the spec's table, joined with the account's live list when a "
        "key is set (or --offline).",
    )

    batch = commands.add_parser(
        "batch",
        parents=[running, api, common],
        formatter_class=raw,
        epilog=BATCH_EPILOG,
        help="run a JSON-lines file of requests, paced and resumable",
        description="Run FILE, one JSON request per line (the fields of generate, by their option or "
        "API names), pacing the calls and recording each result in a manifest as it comes.",
    )
    batch.add_argument("file", metavar="FILE", help="JSON lines: one request object per line")
    batch.add_argument("-m", "--model", help="model for lines that name none")
    batch.add_argument(
        "--manifest",
        metavar="PATH",
        help="where results are recorded (default: <output dir>/<FILE stem>.manifest.jsonl)",
    )
    batch.add_argument("--resume", action="store_true", help="skip what the manifest records as done")
    batch.add_argument(
        "--dry-run", action="store_true", help="check the file and show the plan; send nothing"
    )

    for name, what in (
        ("mcp", "start the MCP server (its options: mcp --help)"),
        ("emulator", "start the local emulator (its options: emulator --help)"),
    ):
        commands.add_parser(name, help=what, add_help=False)
    return parser


def parse(argv: list[str]) -> argparse.Namespace:
    """Parsed options; UsageError saying what is wrong (SystemExit(0) after --help or --version)."""
    args = build_parser().parse_args(argv)
    if args.command is None:
        raise UsageError(messages.no_command())
    return args


def request_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The request fields an invocation's options give, by their API names (the options' `dest`)."""
    return {
        name: value
        for name in FIELDS
        if name != "prompt" and name not in IMAGE_FIELDS and (value := getattr(args, name, None)) is not None
    }
