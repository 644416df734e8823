"""The server in this process, under the SDK's MCP client, against the emulator: what needs its
clock or its HTTP traffic in hand. Retries wait on a fake clock, so Retry-After is honoured
without anyone waiting; concurrency is seen as requests in flight at the API at once."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from mcp.client import Client
from mcp.types import CallToolResult
from mcp_support import (
    SECRET_KEY,
    FakeClock,
    Folders,
    assert_nowhere,
    error_text,
    in_process,
    server_env,
    structured,
)

from siliconflow_emulator.running import RunningEmulator
from siliconflow_images import AsyncSiliconFlow
from siliconflow_images_mcp.config import Settings
from siliconflow_images_mcp.tool_errors import WORDING
from siliconflow_images_mcp.tools import ImageTools

pytestmark = pytest.mark.anyio

Results = list[CallToolResult]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(emulator: RunningEmulator, folders: Folders) -> Settings:
    # The environment the spawned servers get: two retries, a ten-second retry budget.
    return Settings.load(server_env(emulator, folders))


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


@pytest.fixture(autouse=True)
def no_key_anywhere(caplog: pytest.LogCaptureFixture) -> Iterator[Results]:
    results: Results = []
    yield results
    assert_nowhere(SECRET_KEY, caplog.text, *(result.model_dump_json() for result in results))


async def call(client: Client, results: Results, tool: str, args: dict[str, Any]) -> CallToolResult:
    result = await client.call_tool(tool, args)
    results.append(result)
    return result


async def test_rate_limits_are_retried_honouring_retry_after(
    emulator: RunningEmulator,
    settings: Settings,
    clock: FakeClock,
    log: pytest.LogCaptureFixture,
    no_key_anywhere: Results,
) -> None:
    emulator.settings.faults.rate_limit = 2
    async with in_process(ImageTools(settings, clock=clock)) as client:
        structured(await call(client, no_key_anywhere, "generate_image", {"prompt": "patience"}))
    # Twice the emulator's Retry-After: 1, waited on the clock rather than timed.
    assert sum(clock.sleeps) >= 1.9 and clock.sleeps == [1.0, 1.0]
    assert "retry 2 of 2 after HTTP 429" in log.text


async def test_overload_is_retried(
    emulator: RunningEmulator, settings: Settings, clock: FakeClock, no_key_anywhere: Results
) -> None:
    emulator.settings.faults.retry_after = 0
    emulator.settings.faults.overload = 1
    async with in_process(ImageTools(settings, clock=clock)) as client:
        structured(await call(client, no_key_anywhere, "generate_image", {"prompt": "busy day"}))
    assert emulator.settings.faults.overload == 0


async def test_giving_up_says_what_happened_and_what_to_try(
    emulator: RunningEmulator, settings: Settings, clock: FakeClock, no_key_anywhere: Results
) -> None:
    emulator.settings.faults.rate_limit = 5
    async with in_process(ImageTools(settings, clock=clock)) as client:
        message = error_text(await call(client, no_key_anywhere, "generate_image", {"prompt": "too many"}))
    assert "rate limiting this account (429 after 2 retries)" in message and "wait 1 s" in message
    assert emulator.settings.faults.rate_limit == 2  # three tries, no more


async def test_a_gateway_timeout_is_retried_once_and_may_have_been_billed(
    emulator: RunningEmulator, settings: Settings, clock: FakeClock, no_key_anywhere: Results
) -> None:
    async with in_process(ImageTools(settings, clock=clock)) as client:
        emulator.settings.faults.gateway_timeout = 1
        structured(await call(client, no_key_anywhere, "generate_image", {"prompt": "slow"}))
        emulator.settings.faults.gateway_timeout = 3
        message = error_text(await call(client, no_key_anywhere, "generate_image", {"prompt": "slower"}))
    assert "504" in message and "may still have run and been billed" in message
    assert emulator.settings.faults.gateway_timeout == 1


async def test_a_save_past_its_deadline_is_a_failure_the_ledger_and_the_model_hear_of(
    emulator: RunningEmulator,
    settings: Settings,
    folders: Folders,
    monkeypatch: pytest.MonkeyPatch,
    no_key_anywhere: Results,
) -> None:
    emulator.settings.faults.trickle = 1.0  # a stalled image host: one byte a second
    tools = ImageTools(settings)
    monkeypatch.setattr(tools, "_keep_deadline", lambda: 0.2)
    async with in_process(tools) as client:
        message = error_text(
            await call(client, no_key_anywhere, "generate_image", {"prompt": "stalled", "batch_size": 2})
        )
    assert "SiliconFlow made 2 images, but they could not be saved in time" in message
    assert message.count("not saved within the 0.2 s") == 2 and message.count("fetch it until") == 2
    assert f"The ledger {folders.output / 'siliconflow-ledger.jsonl'} records them too." in message
    ledger = [
        json.loads(line) for line in (folders.output / "siliconflow-ledger.jsonl").read_text().splitlines()
    ]
    assert [entry["event"] for entry in ledger] == ["answered", "failed"]
    assert "not saved within" in ledger[1]["reason"]


class HeldTogether(httpx.AsyncBaseTransport):
    """The way to the emulator, holding each generation request until `expected` are in flight at once.

    Calls that ran one after another would never get there: the first would wait for ever
    (here: until a generous deadline fails the test).
    """

    def __init__(self, expected: int) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._expected = expected
        self._all_in = anyio.Event()
        self.in_flight = 0
        self.most_in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return await self._inner.handle_async_request(request)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight == self._expected:
            self._all_in.set()
        try:
            with anyio.fail_after(30):
                await self._all_in.wait()
            return await self._inner.handle_async_request(request)
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_concurrent_calls_run_concurrently(
    emulator: RunningEmulator, settings: Settings, no_key_anywhere: Results
) -> None:
    transport = HeldTogether(4)
    api = AsyncSiliconFlow(
        api_key=settings.api_key, base_url=settings.base_url, transport=transport, wording=WORDING
    )
    results: Results = []
    try:
        async with in_process(ImageTools(settings, api)) as client:

            async def one(i: int) -> None:
                results.append(
                    await call(
                        client, no_key_anywhere, "generate_image", {"prompt": f"parallel {i}", "seed": i}
                    )
                )

            async with anyio.create_task_group() as group:
                for i in range(4):
                    group.start_soon(one, i)
    finally:
        await transport.aclose()
    assert transport.most_in_flight == 4  # all four at the API at once, not one after another
    assert sorted(structured(r)["seed"] for r in results) == [0, 1, 2, 3]
