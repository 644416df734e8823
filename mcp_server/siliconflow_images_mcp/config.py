"""Settings of the server: each value comes from an argument first, then the environment, then a default.

Everything is checked here, at start: a server that cannot work says so before a client
relies on it, and the key is cleaned (or refused) before any header holds it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar

from siliconflow_images import DEFAULT_BASE_URL, ImageLimits, SiliconFlowError
from siliconflow_images.config import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRY_BUDGET,
    DEFAULT_SITE,
    base_url_from,
    clean_api_key,
    site_from,
)
from siliconflow_models import Site

DEFAULT_PREVIEW_BYTES: Final = 100_000
DEFAULT_MAX_INPUT_BYTES: Final = ImageLimits().max_input_bytes
MIN_TOKEN_CHARS: Final = 16

# name -> what it sets: `siliconflow-images mcp --help` lists these, and a test holds the README's table to them.
ENVIRONMENT: Final[Mapping[str, str]] = {
    "SILICONFLOW_API_KEY": "API key (required unless --offline).",
    "SILICONFLOW_BASE_URL": f"API base URL; its host picks the site (default {DEFAULT_BASE_URL}).",
    "SILICONFLOW_SITE": "cn or com: the site behind a base URL whose host does not say (a proxy, an emulator).",
    "SILICONFLOW_OUTPUT_DIR": "Where images are saved (default: the user's pictures folder/siliconflow).",
    "SILICONFLOW_ALLOWED_DIRS": "More folders local input images may come from (the output folder always).",
    "SILICONFLOW_PREVIEW_BYTES": f"Base64 budget per inline preview, 0 turns previews off ({DEFAULT_PREVIEW_BYTES}).",
    "SILICONFLOW_MAX_INPUT_BYTES": f"Largest input image read or sent ({DEFAULT_MAX_INPUT_BYTES}).",
    "SILICONFLOW_TIMEOUT": f"Seconds to wait for one answer (default {DEFAULT_READ_TIMEOUT:g}).",
    "SILICONFLOW_CONNECT_TIMEOUT": f"Seconds to wait for a connection (default {DEFAULT_CONNECT_TIMEOUT:g}).",
    "SILICONFLOW_RETRY_BUDGET": f"Total seconds spent waiting between retries (default {DEFAULT_RETRY_BUDGET:g}).",
    "SILICONFLOW_MAX_RETRIES": f"Retries after 429, 503 or a failed connection (default {DEFAULT_MAX_RETRIES}).",
    "SILICONFLOW_LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR; logs go to stderr (default INFO).",
    "SILICONFLOW_MCP_TOKEN": f"Bearer token HTTP clients must send (required off loopback; {MIN_TOKEN_CHARS}+ chars).",
    "SILICONFLOW_MCP_ALLOWED_HOSTS": "More Host headers the HTTP transport accepts, comma-separated (host[:port|:*]).",
    "SILICONFLOW_MCP_ALLOWED_ORIGINS": "More Origin headers the HTTP transport accepts, comma-separated.",
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
    site: Site | None
    """The SiliconFlow site of the base URL (kept in offline mode, where the URL is the emulator's)."""
    output_dir: Path
    allowed_dirs: tuple[Path, ...]
    preview_bytes: int = DEFAULT_PREVIEW_BYTES
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    timeout: float = DEFAULT_READ_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    retry_budget: float = DEFAULT_RETRY_BUDGET
    max_retries: int = DEFAULT_MAX_RETRIES
    log_level: str = "INFO"
    offline: bool = False
    auth_token: str | None = field(default=None, repr=False)
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()

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
        auth_token: str | None = None,
        allowed_hosts: list[str] | None = None,
        allowed_origins: list[str] | None = None,
    ) -> Settings:
        env = os.environ if environ is None else environ
        home = _home(env)
        out = _absolute(output_dir or env.get("SILICONFLOW_OUTPUT_DIR") or default_output_dir(env), home)
        if allowed_dirs is None:
            raw = env.get("SILICONFLOW_ALLOWED_DIRS", "")
            allowed_dirs = [part for part in raw.split(os.pathsep) if part.strip()]
        # The output folder is always allowed, so "edit the image you just made" works; other
        # folders only when named: the whole home folder holds far more than pictures.
        allowed = (out, *(_absolute(d, home) for d in allowed_dirs))
        try:
            url = base_url_from(base_url, env)
            key = _key(api_key, env)
            site = site_from(None, url, env)
        except SiliconFlowError as exc:
            raise ConfigError(str(exc)) from None
        return cls(
            api_key=key,
            base_url=url,
            site=site,
            output_dir=out,
            allowed_dirs=_without_root(allowed),
            preview_bytes=_number(
                preview_bytes, env, "SILICONFLOW_PREVIEW_BYTES", DEFAULT_PREVIEW_BYTES, int
            ),
            max_input_bytes=_number(
                max_input_bytes, env, "SILICONFLOW_MAX_INPUT_BYTES", DEFAULT_MAX_INPUT_BYTES, int
            ),
            timeout=_number(timeout, env, "SILICONFLOW_TIMEOUT", DEFAULT_READ_TIMEOUT, float),
            connect_timeout=_number(
                connect_timeout, env, "SILICONFLOW_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT, float
            ),
            retry_budget=_number(retry_budget, env, "SILICONFLOW_RETRY_BUDGET", DEFAULT_RETRY_BUDGET, float),
            max_retries=_number(max_retries, env, "SILICONFLOW_MAX_RETRIES", DEFAULT_MAX_RETRIES, int),
            log_level=_level(log_level or env.get("SILICONFLOW_LOG_LEVEL") or "INFO"),
            offline=offline,
            auth_token=_token(auth_token, env),
            allowed_hosts=tuple(allowed_hosts or _listed(env, "SILICONFLOW_MCP_ALLOWED_HOSTS")),
            allowed_origins=tuple(allowed_origins or _listed(env, "SILICONFLOW_MCP_ALLOWED_ORIGINS")),
        )

    @property
    def described_site(self) -> Site:
        """The site whose models the tools describe: a host that names none (a proxy, the emulator)
        is described as the default site."""
        return self.site or DEFAULT_SITE

    @property
    def limits(self) -> ImageLimits:
        return ImageLimits(max_input_bytes=self.max_input_bytes)

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in a log line, an error or a result."""
        return tuple(s for s in (self.api_key, self.auth_token) if s)


def _key(given: str | None, env: Mapping[str, str]) -> str | None:
    raw = given if given is not None else env.get("SILICONFLOW_API_KEY")
    if raw is None or not raw.strip():
        return None
    return clean_api_key(raw, "SILICONFLOW_API_KEY")


def _token(given: str | None, env: Mapping[str, str]) -> str | None:
    raw = given if given is not None else env.get("SILICONFLOW_MCP_TOKEN")
    if raw is None or not raw.strip():
        return None
    try:
        token = clean_api_key(raw, "SILICONFLOW_MCP_TOKEN")
    except SiliconFlowError as exc:
        raise ConfigError(str(exc)) from None
    if len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(
            f"SILICONFLOW_MCP_TOKEN must be at least {MIN_TOKEN_CHARS} characters; make one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    return token


def _listed(env: Mapping[str, str], name: str) -> list[str]:
    return [part.strip() for part in env.get(name, "").split(",") if part.strip()]


def _level(text: str) -> str:
    level = text.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"SILICONFLOW_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {text[:20]!r}")
    return level


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
    try:
        candidate = Path(path).expanduser()
        return (candidate if candidate.is_absolute() else home / candidate).resolve()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{str(path)[:200]!r} is not a usable folder ({exc})") from None


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
            raise ConfigError(f"{name}={env[name][:40]!r} is not a {kind.__name__}") from None
    else:
        value = default
    if not value >= 0 or value == float("inf"):
        raise ConfigError(f"{name} must be a finite number, 0 or more (got {value})")
    return value
