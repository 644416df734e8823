"""Pacing: images per minute as asked, slower after SiliconFlow says 429, on an injected clock.

SiliconFlow limits each account's image models in images per minute (from 2) and per day (from
400). The pacer spaces generation requests so images go out no faster than `--ipm`, pauses
everyone when a 429 comes back (for its `Retry-After`, else an exponential backoff), halves the
pace after each such burst, and creeps back towards the asked pace with every success.

It sits in the HTTP stack *under* the SDK's retries (`PacedTransport`), so a request the SDK
retries after a 429 waits at the same gate as a new one instead of slipping past the pause.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final

import anyio
import httpx

from .._answers import retry_after_seconds
from .._clock import Clock

FASTEST_AFTER_429: Final = 1.0
"""Seconds per image once a 429 was seen with no pace asked: a start for the backoff to double."""
SLOWEST: Final = 60.0
"""Seconds per image at most: one image a minute, below the smallest limit SiliconFlow sets (2)."""
LONGEST_PAUSE: Final = 60.0
RECOVERY: Final = 0.9
"""Each success shortens the interval by this factor, back down to the asked pace."""


@dataclass(frozen=True, slots=True)
class Gate:
    """What the request about to go out asks for, and who wants to hear that it waits."""

    images: int = 1
    waiting: Callable[[float], None] | None = None
    """Called with the seconds a request will wait for its turn."""
    sending: Callable[[], None] | None = None
    """Called as it goes out."""


CURRENT_GATE: ContextVar[Gate | None] = ContextVar("siliconflow_images_cli_gate", default=None)
"""Set by whoever makes a call; read by `PacedTransport` in the same task."""


class Pacer:
    """Spaces generation requests: `ipm` images a minute at most (None: as fast as allowed)."""

    def __init__(self, clock: Clock, ipm: float | None = None) -> None:
        self._clock = clock
        self._asked = 60.0 / ipm if ipm else 0.0
        self.interval = self._asked
        """Seconds per image now: the asked pace, or slower after 429s."""
        self._next = -math.inf
        self._paused_until = -math.inf
        self._backoff = 0
        self._lock: anyio.Lock | None = None
        self.waited = 0.0
        """Seconds spent waiting for a turn, summed over every request."""
        self.rate_limited = 0
        """429 answers seen, retried ones included."""
        self.slowdowns = 0

    async def wait(self, gate: Gate) -> None:
        """Return when a request for `gate.images` images may go out."""
        if self._lock is None:
            self._lock = anyio.Lock()
        # One request waits for its turn at a time, so the turns never overlap.
        async with self._lock:
            while True:
                now = self._clock.monotonic()
                start = max(self._next, self._paused_until)
                if start <= now:
                    break
                if gate.waiting is not None:
                    gate.waiting(start - now)
                await self._clock.asleep(start - now)
                self.waited += start - now
            self._next = now + gate.images * self.interval
        if gate.sending is not None:
            gate.sending()

    def saw_rate_limit(self, retry_after: float | None) -> None:
        """A 429: pause everyone, and (once per burst of them) halve the pace."""
        self.rate_limited += 1
        now = self._clock.monotonic()
        if now < self._paused_until:
            return
        self._backoff += 1
        pause = retry_after if retry_after is not None else min(2.0**self._backoff, LONGEST_PAUSE)
        self._paused_until = now + min(pause, LONGEST_PAUSE)
        self.interval = min(max(self.interval * 2, FASTEST_AFTER_429), SLOWEST)
        self.slowdowns += 1

    def saw_success(self) -> None:
        self._backoff = 0
        if self.interval > self._asked:
            faster = self.interval * RECOVERY
            if not self._asked and faster < FASTEST_AFTER_429:
                faster = 0.0  # no pace was asked: none again, once back below the first step
            self.interval = max(self._asked, faster)


class PacedTransport(httpx.AsyncBaseTransport):
    """Holds each generation request at the pacer's gate and tells it of every 429 and success."""

    def __init__(self, inner: httpx.AsyncBaseTransport, pacer: Pacer) -> None:
        self._inner = inner
        self._pacer = pacer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        generation = request.method == "POST" and request.url.path.endswith("/images/generations")
        if generation:
            await self._pacer.wait(CURRENT_GATE.get() or Gate())
        response = await self._inner.handle_async_request(request)
        if generation:
            if response.status_code == 429:
                self._pacer.saw_rate_limit(retry_after_seconds(response))
            elif response.is_success:
                self._pacer.saw_success()
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
