"""Progress notifications: a generation reports none of its own, so the server says what it is doing."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
from mcp.server.mcpserver import Context

logger = logging.getLogger(__name__)

Ctx = Context[Any, Any]
T = TypeVar("T")


class Progress:
    """Progress notifications for one call; silent when the client sent no progress token."""

    def __init__(self, ctx: Ctx | None) -> None:
        self._ctx = ctx
        self._count = 0

    async def __call__(self, message: str) -> None:
        if self._ctx is None:
            return
        self._count += 1
        try:
            await self._ctx.report_progress(self._count, None, message)
        except Exception:  # a client that went away must not fail the generation
            logger.debug("progress notification failed", exc_info=True)

    async def while_waiting(self, what: str, work: Callable[[], Awaitable[T]], interval: float = 1.0) -> T:
        """Await `work`, reporting `what (N s)` every `interval` until it is done."""
        started = time.monotonic()
        results: list[T] = []
        failures: list[Exception] = []

        async def tick() -> None:
            while True:
                await anyio.sleep(interval)
                await self(f"{what} ({time.monotonic() - started:.0f} s)")

        async with anyio.create_task_group() as group:
            group.start_soon(tick)
            try:
                results.append(await work())
            except Exception as exc:
                # Raised below, outside the group, so it is not wrapped in an ExceptionGroup.
                failures.append(exc)
            finally:
                group.cancel_scope.cancel()
        if failures:
            raise failures[0]
        return results[0]
