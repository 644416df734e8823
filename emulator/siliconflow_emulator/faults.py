"""Injected misbehaviour of generations: the counted faults, extra URLs, and emulated inference time.

The download faults live with the downloads, in downloads.py."""

from __future__ import annotations

import anyio
from starlette.responses import JSONResponse, Response

from . import responses
from .settings import Faults

MALFORMED_BODY = {
    "images": "siliconflow-emulator: malformed fault (this body breaks the spec on purpose)",
    "timings": None,
    "seed": "not-a-number",
}
"""Well-formed JSON in the wrong shape: what a client's response parsing must survive."""


def take_fault(faults: Faults) -> Response | None:
    """The response for the first counted fault still armed, counting it down; None if none is."""
    # The event loop runs one handler at a time between awaits, so check-and-decrement is safe.
    if faults.rate_limit > 0:
        faults.rate_limit -= 1
        return responses.rate_limited(faults.retry_after, _detail("rate_limit", faults.rate_limit))
    if faults.overload > 0:
        faults.overload -= 1
        return responses.overloaded(faults.retry_after, _detail("overload", faults.overload))
    if faults.gateway_timeout > 0:
        faults.gateway_timeout -= 1
        return responses.gateway_timeout()
    if faults.malformed > 0:
        faults.malformed -= 1
        return JSONResponse(MALFORMED_BODY)
    return None


def take_extra_urls(faults: Faults) -> int | None:
    """How many image URLs this generation answers with if `extra_urls` is armed (disarming it), else None."""
    count = faults.extra_urls
    if count <= 0:
        return None
    faults.extra_urls = 0
    return count


async def add_request_latency(faults: Faults) -> None:
    """`fixed_latency`: every generation request, answered well or not, waits this long first."""
    if faults.fixed_latency > 0:
        await anyio.sleep(faults.fixed_latency)


async def emulate_inference(faults: Faults, steps: int) -> None:
    """`step_latency` per step: an asyncio sleep, so concurrent requests overlap as on a real cluster."""
    if faults.step_latency > 0:
        await anyio.sleep(faults.step_latency * steps)


def _detail(name: str, left: int) -> str:
    return f"siliconflow-emulator: {name} fault ({left} more to come)"
