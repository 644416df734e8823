"""The commands that talk to the API (`generate`, `edit`, `models`, `batch`): parse, load, run, report."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Final

import anyio
import httpx

from .._clock import Clock, SystemClock
from ..errors import SiliconFlowError
from . import commands, exits, messages
from .batch import batch
from .exits import UsageError
from .output import Output
from .parser import build_parser, parse, wants_json
from .session import Context, Settings, offline_emulator

COMMANDS: Final[Mapping[str, Callable[[Context], int]]] = {
    "generate": lambda ctx: anyio.run(commands.generate, ctx),
    "edit": lambda ctx: anyio.run(commands.edit, ctx),
    "models": lambda ctx: anyio.run(commands.models, ctx),
    "batch": batch,
}


def run_command(
    argv: list[str],
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run one command line of ours; `transport` carries the SDK's requests (tests count them there)."""
    if not argv:
        # Nothing to do: show what there is rather than wait on a terminal.
        build_parser().print_help(sys.stdout)
        return exits.USAGE
    clock = clock if clock is not None else SystemClock()
    try:
        args = parse(argv)
    except UsageError as exc:
        command = argv[0] if argv[0] in COMMANDS else None
        return failed(Output(json_mode=wants_json(argv), clock=clock), command, exc)
    except SystemExit as exc:  # --help and --version have said their piece
        return exc.code if isinstance(exc.code, int) else exits.USAGE
    env = os.environ if env is None else env
    out = Output(json_mode=args.json, clock=clock)
    if args.verbose:
        logging.basicConfig(
            stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
        )
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
        return failed(out, args.command, exc)
    except KeyboardInterrupt:
        out.note(messages.INTERRUPTED)
        return exits.INTERRUPTED


def failed(out: Output, command: str | None, error: Exception) -> int:
    """A failure before any result: its sentence on stderr (and as the JSON document), no traceback."""
    code = exits.code_for(error)
    message = str(error)
    out.note(message)
    if out.json_mode:
        error_doc = {"type": type(error).__name__, "message": message, "exit_code": code}
        out.document({"command": command, "error": error_doc, "exit_code": code})
    return code
