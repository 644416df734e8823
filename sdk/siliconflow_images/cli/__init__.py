"""`siliconflow-images`: the command line, thin on the SDK.

    siliconflow-images generate "a lighthouse at dusk" -n 4 --aspect 16:9
    siliconflow-images edit photo.png "make the sky stormy"
    siliconflow-images models
    siliconflow-images batch prompts.jsonl --ipm 20 --resume
    siliconflow-images mcp --offline
    siliconflow-images emulator --port 8765

`main()` is the console script; `run()` is the same with the clock, the HTTP transport and the
environment passed in, so tests neither wait nor reach the network.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from typing import Final

import anyio
import httpx

from .._clock import Clock, SystemClock
from ..errors import SiliconFlowError
from . import commands, exits
from .batch import batch
from .exits import UsageError
from .output import Output
from .parser import PASSTHROUGH, build_parser, parse
from .session import Context, Settings, offline_emulator

__all__ = ["main", "run"]

COMMANDS: Final[Mapping[str, Callable[[Context], int]]] = {
    "generate": lambda ctx: anyio.run(commands.generate, ctx),
    "edit": lambda ctx: anyio.run(commands.edit, ctx),
    "models": lambda ctx: anyio.run(commands.models, ctx),
    "batch": batch,
}


def main(argv: Sequence[str] | None = None) -> int:
    """The `siliconflow-images` console script; returns the exit code."""
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except BrokenPipeError:
        # The reader (`| head`) went away: not an error of ours. Stop Python complaining at exit too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exits.FAILED


def run(
    argv: Sequence[str],
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run one command line; `transport` carries the SDK's requests (tests count them there)."""
    argv = list(argv)
    if argv and argv[0] in PASSTHROUGH:
        return passthrough(argv[0], argv[1:])
    if not argv:
        # Nothing to do: show what there is rather than wait on a terminal.
        build_parser().print_help(sys.stdout)
        return exits.USAGE
    try:
        args = parse(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else exits.USAGE
    clock = clock if clock is not None else SystemClock()
    env = os.environ if env is None else env
    out = Output(json_mode=args.json, clock=clock)
    if args.verbose:
        logging.basicConfig(
            stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
        )
    settings: Settings | None = None
    try:
        with ExitStack() as stack:
            settings = Settings.load(
                env, base_url=getattr(args, "base_url", None), timeout=getattr(args, "timeout", None)
            )
            if getattr(args, "offline", False):
                settings = settings.offline_at(stack.enter_context(offline_emulator(settings.site)))
            ctx = Context(args, out, settings, clock, env, sys.stdin, transport)
            return COMMANDS[args.command](ctx)
    except (UsageError, SiliconFlowError) as exc:
        return failed(out, args.command, exc, str(exc))
    except KeyboardInterrupt:
        out.note("Interrupted.")
        return exits.INTERRUPTED


def failed(out: Output, command: str, error: Exception, message: str) -> int:
    """A failure before any result: its sentence on stderr (and as the JSON document), no traceback."""
    code = exits.code_for(error)
    out.note(message)
    if out.json_mode:
        error_doc = {"type": type(error).__name__, "message": message, "exit_code": code}
        out.document({"command": command, "error": error_doc, "exit_code": code})
    return code


def passthrough(name: str, argv: list[str]) -> int:
    """`mcp` and `emulator`: their own parsers read the rest of the command line."""
    try:
        if name == "mcp":
            from siliconflow_images_mcp import main as serve

            serve(argv)
        else:
            from siliconflow_emulator.cli import main as emulate

            emulate(argv)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or exits.OK
        print(exc.code, file=sys.stderr)
        return exits.USAGE
    except KeyboardInterrupt:
        return exits.INTERRUPTED
    return exits.OK
