"""Budget 1: what the SDK costs per call, next to a raw httpx POST and to the openai SDK.

Three clients send the same body and read the same answer:

- the SDK: `AsyncSiliconFlow(...).images.generate(model=..., prompt=..., **options)`, which checks
  the model's rules, builds the generated request model, sends through its retry transport with
  origin-scoped auth and the response hook, parses the answer with the generated client and
  checks it into an `AsyncGeneration` (nothing is downloaded);
- a raw `httpx.AsyncClient.post(json=...)` plus `response.json()`: the floor;
- `openai.AsyncOpenAI().images.generate(..., extra_body=...)`, answer parsed into its pydantic model.

First over an in-process `MockTransport` that answers a canned body, so only client work is
timed: the SDK is built with `transport=httpx.MockTransport(...)`, which still goes through its
retry transport, auth and response hook; openai 3.x runs on `httpx2`, so it gets
`httpx2.MockTransport` with the same answer. Then over loopback to the emulator, where
rendering is kept tiny (64x64) so the clients still show.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import httpx2
from openai import AsyncOpenAI

from siliconflow_images import AsyncGeneration, AsyncSiliconFlow

from .processes import API_KEY, emulator
from .report import RATIO, Row
from .stats import Stats, differences, interleave, per_call_seconds, ratios

MOCK_BASE_URL = "https://api.siliconflow.cn/v1"
MODEL = "Kwai-Kolors/Kolors"
PROMPT = "a lighthouse at dusk, oil painting"
# Kolors with the table's defaults given explicitly, but at 64x64: in the loopback rows the
# emulator draws the picture, and a big one would drown the clients being compared.
OPTIONS: dict[str, Any] = {
    "image_size": "64x64",
    "batch_size": 1,
    "num_inference_steps": 20,
    "guidance_scale": 7.5,
}
PAYLOAD: dict[str, Any] = {"model": MODEL, "prompt": PROMPT, **OPTIONS}
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
TIMEOUT = httpx.Timeout(120.0, connect=10.0)
"""The SDK's default timeouts, given to the raw client too."""

Call = Callable[[], Awaitable[object]]


def _httpx_answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=ANSWER, headers=ANSWER_HEADERS)


def _httpx2_answer(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(200, content=ANSWER, headers=ANSWER_HEADERS)


def _sdk_call(client: AsyncSiliconFlow) -> Call:
    async def call() -> object:
        generation = await client.images.generate(model=MODEL, prompt=PROMPT, **OPTIONS)
        assert isinstance(generation, AsyncGeneration) and len(generation.images) == 1
        return generation

    return call


def _raw_call(client: httpx.AsyncClient) -> Call:
    async def call() -> object:
        response = await client.post("/images/generations", json=PAYLOAD)
        response.raise_for_status()
        return response.json()

    return call


def _openai_call(client: AsyncOpenAI) -> Call:
    async def call() -> object:
        return await client.images.generate(model=MODEL, prompt=PROMPT, extra_body=OPTIONS)

    return call


def _raw_client(base_url: str, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=TIMEOUT,
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
    sdk, raw, openai = series["sdk"], series["raw"], series["openai"]
    return [
        Row(section, "raw httpx POST + .json()", Stats.of(raw).scaled(scale), unit, panel=panel),
        Row(
            section,
            "SDK: AsyncSiliconFlow images.generate",
            Stats.of(sdk).scaled(scale),
            unit,
            panel=panel,
            ours=True,
            short="SDK images.generate",
        ),
        Row(
            section,
            "openai images.generate(extra_body=...)",
            Stats.of(openai).scaled(scale),
            unit,
            panel=panel,
        ),
        Row(
            section,
            "SDK's own cost over raw httpx",
            Stats.of(differences(sdk, raw)).scaled(1e6),
            "µs",
            budget=40.0 if budgets else None,
            short="SDK's own cost per call",
        ),
        Row(
            section,
            "SDK / openai",
            Stats.of(ratios(sdk, openai)),
            RATIO,
            budget=0.5 if budgets else None,
            short="SDK / openai SDK",
        ),
    ]


@contextlib.asynccontextmanager
async def _three_clients(base_url: str, mock: bool) -> AsyncIterator[dict[str, Call]]:
    """One call of each client, all to `base_url`: over the mock transports, or the network."""
    if mock:
        sdk = AsyncSiliconFlow(
            api_key=API_KEY, base_url=base_url, transport=httpx.MockTransport(_httpx_answer)
        )
        raw = _raw_client(base_url, httpx.MockTransport(_httpx_answer))
        http_client = httpx2.AsyncClient(transport=httpx2.MockTransport(_httpx2_answer))
        openai = AsyncOpenAI(api_key=API_KEY, base_url=base_url, http_client=http_client)
    else:
        sdk = AsyncSiliconFlow(api_key=API_KEY, base_url=base_url)
        raw = _raw_client(base_url, None)
        openai = AsyncOpenAI(api_key=API_KEY, base_url=base_url)
    try:
        yield {"sdk": _sdk_call(sdk), "raw": _raw_call(raw), "openai": _openai_call(openai)}
    finally:
        await sdk.aclose()
        await raw.aclose()
        await openai.close()


async def measure(mock_rounds: int, mock_calls: int, loopback_rounds: int, loopback_calls: int) -> list[Row]:
    rows: list[Row] = []
    async with _three_clients(MOCK_BASE_URL, mock=True) as calls:
        panel = "Client per call, in-process mock (µs)"
        rows += await _compare("1a client, MockTransport", panel, calls, mock_rounds, mock_calls, "µs", True)
    with emulator() as running:
        async with _three_clients(running.base_url, mock=False) as calls:
            panel = "Client per call, loopback to the emulator, 64x64 (ms)"
            rows += await _compare(
                "1b client, loopback", panel, calls, loopback_rounds, loopback_calls, "ms", False
            )
    return rows
