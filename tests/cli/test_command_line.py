"""The command itself: help, version, exit codes, error sentences, --json failures, the key, progress, pass-through."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import SECRET_KEY, CountingTransport, Result, batch_file, manifest_records

from siliconflow_emulator import RunningEmulator
from siliconflow_images.cli import exits
from siliconflow_images.config import DEFAULT_BASE_URL, DEFAULT_READ_TIMEOUT
from siliconflow_models import MODELS, SITES

Cli = Callable[..., Result]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_arguments_prints_help_instead_of_waiting(cli: Cli) -> None:
    result = cli()

    assert result.code == exits.USAGE
    for command in ("generate", "edit", "models", "batch", "mcp", "emulator"):
        assert command in result.out
    assert "exit codes" in result.out and "SILICONFLOW_OUTPUT_DIR" in result.out


def test_help_lists_every_exit_code_from_the_one_table(cli: Cli) -> None:
    text = " ".join(cli("--help").out.split())

    for code, meaning in exits.MEANINGS.items():
        assert f"{code} {meaning}" in text


def test_the_readme_exit_code_table_says_what_the_command_does() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Command line", 1)[1].split("| exit code | meaning |", 1)[1]
    rows = [line for line in section.splitlines()[2:] if line.startswith("| ")]
    table = {}
    for row in rows[: len(exits.MEANINGS)]:
        code, meaning = (cell.strip() for cell in row.strip("|").split("|"))
        table[int(code)] = meaning.replace("`", "")
    assert table == exits.MEANINGS


@pytest.mark.parametrize(
    ("option", "field"),
    [
        ("--cfg", "cfg"),
        ("--guidance", "guidance_scale"),
        ("--steps", "num_inference_steps"),
        ("--format", "output_format"),
    ],
)
def test_an_options_help_names_the_models_that_take_it(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, option: str, field: str
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # one line per option
    [line] = [line for line in cli("generate", "--help").out.splitlines() if line.lstrip().startswith(option)]

    named = set(line.rsplit("(", 1)[1].rstrip(")").split(", "))
    assert named == {name.split("/")[-1] for name, caps in MODELS.items() if caps.accepts(field)}


def test_version(cli: Cli) -> None:
    result = cli("--version")

    assert result.code == 0 and result.out.startswith("siliconflow-images ")


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "x", "--size", "big"],
        ["generate", "x", "--aspect", "wide"],
        ["generate", "x", "--size", "64x64", "--aspect", "1:1"],
        ["generate", "x", "-n", "0"],
        ["batch"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(cli: Cli, args: list[str], transport: CountingTransport) -> None:
    result = cli(*args)

    assert result.code == exits.USAGE and result.err
    assert transport.generations == 0


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["generate", "x", "--size", "big"], "generate"),
        (["generate", "x", "--bogus"], "generate"),
        (["batch"], "batch"),
        (["frobnicate"], None),
    ],
)
def test_usage_errors_under_json_still_print_one_document(
    cli: Cli, args: list[str], command: str | None
) -> None:
    result = cli(*args, "--json")

    assert result.code == exits.USAGE
    doc = result.json()
    assert doc["command"] == command and doc["exit_code"] == exits.USAGE
    assert doc["error"]["type"] == "UsageError" and doc["error"]["message"] in result.err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["-n", "many"], "-n: takes a whole number from 1 to 100, not 'many'"),
        (["-n", "0"], "-n: takes a whole number from 1 to 100, not '0'"),
        (["--seed", "lucky"], "--seed: takes a whole number, not 'lucky'"),
        (["--cfg", "high"], "--cfg: takes a number, not 'high'"),
        (["--timeout", "soon"], "--timeout: takes a number above 0, not 'soon'"),
        (["--concurrency", "0"], "--concurrency: takes a whole number, 1 or more, not '0'"),
    ],
)
def test_a_bad_option_value_is_named_with_what_it_takes(cli: Cli, args: list[str], said: str) -> None:
    result = cli("generate", "x", *args)

    assert result.code == exits.USAGE
    assert said in result.err
    # argparse's own wording names the private function that read the value.
    assert "invalid" not in result.err and "value:" not in result.err


def test_a_missing_prompt_on_a_terminal_is_a_usage_error_not_a_wait(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal())

    result = cli("generate")

    assert result.code == exits.USAGE and "PROMPT" in result.err


def test_refusal_exits_3_in_the_commands_own_words(cli: Cli, transport: CountingTransport) -> None:
    result = cli("generate", "x", "-m", "Qwen/Qwen-Image-Edit", "--json")

    assert result.code == exits.REFUSED
    assert "use siliconflow-images edit" in result.err and "client.images" not in result.err
    doc = result.json()
    assert doc["exit_code"] == 3 and doc["error"]["type"] == "RequestRefusedError"
    assert transport.generations == 0


def test_option_the_model_does_not_take_is_refused(cli: Cli) -> None:
    result = cli("generate", "x", "-m", "Kwai-Kolors/Kolors", "--cfg", "4")

    assert result.code == exits.REFUSED and "`cfg` does not apply" in result.err


def test_api_errors_exit_4_and_never_show_the_key(cli: Cli, emulator: RunningEmulator) -> None:
    emulator.settings.api_keys = frozenset({"sk-some-other-key"})

    result = cli("generate", "x", "--size", "64x64", "--json")

    assert result.code == exits.API
    [error] = result.json()["errors"]
    assert error["type"] == "AuthenticationError" and "401" in error["message"]
    assert "Traceback" not in result.err
    # The cli fixture checks every output for any piece of SECRET_KEY; make sure it was in play.
    assert os.environ["SILICONFLOW_API_KEY"] == SECRET_KEY


def test_some_calls_failing_is_partial(cli: Cli, emulator: RunningEmulator) -> None:
    emulator.settings.faults.gateway_timeout = 2  # the first call meets it twice: 504, retried once, 504

    result = cli(
        "generate", "x", "-m", "Qwen/Qwen-Image", "-n", "3", "--size", "64x64", "--concurrency", "1", "--json"
    )

    assert result.code == exits.PARTIAL
    doc = result.json()
    assert len(doc["images"]) == 2
    [error] = doc["errors"]
    assert error["type"] == "GatewayTimeoutError" and error["maybe_billed"] is True
    assert error["call"] == 1 and sorted(image["call"] for image in doc["images"]) == [2, 3]


def test_no_key_is_a_usage_error_that_suggests_offline(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SILICONFLOW_API_KEY")

    result = cli("generate", "x", "--json")

    assert result.code == exits.USAGE
    assert "SILICONFLOW_API_KEY" in result.err and "--offline" in result.err
    assert result.json()["error"]["exit_code"] == exits.USAGE


def test_no_key_names_each_sites_console_and_base_url(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SILICONFLOW_API_KEY")

    result = cli("generate", "x")

    assert result.code == exits.USAGE
    for site in SITES.values():
        assert site.console.removeprefix("https://") in result.err
    assert f"SILICONFLOW_BASE_URL={SITES['com'].base_url}" in result.err


def test_a_key_with_a_trailing_newline_works_and_is_never_shown(
    cli: Cli, cwd: Path, monkeypatch: pytest.MonkeyPatch, transport: CountingTransport
) -> None:
    # As a CRLF .env file, or a key pasted with its line end, leaves it.
    monkeypatch.setenv("SILICONFLOW_API_KEY", SECRET_KEY + "\r\n")
    batch_file(cwd / "jobs.jsonl", [{"prompt": "y", "size": "64x64"}])

    result = cli("generate", "x", "--size", "64x64", "--json")
    batched = cli("batch", "jobs.jsonl", "--json")

    assert result.code == 0 and batched.code == 0, result.err + batched.err
    assert transport.generations == 2
    # The cli fixture has checked stdout and stderr for every piece of the key; files too:
    written = [path.name for path in cwd.rglob("*")] + [(cwd / "jobs.manifest.jsonl").read_text()]
    assert not any(SECRET_KEY[i : i + 8] in text for text in written for i in range(len(SECRET_KEY) - 7))


def test_a_bad_timeout_variable_is_a_usage_error_that_names_it(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SILICONFLOW_TIMEOUT", "\x1b[2Jsoon")

    result = cli("generate", "x", "--json")

    assert result.code == exits.USAGE
    assert "SILICONFLOW_TIMEOUT='\\x1b[2Jsoon' is not a positive number" in result.err


@pytest.mark.parametrize("command", [["generate", "x"], ["models"]])
def test_a_key_broken_by_a_newline_is_refused_without_showing_it(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, command: list[str], transport: CountingTransport
) -> None:
    monkeypatch.setenv("SILICONFLOW_API_KEY", SECRET_KEY[:16] + "\n" + SECRET_KEY[16:])

    result = cli(*command, "--json")

    assert result.code == exits.USAGE
    assert "whitespace" in result.err and "SILICONFLOW_API_KEY" in result.err
    assert result.json()["exit_code"] == exits.USAGE
    assert transport.generations == 0


def test_help_names_every_variable_with_the_sdks_defaults(cli: Cli) -> None:
    text = " ".join(cli("--help").out.split())

    for variable in (
        "SILICONFLOW_API_KEY",
        "SILICONFLOW_BASE_URL",
        "SILICONFLOW_SITE",
        "SILICONFLOW_OUTPUT_DIR",
    ):
        assert variable in text
    assert f"default {DEFAULT_BASE_URL}" in text and f"default {DEFAULT_READ_TIMEOUT:g}" in text


def test_progress_bars_only_on_a_terminal(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = Terminal(), Terminal()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)

    result = cli("generate", "x", "-n", "2", "-m", "Qwen/Qwen-Image", "--size", "64x64")

    assert result.code == 0
    assert "request (1/2)" in err.getvalue() and "\x1b[" in err.getvalue()  # the live display, on stderr
    assert out.getvalue().count(".png") == 2 and "\x1b[" not in out.getvalue()


def test_no_progress_when_piped(cli: Cli) -> None:
    result = cli("generate", "x", "--size", "64x64")

    assert "\x1b[" not in result.out + result.err


def test_mcp_and_emulator_take_their_own_arguments(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    mcp = cli("mcp", "--help")
    emulator = cli("emulator", "--help")

    assert mcp.code == 0 and "--transport" in mcp.out and "siliconflow-images mcp" in mcp.out
    assert emulator.code == 0 and "--rate-limit" in emulator.out
    assert cli("emulator", "--port", "nope").code == exits.USAGE


def test_console_script_entry(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "siliconflow_images.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0 and done.stdout.startswith("siliconflow-images")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_finishes_the_calls_under_way_and_records_them(
    cwd: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.settings.faults.fixed_latency = 0.3
    batch_file(cwd / "jobs.jsonl", [{"prompt": f"p{n}", "size": "64x64"} for n in range(40)])
    manifest = cwd / "jobs.manifest.jsonl"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "siliconflow_images.cli",
            "batch",
            "jobs.jsonl",
            "--concurrency",
            "2",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (manifest.exists() and len(manifest_records(manifest)) >= 2) and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)

    assert child.returncode == exits.INTERRUPTED, err
    assert "Stopping" in err and "--resume" in err and "Traceback" not in err
    doc = json.loads(out)
    assert doc["interrupted"] is True and 2 <= doc["done"] < 40
    # Every call that went out was let finish: each is in the manifest and its file on disk.
    records = manifest_records(manifest)
    assert len(records) == doc["done"] == len(list(cwd.glob("*.png")))
    assert all(r["error"] is None for r in records)
