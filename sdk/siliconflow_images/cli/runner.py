"""Running calls: several at once (bounded), each paced, saved as its images arrive, put back after 429s.

A call that SiliconFlow still rate limits after the SDK's own retries goes back to the pacer's
gate (which 429s have paused and slowed) and is tried again, up to `MAX_ROUNDS` times; only then
is it given up, and the run stops starting new calls: the account has probably reached its daily
limit, and every other call would fail the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import anyio

from .._client import AsyncSiliconFlow
from ..errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    DownloadError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SaveError,
    SiliconFlowError,
)
from ..generation import AsyncGeneration
from . import messages
from .image_request import Call
from .output import Bars
from .pacing import CURRENT_GATE, Gate

MAX_ROUNDS: Final = 5
"""Times a rate-limited call goes back to the gate (each time after the SDK's own retries)."""


@dataclass(slots=True)
class Outcome:
    """What became of one call."""

    call: Call
    paths: list[Path] = field(default_factory=list)
    seed: int | None = None
    trace_id: str | None = None
    error: SiliconFlowError | None = None


def stops_the_run(error: SiliconFlowError) -> bool:
    """Failures every other call would meet too: a refused key, a wrong base URL, no connection."""
    if isinstance(error, AuthenticationError | PermissionDeniedError | NotFoundError):
        return True
    return (
        isinstance(error, APIConnectionError)
        and not isinstance(error, APITimeoutError)
        and not error.maybe_billed
    )


class Runner:
    """Runs calls on one client, `concurrency` at a time, into one folder."""

    def __init__(self, client: AsyncSiliconFlow, folder: Path, bars: Bars, *, concurrency: int) -> None:
        self._client = client
        self._folder = folder
        self._bars = bars
        self._concurrency = concurrency
        self.stopped: str | None = None
        """Why no further call is started, once something said so."""
        self.running = 0

    def stop(self, why: str) -> None:
        if self.stopped is None:
            self.stopped = why

    async def run(self, calls: Sequence[Call], done: Callable[[Outcome], None]) -> None:
        """Make every call (until stopped), handing each outcome to `done` as it comes."""
        limiter = anyio.CapacityLimiter(self._concurrency)

        async def one(call: Call) -> None:
            async with limiter:
                if self.stopped is not None:
                    return
                self.running += 1
                try:
                    outcome = await self._call(call)
                finally:
                    self.running -= 1
                done(outcome)
                if outcome.error is not None and stops_the_run(outcome.error):
                    self.stop(str(outcome.error))

        async with anyio.create_task_group() as group:
            for call in calls:
                group.start_soon(one, call)

    async def _call(self, call: Call) -> Outcome:
        task = self._bars.start(call)
        gate = Gate(
            call.count,
            waiting=lambda seconds: self._bars.pacing(task, seconds),
            sending=lambda: self._bars.sending(task),
        )
        token = CURRENT_GATE.set(gate)
        rounds = 1
        try:
            while True:
                try:
                    generation = await self._send(call)
                    paths = await generation.save(
                        self._folder, observe=lambda _index, chunk: self._bars.downloaded(task, len(chunk))
                    )
                except RateLimitError as exc:
                    if rounds < MAX_ROUNDS:
                        rounds += 1
                        continue  # the 429s paused and slowed the gate; the call waits there again
                    self.stop(messages.rate_limited_out(MAX_ROUNDS))
                    return Outcome(call, error=exc)
                except (DownloadError, SaveError) as exc:
                    return Outcome(call, list(exc.saved), error=exc)
                except SiliconFlowError as exc:
                    return Outcome(call, error=exc)
                return Outcome(call, paths, generation.seed, generation.trace_id)
        finally:
            CURRENT_GATE.reset(token)
            self._bars.finish(task)

    async def _send(self, call: Call) -> AsyncGeneration:
        request = call.request
        options: dict[str, Any] = call.options()
        if request.task == "edit":
            images = request.image_inputs()
            return await self._client.images.edit(
                model=request.model,
                prompt=request.prompt,
                image=images["image"],
                image2=images.get("image2"),
                image3=images.get("image3"),
                **options,
            )
        return await self._client.images.generate(model=request.model, prompt=request.prompt, **options)
