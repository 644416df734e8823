"""The README's Python snippets run as written, against the emulator: a new user can copy them.

Each ```python block runs in its own interpreter, in a fresh folder, with SILICONFLOW_API_KEY
and SILICONFLOW_BASE_URL pointing at a local emulator. A block right after the comment
`<!-- not run: why -->` is skipped (it needs something a test cannot have, said why).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from siliconflow_emulator import EmulatorSettings, run_in_thread
from siliconflow_emulator.running import RunningEmulator

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- not run: [^>]+-->\s*)?```python\n(.*?)```", re.DOTALL)


def snippets() -> list[tuple[str, str]]:
    text = README.read_text()
    found = []
    for match in BLOCK.finditer(text):
        if match.group(1):
            continue
        line = text[: match.start()].count("\n") + 1
        found.append((f"README.md:{line}", match.group(2)))
    return found


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with run_in_thread(EmulatorSettings()) as running:
        yield running


def test_the_readme_has_python_snippets() -> None:
    assert len(snippets()) >= 6


@pytest.mark.parametrize(("where", "code"), snippets(), ids=[where for where, _ in snippets()])
def test_a_readme_snippet_runs(where: str, code: str, emulator: RunningEmulator, tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SILICONFLOW_")},
        "SILICONFLOW_API_KEY": "sk-readme-example-key",
        "SILICONFLOW_BASE_URL": emulator.base_url,
        "HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{where} failed:\n{result.stdout}\n{result.stderr}"


def test_the_readme_model_table_agrees_with_the_spec() -> None:
    """Rows of "Sites and models" say what the spec's table says (a model may be missing, never wrong)."""
    from siliconflow_models import MODELS

    section = README.read_text().split("## Sites and models", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        caps = MODELS[cells[0].strip("`")]
        assert cells[1].split(" ", 1)[0].rstrip(":") in caps.sites
        for field in caps.fields:
            assert (
                f"`{field}`" in cells[3]
                or (field == "image" and "image" in cells[2])
                or "as Qwen-Image-Edit" in cells[3]
            )
        for size in caps.recommended_image_sizes:
            assert size.size in cells[4]
        assert ("the only ones" in cells[4]) == caps.fixed_sizes
