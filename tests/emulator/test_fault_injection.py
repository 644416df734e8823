"""Faults on demand: each counted fault, its order and scope, and emulated latency."""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
import httpx
import pydantic
import pytest
from emulator_support import TOKEN, spec_example

from siliconflow_emulator import Faults, RunningEmulator
from siliconflow_models import ErrorBody, ImageGenerationResponse, RateLimitBody

Generate = Callable[..., httpx.Response]
BODY = {"model": "Kwai-Kolors/Kolors", "prompt": "a lighthouse", "image_size": "64x64"}
PAGE_RATE_LIMIT_MESSAGE = spec_example("RateLimited")["message"]
PAGE_OVERLOAD = spec_example("Overloaded")


def test_rate_limit_answers_429_the_next_n_times(emulator: RunningEmulator, generate: Generate) -> None:
    emulator.settings.faults.rate_limit = 2
    emulator.settings.faults.retry_after = 2.5
    for _ in range(2):
        response = generate(**BODY)
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/json"
        assert response.headers["retry-after"] == "3"  # whole seconds, rounded up
        assert RateLimitBody.model_validate(response.json()).message == PAGE_RATE_LIMIT_MESSAGE
    assert emulator.settings.faults.rate_limit == 0
    assert generate(**BODY).status_code == 200


def test_overload_answers_503_with_code_50505(emulator: RunningEmulator, generate: Generate) -> None:
    emulator.settings.faults.overload = 1
    response = generate(**BODY)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    error = ErrorBody.model_validate(response.json())
    assert (error.code, error.message) == (50505, PAGE_OVERLOAD["message"])
    assert error.code == PAGE_OVERLOAD["code"]
    assert generate(**BODY).status_code == 200


def test_gateway_timeout_answers_504_in_plain_text(emulator: RunningEmulator, generate: Generate) -> None:
    emulator.settings.faults.gateway_timeout = 1
    response = generate(**BODY)
    assert response.status_code == 504
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-siliconcloud-trace-id"]
    assert generate(**BODY).status_code == 200


def test_malformed_answers_200_with_a_body_off_the_spec(
    emulator: RunningEmulator, generate: Generate
) -> None:
    emulator.settings.faults.malformed = 1
    response = generate(**BODY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(pydantic.ValidationError):
        ImageGenerationResponse.model_validate(response.json())
    ImageGenerationResponse.model_validate(generate(**BODY).json())


def test_faults_are_taken_in_order(emulator: RunningEmulator, generate: Generate) -> None:
    emulator.settings.faults = Faults(rate_limit=1, overload=1, gateway_timeout=1, malformed=1)
    statuses = [generate(**BODY).status_code for _ in range(5)]
    assert statuses == [429, 503, 504, 200, 200]


def test_faults_hit_authenticated_generations_only(emulator: RunningEmulator, client: httpx.Client) -> None:
    emulator.settings.faults.rate_limit = 1
    assert client.get("/models").status_code == 200
    anonymous = httpx.post(emulator.base_url + "/images/generations", json=BODY, trust_env=False)
    assert anonymous.status_code == 401
    # Neither request used up the fault: the next generation meets it.
    assert client.post("/images/generations", json=BODY).status_code == 429


def test_faults_come_before_validation(emulator: RunningEmulator, generate: Generate) -> None:
    emulator.settings.faults.overload = 1
    assert generate(model="no/such-model", prompt="x").status_code == 503


def test_step_latency_is_emulated_inference_time(emulator: RunningEmulator, generate: Generate) -> None:
    emulator.settings.faults.step_latency = 0.01
    started = time.perf_counter()
    body = generate(**BODY, num_inference_steps=30).json()
    assert time.perf_counter() - started >= 0.3
    assert body["timings"]["inference"] >= 0.3


def test_step_latency_uses_the_models_default_steps(emulator: RunningEmulator, generate: Generate) -> None:
    # Qwen-Image runs 50 steps unless told otherwise (the model table's default, not the request's).
    emulator.settings.faults.step_latency = 0.01
    body = generate(model="Qwen/Qwen-Image", prompt="x", image_size="64x64").json()
    assert body["timings"]["inference"] >= 0.5


def test_fixed_latency_delays_every_generation(emulator: RunningEmulator, generate: Generate) -> None:
    emulator.settings.faults.fixed_latency = 0.3
    started = time.perf_counter()
    assert generate(model="no/such-model", prompt="x").status_code == 400
    assert time.perf_counter() - started >= 0.3


@pytest.mark.anyio
async def test_concurrent_requests_overlap(emulator: RunningEmulator) -> None:
    emulator.settings.faults.step_latency = 0.025  # 20 steps: 0.5 s each
    headers = {"Authorization": f"Bearer {TOKEN}"}
    statuses: list[int] = []
    async with httpx.AsyncClient(
        base_url=emulator.base_url, headers=headers, timeout=30, trust_env=False
    ) as client:

        async def one() -> None:
            response = await client.post("/images/generations", json={**BODY, "image_size": "512x512"})
            statuses.append(response.status_code)

        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for _ in range(8):
                group.start_soon(one)
        elapsed = time.perf_counter() - started
    assert statuses == [200] * 8
    # One after another would take 4 s.
    assert elapsed < 2.0
