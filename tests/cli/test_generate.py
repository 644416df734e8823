"""`generate`: saved files and their paths, several calls at once, options, --json, where files go."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import SECRET_KEY, CountingTransport, FakeClock, Result, image_size

from siliconflow_emulator import RunningEmulator
from siliconflow_images.cli import run

Cli = Callable[..., Result]


def test_saves_the_image_and_prints_its_path(cli: Cli, cwd: Path, transport: CountingTransport) -> None:
    result = cli("generate", "a lighthouse at dusk", "--size", "256x256")

    assert result.code == 0, result.err
    [line] = result.lines
    path = Path(line)
    assert path.parent == cwd and path.is_file()
    assert "Kwai-Kolors_Kolors" in path.name  # the default model when the site is not SiliconFlow's
    assert image_size(path) == (256, 256)
    assert transport.generations == 1
    assert result.err == ""  # nothing noisy on success


def test_six_qwen_images_are_six_calls_at_once(
    cli: Cli, emulator: RunningEmulator, transport: CountingTransport
) -> None:
    emulator.settings.faults.fixed_latency = 0.4

    result = cli("generate", "six foxes", "-m", "Qwen/Qwen-Image", "-n", "6", "--size", "128x128")

    assert result.code == 0, result.err
    assert len(result.lines) == 6 and all(Path(line).is_file() for line in result.lines)
    assert transport.generations == 6  # Qwen-Image makes one image per call
    assert transport.most_in_flight == 6
    # One after another, each would wait for the answer before it: all six went before any came back.
    assert transport.sent_before_first_answer == 6


def test_kolors_makes_four_per_call(cli: Cli, transport: CountingTransport) -> None:
    result = cli("generate", "cats", "-m", "Kwai-Kolors/Kolors", "-n", "6", "--size", "128x128", "--json")

    assert result.code == 0, result.err
    assert transport.generations == 2  # 4 + 2
    assert len(result.json()["images"]) == 6


def test_concurrency_bounds_the_calls_under_way(
    cli: Cli, emulator: RunningEmulator, transport: CountingTransport
) -> None:
    emulator.settings.faults.fixed_latency = 0.1
    result = cli("generate", "x", "-m", "Qwen/Qwen-Image", "-n", "4", "--size", "64x64", "--concurrency", "2")

    assert result.code == 0, result.err
    assert transport.generations == 4 and transport.most_in_flight == 2


def test_json_document_and_seeds_of_several_calls(cli: Cli) -> None:
    result = cli(
        "generate",
        "a red fox",
        "-m",
        "Qwen/Qwen-Image",
        "-n",
        "3",
        "--seed",
        "41",
        "--size",
        "64x64",
        "--json",
    )

    assert result.code == 0
    doc = result.json()  # stdout is exactly one JSON document
    assert doc["exit_code"] == 0 and doc["errors"] == [] and doc["placeholder"] is False
    assert doc["model"] == "Qwen/Qwen-Image" and doc["prompt"] == "a red fox"
    # Several calls with one seed would draw one picture three times: each call gets the next seed.
    assert sorted(image["seed"] for image in doc["images"]) == [41, 42, 43]
    # Each image says which of the three calls made it (as a batch manifest's "call" does).
    assert sorted(image["call"] for image in doc["images"]) == [1, 2, 3]
    assert all(
        image["trace_id"].startswith("ti_") and Path(image["path"]).is_file() for image in doc["images"]
    )


def test_aspect_picks_the_models_recommended_size(cli: Cli) -> None:
    result = cli("generate", "a wide beach", "-m", "Qwen/Qwen-Image", "--aspect", "16:9", "--steps", "4")

    assert result.code == 0, result.err
    assert image_size(result.lines[0]) == (1664, 928)


def test_prompt_from_stdin(cli: Cli, monkeypatch: pytest.MonkeyPatch, transport: CountingTransport) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a prompt from a pipe\n"))

    result = cli("generate", "-", "--size", "64x64")

    assert result.code == 0, result.err
    assert transport.prompts == {"a prompt from a pipe": 1}


def test_output_folder_from_option_then_environment(
    cli: Cli, cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SILICONFLOW_OUTPUT_DIR", str(cwd / "from-env"))
    from_env = cli("generate", "x", "--size", "64x64")
    from_option = cli("generate", "x", "--size", "64x64", "-o", "chosen")

    assert Path(from_env.lines[0]).parent == cwd / "from-env"
    assert Path(from_option.lines[0]).parent == cwd / "chosen"


def test_relative_output_dir_variable_is_taken_from_home(
    cli: Cli, cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the MCP server reads it: one variable, one meaning, whatever the working folder.
    monkeypatch.setenv("SILICONFLOW_OUTPUT_DIR", "pictures")
    result = cli("generate", "x", "--size", "64x64")

    assert Path(result.lines[0]).parent == cwd.parent / "home" / "pictures"


def test_relative_output_dir_variable_is_taken_from_the_given_environments_home(
    cwd: Path, emulator: RunningEmulator, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    # run() reads the environment it is given, HOME included, not the process's.
    elsewhere = cwd.parent / "elsewhere"
    env = {
        "SILICONFLOW_API_KEY": SECRET_KEY,
        "SILICONFLOW_BASE_URL": emulator.base_url,
        "SILICONFLOW_OUTPUT_DIR": "pictures",
        "HOME": str(elsewhere),
    }

    code = run(["generate", "x", "--size", "64x64"], clock=clock, transport=CountingTransport(), env=env)

    assert code == 0
    assert Path(capsys.readouterr().out.strip()).parent == elsewhere / "pictures"


def test_offline_says_the_images_are_placeholders(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SILICONFLOW_API_KEY")
    monkeypatch.delenv("SILICONFLOW_BASE_URL")

    plain = cli("generate", "x", "--size", "64x64", "--offline")
    as_json = cli("generate", "x", "--size", "64x64", "--offline", "--json")

    assert plain.code == 0 and Path(plain.lines[0]).is_file()
    assert "placeholder" in plain.err
    doc = as_json.json()
    assert doc["offline"] is True and doc["placeholder"] is True and "placeholder" in doc["note"]
