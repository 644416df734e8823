"""A batch file from anywhere: hostile names and values are shown escaped and bounded, and said once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cli_support import CountingTransport, Result, batch_file

Cli = Callable[..., Result]


def test_a_control_character_in_a_field_name_never_reaches_the_terminal(
    cli: Cli, cwd: Path, transport: CountingTransport
) -> None:
    batch_file(cwd / "jobs.jsonl", [{"prompt": "x", "\x1b[2Jsize": "64x64"}])

    result = cli("batch", "jobs.jsonl")

    assert result.code == 2
    assert "\x1b" not in result.err
    assert "line 1: unknown field `\\x1b[2Jsize`" in result.err
    assert transport.generations == 0


def test_a_huge_field_name_is_clipped(cli: Cli, cwd: Path) -> None:
    batch_file(cwd / "jobs.jsonl", [{"prompt": "x", "k" * 200_000: 1}])

    result = cli("batch", "jobs.jsonl")

    assert result.code == 2
    assert "k" * 39 in result.err and "k" * 41 not in result.err
    assert len(result.err) < 2_000


def test_the_known_field_names_are_listed_once_for_the_file(cli: Cli, cwd: Path) -> None:
    batch_file(
        cwd / "jobs.jsonl",
        [{"prompt": "x", "sise": "64x64", "sead": 1}, {"prompt": "y", "stpes": 4}],
    )

    result = cli("batch", "jobs.jsonl")

    assert result.code == 2
    for name in ("sise", "sead", "stpes"):
        assert f"unknown field `{name}`" in result.err
    assert result.err.count("num_inference_steps") == 1


def test_a_wrong_type_says_what_the_field_takes_in_words(cli: Cli, cwd: Path) -> None:
    batch_file(
        cwd / "jobs.jsonl",
        [
            {"prompt": "x", "steps": "many"},
            {"prompt": "x", "cfg": "high"},
            {"prompt": "x", "enhance": "yes"},
            {"prompt": "x", "format": 1},
        ],
    )

    result = cli("batch", "jobs.jsonl")

    assert result.code == 2
    assert 'line 1: `steps` must be a whole number, not "many"' in result.err
    assert 'line 2: `cfg` must be a number, not "high"' in result.err
    assert 'line 3: `enhance` must be true or false, not "yes"' in result.err
    assert "line 4: `format` must be a string, not 1" in result.err
    assert "a integer" not in result.err


def test_a_key_given_twice_is_a_problem_not_a_silent_choice(
    cli: Cli, cwd: Path, transport: CountingTransport
) -> None:
    (cwd / "jobs.jsonl").write_text('{"prompt": "a cat", "prompt": "a dog", "size": "64x64"}\n')

    result = cli("batch", "jobs.jsonl")

    assert result.code == 2
    assert "line 1: `prompt` is given more than once" in result.err
    assert transport.generations == 0


def test_a_control_character_in_an_image_path_never_reaches_the_terminal(cli: Cli, cwd: Path) -> None:
    batch_file(cwd / "jobs.jsonl", [{"prompt": "x", "image": "\x1b[2Jphoto.png"}])

    result = cli("batch", "jobs.jsonl")

    assert result.code == 3
    assert "\x1b" not in result.err and "\\x1b[2Jphoto.png" in result.err


def test_the_manifest_keeps_the_line_as_written(cli: Cli, cwd: Path) -> None:
    batch_file(cwd / "jobs.jsonl", [{"prompt": "x", "size": "64x64", "seed": None}])

    result = cli("batch", "jobs.jsonl", "--json")

    assert result.code == 0, result.err
    [record] = [json.loads(line) for line in (cwd / "jobs.manifest.jsonl").read_text().splitlines()]
    assert record["input"] == {"prompt": "x", "size": "64x64", "seed": None}
    assert record["request"] == {"model": "Kwai-Kolors/Kolors", "prompt": "x", "n": 1, "image_size": "64x64"}
