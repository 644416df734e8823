"""What an emulator is told at start: its site, accepted keys, image lifetime, and the faults to inject."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Final

from siliconflow_models import IMAGE_URL_LIFETIME, SITES
from siliconflow_models.capabilities import SiteName

DEFAULT_IMAGE_TTL = float(IMAGE_URL_LIFETIME)
"""Seconds an image URL stays valid: what the real API promises."""

DEFAULT_MAX_STORED_BYTES = 512 * 1024 * 1024
"""Cap on the image bytes kept for download; the oldest go first when a new image does not fit."""


def _default_render_threads() -> int:
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    # More threads than CPUs draw no faster, and each picture in flight may hold 0.3 GB or more.
    return max(1, min(available or 1, 4))


DEFAULT_RENDER_THREADS: Final = _default_render_threads()
"""Pictures drawn (or input images decoded) at once: the CPUs this process may use, at most four."""

DEFAULT_SITE: Final[SiteName] = next(iter(SITES))
"""The spec's first site (cn), as for every client of the project."""


@dataclass
class Faults:
    """Misbehaviour on demand, for testing clients. Every field defaults to off.

    Generation faults: the counters `rate_limit`, `overload`, `gateway_timeout` and `malformed`
    each answer the next N authenticated generation requests in their way and count down to
    zero; they are consumed in that order, before the request body is read. `extra_urls` is
    taken by the next generation that succeeds.

    Download faults (`GET /files/...`): the counters `not_an_image`, `pixel_bomb` and
    `trailing_bytes` each answer the next N downloads in their way, consumed in that order, one
    per download; generations leave them alone. `trickle` and `download_rate` pace every
    download while they are above zero, hostile ones included.

    The object is shared with the running app, so a test may change it at any time and the
    next request sees the change.
    """

    rate_limit: int = 0
    """Answer the next N generation requests 429 with the API's rate-limit body and `Retry-After`."""
    retry_after: float = 1.0
    """Seconds advertised in `Retry-After` on 429 and 503 (rounded up: the header takes whole seconds)."""
    overload: int = 0
    """Answer the next N generation requests 503 `{"code": 50505, ...}` with `Retry-After`."""
    gateway_timeout: int = 0
    """Answer the next N generation requests 504 (text/plain, like the gateway)."""
    malformed: int = 0
    """Answer the next N generation requests 200 with a JSON body that is not the spec's shape."""
    step_latency: float = 0.0
    """Seconds slept per inference step: emulated inference time (asyncio sleep, so requests overlap)."""
    fixed_latency: float = 0.0
    """Seconds added to every generation request, on top of `step_latency`."""
    extra_urls: int = 0
    """The next successful generation answers with this many image URLs (all valid), whatever was
    asked for; then back to 0. Tests a client's cap on the number of images it downloads."""
    not_an_image: int = 0
    """Serve the next N downloads as an HTML page, with status 200 and `text/html`."""
    pixel_bomb: int = 0
    """Serve the next N downloads as a small PNG whose header claims 12000x12000 pixels."""
    trailing_bytes: int = 0
    """Serve the next N downloads with 1 MiB of junk after the image's end (after IEND or EOI)."""
    trickle: float = 0.0
    """While above 0, downloads send one byte every this many seconds: a stalled server."""
    download_rate: float = 0.0
    """While above 0, downloads stream at most this many bytes a second: a real network link."""


@dataclass
class EmulatorSettings:
    """Everything `create_app` needs; every field has a default. The app reads them on every request."""

    api_keys: frozenset[str] = frozenset()
    """Keys that pass. Empty: any non-empty bearer token passes."""
    image_ttl: float = DEFAULT_IMAGE_TTL
    """Seconds before an image URL answers 404."""
    faults: Faults = field(default_factory=Faults)
    max_stored_bytes: int = DEFAULT_MAX_STORED_BYTES
    """Read once, when the app is created."""
    render_threads: int = DEFAULT_RENDER_THREADS
    """Pictures drawn, or input images decoded, at the same time across all requests; the rest wait
    their turn. Read once, when the app is created."""
    site: SiteName = DEFAULT_SITE
    """Which SiliconFlow site to be (a key of `siliconflow_models.SITES`): it serves only the
    models the spec's table lists for that site."""
    fetch_loopback: bool = False
    """Also fetch input images from loopback URLs over HTTP. Off: inputs are data URIs or the
    emulator's own image URLs only, so a request cannot reach anything else on this machine."""
    photo_like: bool = False
    """Add seeded grain to every picture, so PNGs weigh what the API's do (about 1.6 bytes a pixel)."""
    clock: Callable[[], float] = time.monotonic
    """Seconds on a monotonic scale, read by the image store to expire URLs; tests pass one they move."""

    def __post_init__(self) -> None:
        if self.site not in SITES:
            raise ValueError(f"site must be one of {', '.join(SITES)}, not {self.site!r}")
        if self.render_threads < 1:
            raise ValueError(f"render_threads must be 1 or more, not {self.render_threads!r}")

    def copy(self) -> EmulatorSettings:
        """An independent copy: its `faults` is a new object, so counting down one leaves the other."""
        return replace(self, faults=replace(self.faults))

    def restore(self, saved: EmulatorSettings) -> None:
        """Make every field what it is in `saved`, in place, so a running app sees the change."""
        for setting in fields(self):
            setattr(self, setting.name, getattr(saved, setting.name))
        self.faults = replace(saved.faults)
