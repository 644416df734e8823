"""Budget 1: what the generated client costs per call, next to raw httpx and the openai SDK.

Three clients send the same body and read the same answer:

- the generated `siliconflow_client`, built as `siliconflow-images mcp` builds it (retry transport,
  timeouts, origin-scoped auth, the response hook): `create_image_generation.asyncio_detailed`
  from a plain dict, answer parsed into its attrs model;
- a raw `httpx.AsyncClient.post(json=...)` plus `response.json()`: the floor;
- `openai.AsyncOpenAI().images.generate(..., extra_body=...)`, answer parsed into its pydantic model.

First over an in-process `MockTransport` that answers a canned body, so only client work is
timed (openai 3.x runs on `httpx2`, so it gets `httpx2.MockTransport` with the same handler);
then over loopback to the emulator, where rendering is kept tiny (64x64) so the client still shows.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import httpx2
from openai import AsyncOpenAI

from siliconflow_client import AuthenticatedClient
from siliconflow_client.api.images import create_image_generation
from siliconflow_client.models import ImageGenerationRequest, ImageGenerationResponse
from siliconflow_images_mcp.config import Settings
from siliconflow_images_mcp.http import (
    build_client,
    client_for,
    default_timeout,
    retry_policy,
    retry_transport,
)

from .processes import API_KEY, emulator
from .report import RATIO, Row
from .stats import Stats, differences, interleave, per_call_seconds, ratios

MOCK_BASE_URL = "https://api.siliconflow.cn/v1"
MODEL = "Kwai-Kolors/Kolors"
# What `siliconflow-images mcp` sends for Kolors with the table's defaults, but at 64x64: in the loopback
# rows the emulator draws the picture, and a big one would drown the clients being compared.
OPTIONS: dict[str, Any] = {
    "image_size": "64x64",
    "batch_size": 1,
    "num_inference_steps": 20,
    "guidance_scale": 7.5,
}
PAYLOAD: dict[str, Any] = {"model": MODEL, "prompt": "a lighthouse at dusk, oil painting", **OPTIONS}
ANSWER = json.dumps(
    {
        "images": [{"url": "https://example.invalid/files/0123456789abcdef.png"}],
        "timings": {"inference": 0.0},
        "seed": 42,
        "shared_id": "0123456789abcdef",
        "data": [{"url": "https://example.invalid/files/0123456789abcdef.png"}],
        "created": 1_700_000_000,
    }
).encode()
ANSWER_HEADERS = {"content-type": "application/json", "x-siliconcloud-trace-id": "ti_0123456789abcdef"}

Call = Callable[[], Awaitable[object]]


def _httpx_answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=ANSWER, headers=ANSWER_HEADERS)


def _httpx2_answer(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(200, content=ANSWER, headers=ANSWER_HEADERS)


def _settings(base_url: str, folder: str) -> Settings:
    return Settings.load({}, api_key=API_KEY, base_url=base_url, output_dir=folder)


def _generated_on_mock(settings: Settings) -> AuthenticatedClient:
    # `client_for` with the mock where it puts `httpx.AsyncHTTPTransport`: the rest as the server has it.
    policy = retry_policy(max_retries=settings.max_retries, budget=settings.retry_budget)
    return build_client(
        API_KEY,
        settings.base_url,
        timeout=default_timeout(settings.timeout, settings.connect_timeout),
        transport=retry_transport(policy, transport=httpx.MockTransport(_httpx_answer)),
    )


def _generated_call(client: AuthenticatedClient) -> Call:
    async def call() -> object:
        response = await create_image_generation.asyncio_detailed(
            client=client, body=ImageGenerationRequest.from_dict(PAYLOAD)
        )
        assert isinstance(response.parsed, ImageGenerationResponse), response.status_code
        return response.parsed

    return call


def _raw_call(client: httpx.AsyncClient) -> Call:
    async def call() -> object:
        response = await client.post("/images/generations", json=PAYLOAD)
        response.raise_for_status()
        return response.json()

    return call


def _openai_call(client: AsyncOpenAI) -> Call:
    async def call() -> object:
        return await client.images.generate(model=MODEL, prompt=PAYLOAD["prompt"], extra_body=OPTIONS)

    return call


def _raw_client(base_url: str, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=default_timeout(),
        transport=transport,
    )


async def _compare(
    section: str, panel: str, calls: dict[str, Call], rounds: int, per_round: int, unit: str, budgets: bool
) -> list[Row]:
    for call in calls.values():
        for _ in range(max(3, per_round // 10)):
            await call()  # warm up: first-call imports, connection set-up, cached platform headers

    def timed(call: Call) -> Callable[[int], Awaitable[float]]:
        async def one_round(_: int) -> float:
            return await per_call_seconds(call, per_round)

        return one_round

    series = await interleave(rounds, {name: timed(call) for name, call in calls.items()})
    scale = 1e6 if unit == "µs" else 1e3
    generated, raw, openai = series["generated"], series["raw"], series["openai"]
    rows = [
        Row(section, "raw httpx POST + .json()", Stats.of(raw).scaled(scale), unit, panel=panel),
        Row(
            section,
            "generated client (as the server builds it)",
            Stats.of(generated).scaled(scale),
            unit,
            panel=panel,
            ours=True,
        ),
        Row(
            section,
            "openai images.generate(extra_body=...)",
            Stats.of(openai).scaled(scale),
            unit,
            panel=panel,
        ),
    ]
    own = Stats.of(differences(generated, raw)).scaled(1e6)
    vs_openai = Stats.of(ratios(generated, openai))
    rows += [
        Row(
            section,
            "generated client's own cost over raw httpx",
            own,
            "µs",
            budget=40.0 if budgets else None,
            short="generated client's own cost per call",
        ),
        Row(
            section,
            "generated client / openai",
            vs_openai,
            RATIO,
            budget=0.5 if budgets else None,
            short="generated client / openai SDK",
        ),
    ]
    return rows


@contextlib.asynccontextmanager
async def _three_clients(settings: Settings, mock: bool) -> AsyncIterator[dict[str, Call]]:
    """One call of each client, all to `settings.base_url`: over the mock transports, or the network."""
    base_url = settings.base_url
    if mock:
        generated = _generated_on_mock(settings)
        raw = _raw_client(base_url, httpx.MockTransport(_httpx_answer))
        http_client = httpx2.AsyncClient(transport=httpx2.MockTransport(_httpx2_answer))
        openai = AsyncOpenAI(api_key=API_KEY, base_url=base_url, http_client=http_client)
    else:
        generated = client_for(settings)
        raw = _raw_client(base_url, None)
        openai = AsyncOpenAI(api_key=API_KEY, base_url=base_url)
    try:
        yield {"generated": _generated_call(generated), "raw": _raw_call(raw), "openai": _openai_call(openai)}
    finally:
        await generated.get_async_httpx_client().aclose()
        await raw.aclose()
        await openai.close()


async def measure(rounds: int, mock_calls: int, loopback_calls: int) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as folder:
        async with _three_clients(_settings(MOCK_BASE_URL, folder), mock=True) as calls:
            panel = "Client per call, in-process mock (µs)"
            rows += await _compare("1a client, MockTransport", panel, calls, rounds, mock_calls, "µs", True)
        with emulator() as running:
            async with _three_clients(_settings(running.base_url, folder), mock=False) as calls:
                panel = "Client per call, loopback to the emulator, 64x64 (ms)"
                rows += await _compare(
                    "1b client, loopback", panel, calls, rounds, loopback_calls, "ms", False
                )
    return rows
