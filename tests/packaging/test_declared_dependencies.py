"""Every third-party module the tests and benchmarks import is declared in their dependency group.

A module that arrives only as some other package's dependency works until that package drops
it, or until a version that pip picks for the other package is one this code cannot run on.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
FIRST_PARTY = set(PYPROJECT["tool"]["ruff"]["lint"]["isort"]["known-first-party"])


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(group: str | None) -> set[str]:
    """Distribution names the runtime dependencies and `group` (with the groups it includes) declare."""
    requirements = list(PYPROJECT["project"]["dependencies"])
    groups = PYPROJECT["dependency-groups"]
    pending = [group] if group else []
    while pending:
        for item in groups[pending.pop()]:
            if isinstance(item, dict):
                pending.append(item["include-group"])
            else:
                requirements.append(item)
    names = set()
    for requirement in requirements:
        found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        assert found, requirement
        names.add(_normalized(found.group()))
    return names


def imported_modules(folder: Path) -> dict[str, Path]:
    """Top-level names of the absolute imports in a folder's Python files, with one file each."""
    local = {path.stem for path in folder.rglob("*.py")} | {
        path.name for path in folder.rglob("*") if path.is_dir()
    }
    modules: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in FIRST_PARTY and top not in local:
                    modules.setdefault(top, path)
    return modules


def distributions_of(module: str) -> set[str]:
    # A module of a group that is not installed here (the bench group's) is named like its project.
    return {_normalized(name) for name in packages_distributions().get(module, [module])}


@pytest.mark.parametrize(("folder", "group"), [("tests", "dev"), ("bench", "bench")])
def test_every_imported_module_is_declared(folder: str, group: str) -> None:
    allowed = declared(group)
    undeclared = {
        module: f"{path.relative_to(ROOT)} (from {', '.join(sorted(distributions_of(module)))})"
        for module, path in imported_modules(ROOT / folder).items()
        if not distributions_of(module) & allowed
    }
    assert undeclared == {}


def test_the_bench_group_pins_the_openai_that_runs_on_httpx2() -> None:
    bench = PYPROJECT["dependency-groups"]["bench"]
    assert "openai>=3,<4" in [item.partition("#")[0].strip() for item in bench if isinstance(item, str)]
    assert "httpx2" in declared("bench")
