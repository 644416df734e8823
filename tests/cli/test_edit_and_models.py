"""`edit` (files, URLs and data URIs) and `models` (the spec's table joined with the account's list)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import CountingTransport, Result, image_size, png_file

Cli = Callable[..., Result]


def test_edit_a_file(cli: Cli, cwd: Path, transport: CountingTransport) -> None:
    png_file(cwd / "photo.png", size=(96, 64))

    result = cli("edit", "photo.png", "make the sky stormy", "--json")

    assert result.code == 0, result.err
    doc = result.json()
    assert doc["model"] == "Qwen/Qwen-Image-Edit-2509"  # the default edit model
    [image] = doc["images"]
    assert image_size(image["path"]) == (96, 64)  # an edit keeps its input's size
    assert transport.prompts == {"make the sky stormy": 1}


def test_edit_combines_three_inputs_given_as_file_and_data_uri(cli: Cli, cwd: Path) -> None:
    png_file(cwd / "a.png")
    uri = "data:image/png;base64," + base64.b64encode(png_file(cwd / "b.png").read_bytes()).decode()

    result = cli(
        "edit", "a.png", uri, str(cwd / "a.png"), "put them together", "-m", "Qwen/Qwen-Image-Edit-2509"
    )

    assert result.code == 0, result.err
    assert Path(result.lines[0]).is_file()


def test_edit_model_that_takes_one_image_refuses_three(
    cli: Cli, cwd: Path, transport: CountingTransport
) -> None:
    png_file(cwd / "a.png")

    result = cli("edit", "a.png", "a.png", "a.png", "combine", "-m", "Qwen/Qwen-Image-Edit")

    assert result.code == 3
    assert "`image2` does not apply" in result.err and "Nothing was sent" in result.err
    assert transport.generations == 0


def test_edit_a_missing_file_is_refused_before_any_call(cli: Cli, transport: CountingTransport) -> None:
    result = cli("edit", "nowhere.png", "make it blue", "-n", "3")

    assert result.code == 3
    assert result.err.count("cannot be read") == 1
    assert transport.generations == 0


def test_edit_needs_an_image_and_a_prompt(cli: Cli) -> None:
    assert cli("edit", "just-a-prompt").code == 2
    assert cli("edit", "a.png", "b.png", "c.png", "d.png", "too many").code == 2


def test_models_without_a_key_shows_the_table_and_says_so(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, transport: CountingTransport
) -> None:
    monkeypatch.delenv("SILICONFLOW_API_KEY")

    result = cli("models")

    assert result.code == 0
    assert "Kwai-Kolors/Kolors" in result.out and "Qwen/Qwen-Image-Edit-2509" in result.out
    assert "No SILICONFLOW_API_KEY" in result.err and "table only" in result.err
    assert "ACCOUNT" not in result.out


def test_models_joins_the_accounts_list(cli: Cli) -> None:
    result = cli("models", "--json")

    assert result.code == 0, result.err
    doc = result.json()
    assert doc["live"] is True
    kolors = next(row for row in doc["models"] if row["id"] == "Kwai-Kolors/Kolors")
    assert kolors["offered"] is True and kolors["per_call"] == 4 and kolors["default"] is True
    qwen = next(row for row in doc["models"] if row["id"] == "Qwen/Qwen-Image")
    assert qwen["per_call"] == 1 and "1664x928" in qwen["sizes"]

    table = cli("models")
    assert "ACCOUNT" in table.out and "offered" in table.out


def test_models_with_a_refused_key_is_an_api_error(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SILICONFLOW_API_KEY", "sk-not-this-one")

    result = cli("models")

    assert result.code == 4
    assert "401" in result.err and "SILICONFLOW_API_KEY" in result.err
    assert "sk-not-this-one" not in result.err


def test_models_offline(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SILICONFLOW_API_KEY")

    doc = cli("models", "--offline", "--json").json()

    assert doc["live"] is True and doc["placeholder"] is True
