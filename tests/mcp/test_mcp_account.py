"""The account's model list is asked once and trusted for a while, on the injected clock."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from mcp_support import FakeClock

from siliconflow_images import SiliconFlowError
from siliconflow_images_mcp.account import FRESH_FOR, RETRY_AFTER_FAILURE, AccountModels

pytestmark = pytest.mark.anyio


class Models:
    """`client.models` of a fake client: counts the requests, fails while told to."""

    def __init__(self) -> None:
        self.asked = 0
        self.down = False
        self.ids = ["Kwai-Kolors/Kolors"]

    async def list(self) -> list[SimpleNamespace]:
        self.asked += 1
        if self.down:
            raise SiliconFlowError("Could not connect to SiliconFlow")
        return [SimpleNamespace(id=name) for name in self.ids]


def fake_client(models: Models) -> Any:
    return cast(Any, SimpleNamespace(models=models))


async def test_a_fetched_list_is_trusted_until_it_is_stale() -> None:
    clock, models = FakeClock(), Models()
    account, client = AccountModels(clock), fake_client(models)
    assert await account.available(client) == (frozenset({"Kwai-Kolors/Kolors"}), None)
    clock.now += FRESH_FOR - 1
    models.ids = ["Qwen/Qwen-Image"]
    assert (await account.available(client))[0] == frozenset({"Kwai-Kolors/Kolors"})
    assert models.asked == 1
    clock.now += 2
    assert (await account.available(client))[0] == frozenset({"Qwen/Qwen-Image"})
    assert models.asked == 2
    await account.available(client, fresh=True)  # list_models always asks
    assert models.asked == 3


async def test_a_failure_is_asked_again_sooner_and_keeps_what_was_known() -> None:
    clock, models = FakeClock(), Models()
    account, client = AccountModels(clock), fake_client(models)
    models.down = True
    ids, error = await account.available(client)
    assert ids is None and error is not None and "Could not connect" in error
    clock.now += RETRY_AFTER_FAILURE - 1
    await account.available(client)
    assert models.asked == 1  # not on every call
    clock.now += 2
    models.down = False
    assert await account.available(client) == (frozenset({"Kwai-Kolors/Kolors"}), None)
    # Down again: the old list stands, with the reason the new one is missing.
    models.down = True
    ids, error = await account.available(client, fresh=True)
    assert ids == frozenset({"Kwai-Kolors/Kolors"}) and error is not None
