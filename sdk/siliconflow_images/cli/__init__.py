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

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

from . import exits

if TYPE_CHECKING:
    import httpx

    from .._clock import Clock

__all__ = ["main", "run"]

PASSTHROUGH: Final = ("mcp", "emulator")
"""Subcommands whose arguments go, untouched, to another program's own parser."""


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
    # Only now: an MCP client waits on `siliconflow-images mcp` to start, and that path needs
    # neither the HTTP client nor the commands.
    from .app import run_command

    return run_command(argv, clock=clock, transport=transport, env=env)


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
