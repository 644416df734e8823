"""Where a client's settings come from: an argument first, then the environment, then a default.

The default host is the spec's first site; every number here is a choice of this SDK (timeouts,
retries, limits on what it downloads and sends), not a fact of the API (those are generated).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from siliconflow_models import SITES, Site
from siliconflow_models.capabilities import SiteName

from ._urls import http_host
from .errors import SiliconFlowError

if TYPE_CHECKING:
    # Only at call time: the MCP server reads this module at start and should not pay for httpx.
    import httpx

DEFAULT_SITE: Final[Site] = next(iter(SITES.values()))
DEFAULT_BASE_URL: Final = DEFAULT_SITE.base_url
DEFAULT_READ_TIMEOUT: Final = 120.0
"""Seconds to wait for an answer: a generation can take a minute or more."""
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
"""Seconds to wait for a connection, which should be quick."""
DEFAULT_MAX_RETRIES: Final = 4
DEFAULT_RETRY_BUDGET: Final = 60.0
"""Seconds spent waiting between retries of one call, at most."""

API_KEY_VARIABLE: Final = "SILICONFLOW_API_KEY"
BASE_URL_VARIABLE: Final = "SILICONFLOW_BASE_URL"
SITE_VARIABLE: Final = "SILICONFLOW_SITE"


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """Bounds on what the SDK reads, sends and downloads, whatever a server or a caller does."""

    max_input_bytes: int = 10 * 1024 * 1024
    """Largest input image (bytes, file or data URI) sent for an edit."""
    max_download_bytes: int = 32 * 1024 * 1024
    """Largest image accepted from an image URL; real ones are a few MB."""
    max_pixels: int = 25_000_000
    """Most pixels an image's header may claim (5000x5000), checked before anything decodes it."""
    download_deadline: float = 120.0
    """Seconds one download may take from first byte asked to last byte read."""
    max_prompt_chars: int = 10_000
    """Longest `prompt` or `negative_prompt` sent: generous, but finite."""
    max_url_chars: int = 8192
    """Longest image URL sent as an input, or accepted from an answer (real ones are a few hundred)."""


DEFAULT_LIMITS: Final = ImageLimits()


def _host(url: str) -> str:
    return url.removeprefix("https://").removeprefix("http://")


def _key_sources() -> str:
    first, *others = SITES.values()
    elsewhere = "".join(
        f", or from {_host(site.console)} with {BASE_URL_VARIABLE}={site.base_url}" for site in others
    )
    return (
        f"a key from {_host(first.console)} for the default {_host(first.base_url).split('/')[0]}{elsewhere}"
    )


KEY_SOURCES: Final = _key_sources()
"""Where a key comes from, per site (keys of one site do not work on the other): for any 'no key' sentence."""


def api_key_from(given: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The key to send: the argument, else SILICONFLOW_API_KEY; stripped, and refused if unusable."""
    env = os.environ if environ is None else environ
    source = "api_key" if given is not None else API_KEY_VARIABLE
    raw = given if given is not None else env.get(API_KEY_VARIABLE)
    if raw is None or not raw.strip():
        raise SiliconFlowError(f"No API key: pass api_key= or set {API_KEY_VARIABLE} ({KEY_SOURCES}).")
    return clean_api_key(raw, source)


def clean_api_key(raw: str, source: str = API_KEY_VARIABLE) -> str:
    """`raw` without surrounding whitespace (a CRLF .env file leaves `\\r`), or a refusal that never shows it."""
    key = raw.strip()
    for position, char in enumerate(key, 1):
        if char.isspace() or not char.isprintable() or not char.isascii():
            kind = (
                "whitespace"
                if char.isspace()
                else "a control character"
                if not char.isprintable()
                else "a non-ASCII character"
            )
            raise SiliconFlowError(
                f"{source} holds {kind} at character {position} of {len(key)}, which no SiliconFlow key has: "
                "copy the key again from the console (the key itself is not shown here)."
            )
    return key


def base_url_from(given: str | None, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    raw = (given if given is not None else env.get(BASE_URL_VARIABLE, "")).strip() or DEFAULT_BASE_URL
    setting = BASE_URL_VARIABLE if given is None else "base_url"
    if "@" in _authority(raw):
        # The base URL is shown in repr() and in errors, and a password there would go with it;
        # SiliconFlow takes a bearer key, never basic auth, so nothing is lost by refusing.
        raise SiliconFlowError(
            f"{setting} holds a user name or password (before an @), which is not shown here: give the "
            f"URL alone, such as {DEFAULT_BASE_URL}, and the key as api_key= or {API_KEY_VARIABLE}."
        )
    if not http_host(raw):
        raise SiliconFlowError(
            f"{setting} must be an http(s) URL such as {DEFAULT_BASE_URL}, not {raw[:200]!r}."
        )
    return raw.rstrip("/")


def _authority(url: str) -> str:
    """The `user:password@host:port` part of a URL, parsed by hand: `urlsplit` raises on some URLs."""
    after_scheme = url.partition("://")[2]
    for end in "/?#":
        after_scheme = after_scheme.partition(end)[0]
    return after_scheme


def site_of(base_url: str) -> Site | None:
    """The site whose host `base_url` names; None for any other host (an emulator, a proxy)."""
    host = http_host(base_url)
    return next((site for site in SITES.values() if host in site.hosts), None)


def site_named(name: SiteName | str) -> Site:
    try:
        return SITES[name]  # type: ignore[index]
    except KeyError:
        raise SiliconFlowError(f"site must be one of {', '.join(SITES)}, not {name[:20]!r}.") from None


def site_from(
    given: SiteName | str | None, base_url: str, environ: Mapping[str, str] | None = None
) -> Site | None:
    """The site: the argument, else SILICONFLOW_SITE (for a proxy or an emulator), else the base URL's host."""
    env = os.environ if environ is None else environ
    name = given if given is not None else env.get(SITE_VARIABLE, "").strip().lower() or None
    return site_named(name) if name is not None else site_of(base_url)


def timeout_from(value: float | httpx.Timeout | None) -> httpx.Timeout:
    """Always a timeout: `None` here means the default, never 'wait forever'.

    A number is the wait for an answer; connecting gets the default's ten seconds, or less.
    """
    import httpx

    if isinstance(value, httpx.Timeout):
        return value
    read = DEFAULT_READ_TIMEOUT if value is None else value
    return timeouts(read, min(read, DEFAULT_CONNECT_TIMEOUT))


def timeouts(read: float, connect: float) -> httpx.Timeout:
    """A timeout of `read` seconds for each answer and `connect` seconds for a connection."""
    import httpx

    return httpx.Timeout(read, connect=connect)
