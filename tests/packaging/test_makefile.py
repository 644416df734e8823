"""The Makefile works with a .venv it did not make, and `make clean` leaves no build litter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def make(*args: str, cwd: Path = ROOT) -> str:
    assert MAKE is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKEFLAGS", "MFLAGS", "VIRTUAL_ENV"))}
    result = subprocess.run(
        [MAKE, "--no-print-directory", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"make {args}: {result.stdout}\n{result.stderr}"
    return result.stdout


def user_made_venv(tmp_path: Path) -> Path:
    """A .venv as `uv venv` or an IDE may leave it: a Python, and no pip."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    assert subprocess.run([venv / "bin" / "python", "-m", "pip", "--version"], capture_output=True).returncode
    return venv


@pytest.mark.parametrize("target", ["install", "test", "demo", "bench"])
def test_every_install_goes_through_the_pip_check_first(tmp_path: Path, target: str) -> None:
    venv = user_made_venv(tmp_path)
    commands = make("-n", target, f"VENV={venv}").splitlines()
    ensure = next(i for i, line in enumerate(commands) if "ensurepip" in line)
    minimum = next(i for i, line in enumerate(commands) if 'install "pip>=25.1"' in line)
    first_install = next(i for i, line in enumerate(commands) if "install -e ." in line)
    assert ensure < minimum < first_install
    assert f"-m venv {venv}" not in "\n".join(commands)  # it uses the .venv that is there


def test_the_pip_check_installs_pip_where_there_is_none(tmp_path: Path) -> None:
    venv = user_made_venv(tmp_path)
    # A minimum the bundled pip meets, so the check runs for real without a package index.
    make(f"{venv}/.pip", f"VENV={venv}", "PIP_MINIMUM=pip>=20")
    assert (
        subprocess.run([venv / "bin" / "python", "-m", "pip", "--version"], capture_output=True).returncode
        == 0
    )
    assert (venv / ".pip").exists()


def test_clean_removes_build_litter_but_not_the_sources(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy(ROOT / "Makefile", checkout / "Makefile")
    litter = [".schemathesis", "dist", "build", ".hypothesis", "pkg/__pycache__", "pkg/sub/__pycache__"]
    for name in litter:
        (checkout / name).mkdir(parents=True)
        (checkout / name / "x").write_text("")
    (checkout / "pkg" / "module.py").write_text("")
    (checkout / ".git" / "__pycache__").mkdir(parents=True)
    make("clean", "VENV=.venv-does-not-exist", cwd=checkout)
    assert [name for name in litter if (checkout / name).exists()] == []
    assert (checkout / "pkg" / "module.py").exists()
    assert (checkout / ".git" / "__pycache__").exists()
