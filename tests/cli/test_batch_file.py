"""A batch file from anywhere: hostile names and values are shown escaped and bounded, and said once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cli_support import Result, batch_file

Cli = Callable[..., Result]


def test_a_control_character_in_an_image_path_never_reaches_the_terminal(cli: Cli, cwd: Path) -> None:
    batch_file(cwd / "jobs.jsonl", [{"prompt": "x", "image": "\x1b[2Jphoto.png"}])

    result = cli("batch", "jobs.jsonl")

    assert result.code == 3
    assert "\x1b" not in result.err and "\\x1b[2Jphoto.png" in result.err
