"""Where a run's settings and client come from: options first, then the environment, or --offline.

`--offline` runs the emulator in this process, as the MCP server's `--offline` does, and points
the SDK at it with a key of its own: the user's key is never sent to it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

import httpx

from siliconflow_models import SITES, Site

from .. import _http
from .._client import AsyncSiliconFlow
from .._clock import Clock
from ..config import (
    API_KEY_VARIABLE,
    BASE_URL_VARIABLE,
    DEFAULT_BASE_URL,
    DEFAULT_READ_TIMEOUT,
    SITE_VARIABLE,
    api_key_from,
    base_url_from,
    site_from,
)
from ..errors import SiliconFlowError
from ..files import unwritable
from . import messages
from .exits import UsageError
from .output import Output
from .pacing import PacedTransport, Pacer

OUTPUT_DIR_VARIABLE: Final = "SILICONFLOW_OUTPUT_DIR"
TIMEOUT_VARIABLE: Final = "SILICONFLOW_TIMEOUT"
OFFLINE_KEY: Final = "offline-emulator"
"""The emulator takes any key; this one keeps the Authorization header well formed."""

ENVIRONMENT: Final[Mapping[str, str]] = {
    API_KEY_VARIABLE: "API key (not needed with --offline, nor by `models`)",
    BASE_URL_VARIABLE: f"API base URL (default {DEFAULT_BASE_URL}; --base-url)",
    SITE_VARIABLE: f"the site ({', '.join(SITES)}) whose models and rules apply, for a proxy or an "
    "emulator (default: the base URL's)",
    OUTPUT_DIR_VARIABLE: "where images go when -o is not given (default: the current folder)",
    TIMEOUT_VARIABLE: f"seconds to wait for one answer (default {DEFAULT_READ_TIMEOUT:g}; --timeout)",
}


@dataclass(frozen=True, slots=True)
class Settings:
    """What a run talks to, resolved once."""

    base_url: str
    site: Site | None
    offline: bool
    timeout: float | None
    api_key: str | None = field(repr=False)
    missing_key: str | None
    """Why there is no key (a sentence), when there is none."""
    key_unusable: bool = False
    """A key is set, but it is no key SiliconFlow gives (whitespace inside it, say)."""

    @classmethod
    def load(
        cls,
        env: Mapping[str, str],
        *,
        base_url: str | None,
        timeout: float | None,
    ) -> Settings:
        """From options and `env`."""
        timeout = timeout if timeout is not None else _timeout(env)
        try:
            url = base_url_from(base_url, env)
            site = site_from(None, url, env)
        except SiliconFlowError as exc:
            raise UsageError(str(exc)) from None
        if not env.get(API_KEY_VARIABLE, "").strip():
            # Not the SDK's sentence: that one says `api_key=`, and cannot suggest --offline.
            return cls(url, site, False, timeout, None, messages.no_key())
        try:
            return cls(url, site, False, timeout, api_key_from(None, env), None)
        except SiliconFlowError as exc:
            return cls(url, site, False, timeout, None, str(exc), key_unusable=True)

    def offline_at(self, emulator_url: str) -> Settings:
        """The same run, against an emulator that plays the configured site, with a key of its own."""
        return dataclasses.replace(
            self,
            base_url=emulator_url,
            offline=True,
            api_key=OFFLINE_KEY,
            missing_key=None,
            key_unusable=False,
        )


def _timeout(env: Mapping[str, str]) -> float | None:
    raw = env.get(TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise UsageError(messages.bad_timeout(TIMEOUT_VARIABLE, raw))
    return value


def output_dir(given: str | None, env: Mapping[str, str]) -> Path:
    """-o (from the current folder), else SILICONFLOW_OUTPUT_DIR, else the current folder.

    A relative SILICONFLOW_OUTPUT_DIR is taken from the home folder, as the MCP server takes it:
    one variable, one meaning, wherever it is set.
    """
    if given:
        return Path(given).expanduser().absolute()
    configured = env.get(OUTPUT_DIR_VARIABLE, "").strip()
    if configured:
        folder = Path(configured).expanduser()
        if folder.is_absolute():
            return folder
        home = env.get("HOME") or env.get("USERPROFILE")
        return (Path(home) if home else Path.home()) / folder
    return Path.cwd()


def check_folder(folder: Path) -> None:
    """Refuse, before anything is paid for, a folder the images could not be saved into."""
    problem = unwritable(folder)
    if problem:
        raise UsageError(messages.output_dir_unusable(folder, problem))


@contextmanager
def offline_emulator(site: Site | None) -> Iterator[str]:
    """The emulator in a background thread, on a free loopback port, serving `site`'s catalogue
    and fetching no URL it is given; yields its base URL."""
    from siliconflow_emulator import EmulatorSettings, Faults, run_in_thread

    settings = EmulatorSettings(api_keys=frozenset(), faults=Faults())
    if site is not None:
        settings.site = site.name
    with run_in_thread(settings, host="127.0.0.1", port=0) as running:
        yield running.base_url


@asynccontextmanager
async def open_client(
    settings: Settings, *, clock: Clock, pacer: Pacer, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[AsyncSiliconFlow]:
    """The SDK's async client, its generation requests paced; UsageError when there is no key.

    The SDK borrows a transport it is given and leaves it open, so the paced transport (and
    `transport` under it) is closed here, after the client.
    """
    if settings.api_key is None:
        raise UsageError(settings.missing_key or messages.no_key())
    inner = httpx.AsyncHTTPTransport(limits=_http.POOL_LIMITS) if transport is None else transport
    paced = PacedTransport(inner, pacer)
    client = AsyncSiliconFlow(
        api_key=settings.api_key,
        base_url=settings.base_url,
        site=settings.site.name if settings.site is not None else None,
        timeout=settings.timeout,
        clock=clock,
        transport=paced,
        wording=messages.WORDING,
    )
    try:
        yield client
    finally:
        await client.aclose()
        await paced.aclose()


@dataclass(slots=True)
class Context:
    """Everything a subcommand needs, made once by `run()`; tests pass their own clock and transport."""

    args: Any
    out: Output
    settings: Settings
    clock: Clock
    env: Mapping[str, str]
    stdin: TextIO
    transport: httpx.AsyncBaseTransport | None = None
    _started: tuple[float, float] = field(init=False, repr=False)
    """The time of day and the clock's reading when the run began."""

    def __post_init__(self) -> None:
        self._started = (time.time(), self.clock.monotonic())

    def now(self) -> dt.datetime:
        """The time of day by the run's clock, so what a fake clock waited shows in what is recorded."""
        wall, began = self._started
        return dt.datetime.fromtimestamp(wall + self.clock.monotonic() - began, dt.UTC)

    def client(self, pacer: Pacer) -> AbstractAsyncContextManager[AsyncSiliconFlow]:
        return open_client(self.settings, clock=self.clock, pacer=pacer, transport=self.transport)

    def output_dir(self) -> Path:
        folder = output_dir(self.args.output_dir, self.env)
        check_folder(folder)
        return folder
