"""What the account offers now (`GET /models`), asked once and remembered for a while.

The live list beats the table: a model absent from it is refused before sending, and the
default model is one it offers. When it cannot be had (no key, no network), the table decides.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import anyio

from siliconflow_images import Clock, SiliconFlowError, SystemClock

if TYPE_CHECKING:
    from siliconflow_images import AsyncSiliconFlow

logger = logging.getLogger(__name__)

FRESH_FOR: Final = 600.0
"""Seconds a fetched list is trusted; SiliconFlow changes its catalogue, not by the minute."""
RETRY_AFTER_FAILURE: Final = 60.0
"""Seconds before asking again after a failure, when no list is known: not on every call."""


class AccountModels:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock if clock is not None else SystemClock()
        self._ids: frozenset[str] | None = None
        self._error: str | None = None
        self._fetched_at = -float("inf")
        self._lock = anyio.Lock()

    async def available(
        self, client: AsyncSiliconFlow, *, fresh: bool = False
    ) -> tuple[frozenset[str] | None, str | None]:
        """(the ids the account offers, or None; why not, if not)."""
        async with self._lock:
            age = self._clock.monotonic() - self._fetched_at
            stale = age > (FRESH_FOR if self._ids is not None else RETRY_AFTER_FAILURE)
            if fresh or stale:
                await self._fetch(client)
            return self._ids, self._error

    async def _fetch(self, client: AsyncSiliconFlow) -> None:
        self._fetched_at = self._clock.monotonic()
        try:
            models = await client.models.list()
        except SiliconFlowError as exc:
            # Keep what was known before: an old list is better than none.
            self._error = str(exc)
            logger.warning("could not fetch the account's model list: %s", exc)
            return
        self._ids = frozenset(model.id for model in models)
        self._error = None
