"""The distribution as a user gets it: the built wheel installed alone, and its published metadata.

Builds the sdist and the wheel with `uv build`, installs the wheel into a fresh virtual
environment (its dependencies from the package index, nothing from this checkout), and runs
its console scripts there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
TOP_LEVEL = {
    "siliconflow_client",
    "siliconflow_models",
    "siliconflow_images",
    "siliconflow_images_mcp",
    "siliconflow_emulator",
}


def run(*args: str | Path, cwd: Path | None = None, timeout: float = 300) -> str:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SILICONFLOW_", "VIRTUAL_ENV", "PYTHONPATH"))
    }
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    uv = Path(sys.executable).with_name("uv")
    run(uv, "build", "--out-dir", dist, "--no-create-gitignore", ROOT, cwd=ROOT)
    return dist


def wheel_of(dist: Path) -> Path:
    (wheel,) = dist.glob("siliconflow_images-*.whl")
    return wheel


def test_the_wheel_holds_the_packages_the_spec_and_nothing_else(built: Path) -> None:
    with zipfile.ZipFile(wheel_of(built)) as wheel:
        names = wheel.namelist()
        metadata = Parser().parsestr(
            wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        )
        entry_points = wheel.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert {
        name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")
    } == TOP_LEVEL
    assert "siliconflow_images/openapi/siliconflow.yaml" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    # The commands it installs: none that another PyPI project also installs (siliconflow-mcp is taken).
    assert re.findall(r"^(\S+) = ", entry_points, re.MULTILINE) == [
        "siliconflow-emulator",
        "siliconflow-images",
    ]
    requires = metadata.get_all("Requires-Dist") or []
    # No development tool, and no exact pin, in what a user installs.
    assert not [r for r in requires if "==" in r or "extra ==" in r], requires
    assert not [
        r for r in requires if re.match(r"(pytest|mypy|ruff|schemathesis|openapi-python-client|datamodel)", r)
    ]
    assert "python-dateutil" not in " ".join(requires)
    assert metadata["License-Expression"] == "MIT" and metadata["Requires-Python"] == ">=3.11"
    assert {c for c in metadata.get_all("Classifier") or [] if "Python :: 3." in c} == {
        f"Programming Language :: Python :: 3.{minor}" for minor in (11, 12, 13)
    }


def test_the_sdist_carries_the_spec_and_can_regenerate(built: Path) -> None:
    import tarfile

    (sdist,) = built.glob("siliconflow_images-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"openapi/siliconflow.yaml", "codegen/pipeline.py", "LICENSE", "server.json", "Makefile"} <= names


def test_server_json_matches_the_package_and_the_readme() -> None:
    server = json.loads((ROOT / "server.json").read_text())
    readme = (ROOT / "README.md").read_text()
    assert f"mcp-name: {server['name']}" in readme
    assert server["version"] == PROJECT["version"] == server["packages"][0]["version"]
    package = server["packages"][0]
    assert package["identifier"] == PROJECT["name"] and package["packageArguments"] == [
        {"type": "positional", "value": "mcp"}
    ]
    assert len(server["description"]) <= 100
    from siliconflow_images_mcp.config import ENVIRONMENT

    assert {v["name"] for v in package["environmentVariables"]} <= set(ENVIRONMENT)


def test_the_wheel_installed_alone_works(built: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python, bin_dir = env_dir / "bin" / "python", env_dir / "bin"
    run(
        python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel_of(built), timeout=600
    )
    assert run(bin_dir / "siliconflow-images", "--version").strip().endswith(PROJECT["version"])
    assert not (bin_dir / "siliconflow-mcp").exists()
    out = tmp_path / "images"
    made = json.loads(
        run(
            bin_dir / "siliconflow-images",
            "generate",
            "--offline",
            "a lighthouse at dusk",
            "-o",
            out,
            "--json",
            cwd=tmp_path,
        )
    )
    paths = [Path(p) for image in made["images"] for p in [image["path"]]]
    assert paths and all(p.is_file() and p.parent == out for p in paths)
    assert "usage" in run(bin_dir / "siliconflow-emulator", "--help")
    assert "streamable-http" in run(bin_dir / "siliconflow-images", "mcp", "--help")
    spec = run(python, "-c", "from siliconflow_images import spec; print(spec.path())").strip()
    assert spec.startswith(str(env_dir)) and Path(spec).is_file()
