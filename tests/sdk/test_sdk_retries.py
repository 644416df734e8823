"""The retry policy, on a fake clock: 429/503/connect failures retried with backoff and
Retry-After within the budget; 504 and read timeouts at most once; other failures never."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sdk_support import FakeApi, FakeClock, answer

from siliconflow_images import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncSiliconFlow,
    GatewayTimeoutError,
    InternalServerError,
    RateLimitError,
    SiliconFlow,
)

QWEN = "Qwen/Qwen-Image"
MAX_BACKOFF = 30.0


def rate_limited(retry_after: str | None = "3") -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(
        429, json={"message": "Request was rejected due to rate limiting.", "data": None}, headers=headers
    )


def overloaded(retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(
        503, json={"code": 50505, "message": "Model service overloaded.", "data": None}, headers=headers
    )


def test_a_429_is_retried_after_retry_after_and_then_succeeds(
    client: SiliconFlow, api: FakeApi, clock: FakeClock
) -> None:
    api.answers = [rate_limited("3"), rate_limited("2"), answer()]
    result = client.images.generate(model=QWEN, prompt="a fox")
    assert result.seed == 42
    assert clock.sleeps == [3.0, 2.0]
    assert len(api.bodies()) == 3
    assert api.bodies()[0] == api.bodies()[2]  # the same request each time


def test_except_rate_limit_error_catches_a_429_after_the_retries(
    make_client: Callable[..., SiliconFlow], api: FakeApi, clock: FakeClock
) -> None:
    api.answers = [rate_limited("1")]
    client = make_client(max_retries=3)
    try:
        client.images.generate(model=QWEN, prompt="a fox")
    except RateLimitError as error:
        assert error.retries == 3
        assert error.retry_after == 1.0
        assert "after 3 retries" in str(error)
    else:
        pytest.fail("no RateLimitError")
    assert len(api.requests) == 4
    assert clock.sleeps == [1.0, 1.0, 1.0]


def test_a_503_is_retried_with_growing_backoff(
    make_client: Callable[..., SiliconFlow], api: FakeApi, clock: FakeClock
) -> None:
    api.answers = [overloaded()]
    with pytest.raises(InternalServerError) as caught:
        make_client(max_retries=4).images.generate(model=QWEN, prompt="a fox")
    assert caught.value.code == 50505
    assert caught.value.retries == 4
    assert len(clock.sleeps) == 4
    assert all(0 < s <= MAX_BACKOFF for s in clock.sleeps)
    # Exponential with jitter in [50 %, 100 %]: each wait at least the previous one's lower bound.
    assert clock.sleeps[-1] > clock.sleeps[0]


def test_a_long_retry_after_is_capped_by_the_budget(
    client: SiliconFlow, api: FakeApi, clock: FakeClock
) -> None:
    api.answers = [rate_limited("3600"), answer()]
    client.images.generate(model=QWEN, prompt="a fox")
    assert clock.sleeps == [client.retry_budget] and client.retry_budget >= MAX_BACKOFF


def test_a_retry_after_within_the_budget_is_waited_in_full(
    client: SiliconFlow, api: FakeApi, clock: FakeClock
) -> None:
    # Retrying sooner than asked would only spend another attempt on another 429.
    api.answers = [rate_limited("45"), answer()]
    client.images.generate(model=QWEN, prompt="a fox")
    assert clock.sleeps == [45.0]


def test_retry_after_as_an_http_date_is_honoured(client: SiliconFlow, api: FakeApi, clock: FakeClock) -> None:
    api.answers = [rate_limited("Wed, 21 Oct 2015 07:28:00 GMT"), answer()]  # in the past: no wait
    client.images.generate(model=QWEN, prompt="a fox")
    assert len(clock.sleeps) == 1 and clock.sleeps[0] <= 1.0


def test_the_retry_budget_bounds_the_total_wait(
    make_client: Callable[..., SiliconFlow], api: FakeApi, clock: FakeClock
) -> None:
    api.answers = [rate_limited("4")]
    with pytest.raises(RateLimitError) as caught:
        make_client(max_retries=10, retry_budget=10).images.generate(model=QWEN, prompt="a fox")
    assert clock.sleeps == [4.0, 4.0, 2.0]  # the last wait cut to what was left; the next 429 is final
    assert caught.value.retries == 3


def test_a_zero_retry_budget_means_no_waiting_and_so_no_retries(
    make_client: Callable[..., SiliconFlow], api: FakeApi, clock: FakeClock
) -> None:
    # httpx-retries reads a total_timeout of None as "no limit": 0 used to wait without bound.
    api.answers = [rate_limited("5")]
    with pytest.raises(RateLimitError) as caught:
        make_client(retry_budget=0).images.generate(model=QWEN, prompt="a fox")
    assert clock.sleeps == []
    assert caught.value.retries == 0
    assert len(api.requests) == 1


def test_max_retries_zero_means_one_attempt(
    make_client: Callable[..., SiliconFlow], api: FakeApi, clock: FakeClock
) -> None:
    api.answers = [overloaded("1")]
    with pytest.raises(InternalServerError):
        make_client(max_retries=0).images.generate(model=QWEN, prompt="a fox")
    assert len(api.requests) == 1
    assert clock.sleeps == []


def test_failures_to_connect_are_retried_then_reported(
    make_client: Callable[..., SiliconFlow], api: FakeApi, clock: FakeClock
) -> None:
    api.answers = [httpx.ConnectError("connection refused")]
    with pytest.raises(APIConnectionError) as caught:
        make_client(max_retries=3).images.generate(model=QWEN, prompt="a fox")
    assert type(caught.value) is APIConnectionError
    assert not caught.value.maybe_billed
    assert len(api.requests) == 4
    assert len(clock.sleeps) == 3
    assert f"giving up after {sum(clock.sleeps):.0f} s" in str(caught.value)


def test_a_connect_failure_then_success(client: SiliconFlow, api: FakeApi, clock: FakeClock) -> None:
    api.answers = [httpx.ConnectTimeout("slow"), httpx.ConnectError("refused"), answer()]
    assert client.images.generate(model=QWEN, prompt="a fox").seed == 42
    assert len(api.requests) == 3


def test_a_504_is_retried_at_most_once(client: SiliconFlow, api: FakeApi, clock: FakeClock) -> None:
    api.answers = [httpx.Response(504, text="upstream request timeout")]
    with pytest.raises(GatewayTimeoutError) as caught:
        client.images.generate(model=QWEN, prompt="a fox")
    assert caught.value.retries == 1
    assert caught.value.maybe_billed
    assert len(api.requests) == 2


def test_a_504_then_other_failures_still_counts_the_one_retry(client: SiliconFlow, api: FakeApi) -> None:
    api.answers = [httpx.Response(504), rate_limited("1"), httpx.Response(504), answer()]
    with pytest.raises(GatewayTimeoutError):
        client.images.generate(model=QWEN, prompt="a fox")
    assert len(api.requests) == 3  # 504, 429 (retried freely), 504 (the second: final)


def test_a_read_timeout_is_retried_at_most_once(client: SiliconFlow, api: FakeApi, clock: FakeClock) -> None:
    api.answers = [httpx.ReadTimeout("no answer")]
    with pytest.raises(APITimeoutError) as caught:
        client.images.generate(model=QWEN, prompt="a fox")
    assert caught.value.maybe_billed
    assert len(api.requests) == 2
    assert len(clock.sleeps) == 1


def test_a_read_timeout_then_success(client: SiliconFlow, api: FakeApi) -> None:
    api.answers = [httpx.ReadTimeout("no answer"), answer(seed=9)]
    assert client.images.generate(model=QWEN, prompt="a fox").seed == 9


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422, 500, 502])
def test_other_failures_are_never_retried(
    client: SiliconFlow, api: FakeApi, clock: FakeClock, status: int
) -> None:
    api.answers = [httpx.Response(status, json={"code": 1, "message": "no"}, headers={"Retry-After": "1"})]
    with pytest.raises(APIStatusError) as caught:
        client.images.generate(model=QWEN, prompt="a fox")
    assert caught.value.status_code == status
    assert len(api.requests) == 1
    assert clock.sleeps == []


def test_models_list_is_retried_too(client: SiliconFlow, api: FakeApi, clock: FakeClock) -> None:
    api.answers = [rate_limited("2"), httpx.Response(200, json={"object": "list", "data": []})]
    assert client.models.list() == []
    assert clock.sleeps == [2.0]


def test_retries_of_different_calls_do_not_add_up(
    make_client: Callable[..., SiliconFlow], api: FakeApi, clock: FakeClock
) -> None:
    client = make_client(max_retries=1)
    api.answers = [rate_limited("1"), answer(), rate_limited("1"), answer()]
    client.images.generate(model=QWEN, prompt="a fox")
    client.images.generate(model=QWEN, prompt="a fox")
    assert clock.sleeps == [1.0, 1.0]


@pytest.mark.anyio
async def test_the_async_client_retries_on_the_same_clock(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi, clock: FakeClock
) -> None:
    api.answers = [rate_limited("2"), overloaded("1"), httpx.ConnectError("refused"), answer()]
    async with make_async_client() as client:
        result = await client.images.generate(model=QWEN, prompt="a fox")
    assert result.seed == 42
    assert clock.sleeps[:2] == [2.0, 1.0]
    assert len(clock.sleeps) == 3


@pytest.mark.anyio
async def test_the_async_client_retries_a_504_once_and_raises_rate_limit_error(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi, clock: FakeClock
) -> None:
    api.answers = [httpx.Response(504)]
    async with make_async_client(max_retries=2) as client:
        with pytest.raises(GatewayTimeoutError):
            await client.images.generate(model=QWEN, prompt="a fox")
        assert len(api.requests) == 2
        api.script(rate_limited("1"))
        with pytest.raises(RateLimitError) as caught:
            await client.images.generate(model=QWEN, prompt="a fox")
    assert caught.value.retries == 2
