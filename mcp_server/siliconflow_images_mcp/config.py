"""Settings of the server: each value comes from an argument first, then the environment, then a default."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar

DEFAULT_BASE_URL: Final = "https://api.siliconflow.cn/v1"
DEFAULT_PREVIEW_BYTES: Final = 100_000
DEFAULT_MAX_INPUT_BYTES: Final = 10 * 1024 * 1024
DEFAULT_TIMEOUT: Final = 120.0
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
DEFAULT_RETRY_BUDGET: Final = 60.0
DEFAULT_MAX_RETRIES: Final = 4

# name -> what it sets: `siliconflow-images mcp --help` lists these, and a test holds the README's table to them.
ENVIRONMENT: Final[Mapping[str, str]] = {
    "SILICONFLOW_API_KEY": "API key (required unless --offline).",
    "SILICONFLOW_BASE_URL": f"API base URL (default {DEFAULT_BASE_URL}).",
    "SILICONFLOW_OUTPUT_DIR": "Where images are saved (default: the user's pictures folder/siliconflow).",
    "SILICONFLOW_ALLOWED_DIRS": "Folders local input images may come from, separated by the OS path separator.",
    "SILICONFLOW_PREVIEW_BYTES": f"Base64 budget per inline preview, 0 turns previews off ({DEFAULT_PREVIEW_BYTES}).",
    "SILICONFLOW_MAX_INPUT_BYTES": f"Largest local input image read ({DEFAULT_MAX_INPUT_BYTES}).",
    "SILICONFLOW_TIMEOUT": f"Seconds to wait for one answer (default {DEFAULT_TIMEOUT:g}).",
    "SILICONFLOW_CONNECT_TIMEOUT": f"Seconds to wait for a connection (default {DEFAULT_CONNECT_TIMEOUT:g}).",
    "SILICONFLOW_RETRY_BUDGET": f"Total seconds spent waiting between retries (default {DEFAULT_RETRY_BUDGET:g}).",
    "SILICONFLOW_MAX_RETRIES": f"Retries after 429, 503 or a failed connection (default {DEFAULT_MAX_RETRIES}).",
    "SILICONFLOW_LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR; logs go to stderr (default INFO).",
}


class ConfigError(ValueError):
    """A setting has a value the server cannot use; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server needs to know, resolved once at start.

    Build it with `Settings.load(...)`: keyword arguments win over environment variables.
    """

    api_key: str | None = field(repr=False)
    base_url: str
    output_dir: Path
    allowed_dirs: tuple[Path, ...]
    preview_bytes: int = DEFAULT_PREVIEW_BYTES
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    retry_budget: float = DEFAULT_RETRY_BUDGET
    max_retries: int = DEFAULT_MAX_RETRIES
    log_level: str = "INFO"
    offline: bool = False

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        output_dir: str | Path | None = None,
        allowed_dirs: list[str] | None = None,
        preview_bytes: int | None = None,
        max_input_bytes: int | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        retry_budget: float | None = None,
        max_retries: int | None = None,
        log_level: str | None = None,
        offline: bool = False,
    ) -> Settings:
        env = os.environ if environ is None else environ
        home = _home(env)
        out = _absolute(output_dir or env.get("SILICONFLOW_OUTPUT_DIR") or default_output_dir(env), home)
        if allowed_dirs is None:
            raw = env.get("SILICONFLOW_ALLOWED_DIRS", "")
            allowed_dirs = [part for part in raw.split(os.pathsep) if part.strip()]
        # The output folder is always allowed, so "edit the image you just made" works.
        allowed = (out, *(_absolute(d, home) for d in allowed_dirs)) if allowed_dirs else (out, home)
        return cls(
            api_key=api_key or env.get("SILICONFLOW_API_KEY") or None,
            base_url=(base_url or env.get("SILICONFLOW_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
            output_dir=out,
            allowed_dirs=_without_root(allowed),
            preview_bytes=_number(
                preview_bytes, env, "SILICONFLOW_PREVIEW_BYTES", DEFAULT_PREVIEW_BYTES, int
            ),
            max_input_bytes=_number(
                max_input_bytes, env, "SILICONFLOW_MAX_INPUT_BYTES", DEFAULT_MAX_INPUT_BYTES, int
            ),
            timeout=_number(timeout, env, "SILICONFLOW_TIMEOUT", DEFAULT_TIMEOUT, float),
            connect_timeout=_number(
                connect_timeout, env, "SILICONFLOW_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT, float
            ),
            retry_budget=_number(retry_budget, env, "SILICONFLOW_RETRY_BUDGET", DEFAULT_RETRY_BUDGET, float),
            max_retries=_number(max_retries, env, "SILICONFLOW_MAX_RETRIES", DEFAULT_MAX_RETRIES, int),
            log_level=(log_level or env.get("SILICONFLOW_LOG_LEVEL") or "INFO").upper(),
            offline=offline,
        )


def default_output_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user pictures folder plus `siliconflow`: absolute, whatever the working directory is."""
    env = os.environ if environ is None else environ
    home = _home(env)
    pictures = env.get("XDG_PICTURES_DIR") or _xdg_user_dir(home, env, "PICTURES")
    base = Path(pictures).expanduser() if pictures else home / "Pictures"
    return (base if base.is_absolute() else home / base) / "siliconflow"


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME") or env.get("USERPROFILE")
    return Path(home).resolve() if home else Path.home().resolve()


def _xdg_user_dir(home: Path, env: Mapping[str, str], name: str) -> str | None:
    """Read `XDG_<name>_DIR` from user-dirs.dirs, the file desktop Linux keeps it in."""
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "user-dirs.dirs"
    try:
        text = config.read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(rf'^XDG_{name}_DIR="([^"]+)"', text, re.MULTILINE)
    if not match or match.group(1).rstrip("/") == "$HOME":
        # A pictures folder equal to home would scatter images over it; keep the default.
        return None
    return match.group(1).replace("$HOME", str(home))


def _absolute(path: str | Path, home: Path) -> Path:
    # Clients often start servers in `/`: a relative folder is taken from home, never from the cwd.
    candidate = Path(path).expanduser()
    return (candidate if candidate.is_absolute() else home / candidate).resolve()


def _without_root(dirs: tuple[Path, ...]) -> tuple[Path, ...]:
    # Allowing `/` (or a drive root) would let any file on the disk be sent away.
    kept: list[Path] = []
    for d in dirs:
        if d.parent != d and d not in kept:
            kept.append(d)
    return tuple(kept)


N = TypeVar("N", int, float)


def _number(given: N | None, env: Mapping[str, str], name: str, default: N, kind: type[N]) -> N:
    if given is not None:
        value = given
    elif env.get(name, "").strip():
        try:
            value = kind(env[name].strip())
        except ValueError:
            raise ConfigError(f"{name}={env[name]!r} is not a {kind.__name__}") from None
    else:
        value = default
    if value < 0:
        raise ConfigError(f"{name} must not be negative (got {value})")
    return value
