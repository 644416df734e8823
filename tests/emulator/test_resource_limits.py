"""Bounds on the emulator's memory: pixels per request, and pictures drawn at once across requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from emulator_support import TOKEN, data_uri
from PIL import Image

from siliconflow_emulator import EmulatorSettings, RunningEmulator, inference, inputs, run_in_thread
from siliconflow_emulator import app as app_module
from siliconflow_emulator.responses import ApiError
from siliconflow_emulator.settings import DEFAULT_RENDER_THREADS
from siliconflow_emulator.validation import MAX_REQUEST_PIXELS, parse_generation

Generate = Callable[..., httpx.Response]
KOLORS = "Kwai-Kolors/Kolors"


def plan_of(**body: Any) -> Any:
    return parse_generation(json.dumps({"model": KOLORS, "prompt": "x", **body}).encode())


@pytest.mark.parametrize(
    ("image_size", "batch_size"),
    [("2048x2048", 4), ("4096x4096", 1), ("4096x2048", 2), ("2896x2896", 2)],
)
def test_batches_up_to_the_pixel_cap_pass(image_size: str, batch_size: int) -> None:
    plan = plan_of(image_size=image_size, batch_size=batch_size)
    assert plan.count * plan.size[0] * plan.size[1] <= MAX_REQUEST_PIXELS


@pytest.mark.parametrize(
    ("image_size", "batch_size"), [("2049x2048", 4), ("4096x4096", 2), ("4096x2048", 3), ("2900x2900", 2)]
)
def test_batches_over_the_pixel_cap_name_size_and_batch(image_size: str, batch_size: int) -> None:
    with pytest.raises(ApiError) as refused:
        plan_of(image_size=image_size, batch_size=batch_size)
    assert (refused.value.code, refused.value.data) == (20015, "image_size")
    assert "`image_size`" in refused.value.message and "`batch_size`" in refused.value.message


def test_an_oversized_batch_answers_in_the_apis_400_shape(generate: Generate) -> None:
    response = generate(model=KOLORS, prompt="x", image_size="4096x4096", batch_size=4)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == 20015 and body["data"] == "image_size"
    assert "`image_size`" in body["message"] and "`batch_size`" in body["message"]


def test_render_threads_default_and_bounds() -> None:
    assert 1 <= DEFAULT_RENDER_THREADS <= 4
    assert EmulatorSettings().render_threads == DEFAULT_RENDER_THREADS
    with pytest.raises(ValueError, match="render_threads"):
        EmulatorSettings(render_threads=0)


class Probe:
    """Wraps a function run in a worker thread; records how many ran at once and the limiter's count."""

    def __init__(self, function: Callable[..., Any], limiter: Callable[[], anyio.CapacityLimiter]) -> None:
        self.function, self.limiter = function, limiter
        self.lock = threading.Lock()
        self.active = self.peak = 0
        self.borrowed: list[float] = []

    def __call__(self, *args: Any) -> Any:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.borrowed.append(self.limiter().borrowed_tokens)
        try:
            return self.function(*args)
        finally:
            with self.lock:
                self.active -= 1


def test_infer_draws_no_more_pictures_at_once_than_its_limiter_allows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limiter = anyio.CapacityLimiter(2)
    probe = Probe(inference._render_one, lambda: limiter)
    monkeypatch.setattr(inference, "_render_one", probe)
    plan = plan_of(image_size="64x64", batch_size=4)
    finish = inference.Finish()

    async def main() -> list[bytes]:
        return await inference.infer(plan, 1, [], 6, finish, EmulatorSettings().faults, limiter)

    assert len(anyio.run(main)) == 6
    assert len(probe.borrowed) == 6
    # Each picture was drawn holding one of the limiter's two tokens: never outside it.
    assert all(1 <= borrowed <= 2 for borrowed in probe.borrowed)
    assert probe.peak <= 2


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RunningEmulator, list[anyio.CapacityLimiter]]]:
    made: list[anyio.CapacityLimiter] = []

    def recording(total: int) -> anyio.CapacityLimiter:
        limiter = anyio.CapacityLimiter(total)
        made.append(limiter)
        return limiter

    monkeypatch.setattr(app_module, "CapacityLimiter", recording)
    with run_in_thread(EmulatorSettings(api_keys=frozenset({TOKEN}), render_threads=2)) as emulator:
        yield emulator, made


def test_the_app_draws_and_decodes_within_one_limiter_of_render_threads(
    limited: tuple[RunningEmulator, list[anyio.CapacityLimiter]], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, made = limited
    assert [limiter.total_tokens for limiter in made] == [2]
    renders = Probe(inference._render_one, lambda: made[0])
    decodes = Probe(inputs._open, lambda: made[0])
    monkeypatch.setattr(inference, "_render_one", renders)
    monkeypatch.setattr(inputs, "_open", decodes)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=30, trust_env=False) as client:
        batch = {"model": KOLORS, "prompt": "x", "image_size": "64x64", "batch_size": 4}
        assert client.post("/images/generations", json=batch).status_code == 200
        picture = data_uri(Image.new("RGB", (32, 32)))
        edit = {"model": "Qwen/Qwen-Image-Edit-2509", "prompt": "x", "image": picture, "image2": picture}
        assert client.post("/images/generations", json=edit).status_code == 200
    assert len(renders.borrowed) == 5 and len(decodes.borrowed) == 2
    assert all(1 <= borrowed <= 2 for borrowed in renders.borrowed + decodes.borrowed)
    assert renders.peak <= 2
