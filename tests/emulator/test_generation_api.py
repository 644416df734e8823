"""POST /v1/images/generations over HTTP: the page's examples, sizes, counts, seeds and the answer's shape."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from emulator_support import data_uri, halves
from PIL import Image, ImageChops

from siliconflow_emulator import RunningEmulator
from siliconflow_emulator.validation import parse_size
from siliconflow_models import MODELS, ImageGenerationResponse

Generate = Callable[..., httpx.Response]
Download = Callable[[str], Image.Image]


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-siliconcloud-trace-id"].startswith("ti_")
    body: dict[str, Any] = response.json()
    ImageGenerationResponse.model_validate(body)
    return body


SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi" / "siliconflow.yaml").read_text())
PAGE_EXAMPLES = SPEC["paths"]["/images/generations"]["post"]["requestBody"]["content"]["application/json"][
    "examples"
]
# The page's examples point at an image on the internet; the emulator has no network, so each
# image field gets a picture of its own size, sent as a data URI like the page's other form.
INPUT_SIZES = {"image": (800, 600), "image2": (300, 300), "image3": (200, 400)}


@pytest.mark.parametrize("name", sorted(PAGE_EXAMPLES))
def test_page_examples_are_answered(
    emulator: RunningEmulator, generate: Generate, download: Download, name: str
) -> None:
    request = dict(PAGE_EXAMPLES[name]["value"])
    # Each example is answered by an emulator of a site that serves its model.
    emulator.settings.site = MODELS[request["model"]].sites[0]
    for field, size in INPUT_SIZES.items():
        if field in request:
            request[field] = data_uri(halves(size, (0, 0, 40), (255, 255, 255)), space=True)
    body = ok(generate(**request))
    assert len(body["images"]) == request.get("batch_size", 1)
    # A generation has the asked size; an edit keeps its first input's.
    expected = parse_size(request["image_size"]) if "image_size" in request else INPUT_SIZES["image"]
    assert {download(image["url"]).size for image in body["images"]} == {expected}
    suffix = ".jpg" if request.get("output_format") == "jpeg" else ".png"
    assert all(image["url"].endswith(suffix) for image in body["images"])


def test_batch_size_gives_that_many_different_images(generate: Generate, download: Download) -> None:
    body = ok(
        generate(model="Kwai-Kolors/Kolors", prompt="boats", image_size="768x1024", batch_size=4, seed=5)
    )
    urls = [image["url"] for image in body["images"]]
    assert len(set(urls)) == 4
    assert body["data"] == body["images"]
    pictures = [download(url) for url in urls]
    assert {picture.size for picture in pictures} == {(768, 1024)}
    assert len({picture.tobytes() for picture in pictures}) == 4


@pytest.mark.parametrize(
    ("model", "size"), [("Kwai-Kolors/Kolors", (1024, 1024)), ("Qwen/Qwen-Image", (1328, 1328))]
)
def test_default_size_comes_from_the_model_table(
    generate: Generate, download: Download, model: str, size: tuple[int, int]
) -> None:
    body = ok(generate(model=model, prompt="a lighthouse"))
    assert download(body["images"][0]["url"]).size == size


def test_image_size_is_honoured(generate: Generate, download: Download) -> None:
    body = ok(generate(model="Qwen/Qwen-Image", prompt="a lighthouse", image_size="1664x928"))
    assert download(body["images"][0]["url"]).size == (1664, 928)


def test_same_request_same_bytes_other_seed_other_image(client: httpx.Client, generate: Generate) -> None:
    def picture(seed: int) -> bytes:
        body = ok(generate(model="Qwen/Qwen-Image", prompt="a lighthouse", image_size="512x512", seed=seed))
        assert body["seed"] == seed
        return client.get(body["images"][0]["url"]).content

    first, again, other = picture(42), picture(42), picture(43)
    assert first == again
    assert first != other


def test_a_seed_is_chosen_when_none_is_given(generate: Generate) -> None:
    seeds = {ok(generate(model="Qwen/Qwen-Image", prompt="x", image_size="64x64"))["seed"] for _ in range(3)}
    assert len(seeds) > 1
    assert all(0 <= seed <= 9999999999 for seed in seeds)


def test_answer_carries_timings_created_and_shared_id(generate: Generate) -> None:
    before = int(time.time())
    body = ok(generate(model="Kwai-Kolors/Kolors", prompt="x", image_size="64x64"))
    assert body["timings"]["inference"] >= 0
    assert before <= body["created"] <= int(time.time()) + 1
    assert isinstance(body["shared_id"], str) and body["shared_id"]
    assert body["images"][0]["url"].startswith("http://127.0.0.1:")


def test_restating_a_default_the_model_ignores_is_accepted(generate: Generate, download: Download) -> None:
    # What the generated client sends for every model: batch_size, steps and guidance_scale defaults.
    body = ok(
        generate(
            model="Qwen/Qwen-Image",
            prompt="x",
            image_size="64x48",
            batch_size=1,
            num_inference_steps=20,
            guidance_scale=7.5,
        )
    )
    assert len(body["images"]) == 1
    assert download(body["images"][0]["url"]).size == (64, 48)


def test_integral_json_numbers_count_as_integers(generate: Generate) -> None:
    # JSON Schema counts 3.0 as an integer, so the spec accepts it.
    body = ok(generate(model="Kwai-Kolors/Kolors", prompt="x", image_size="64x64", batch_size=3.0, seed=11.0))
    assert len(body["images"]) == 3
    assert body["seed"] == 11


def test_kolors_batch_images_differ_from_each_other_but_repeat(
    client: httpx.Client, generate: Generate
) -> None:
    def pictures() -> list[bytes]:
        body = ok(generate(model="Kwai-Kolors/Kolors", prompt="x", image_size="96x96", batch_size=2, seed=9))
        return [client.get(image["url"]).content for image in body["images"]]

    first, second = pictures(), pictures()
    assert first == second
    assert first[0] != first[1]


def test_edit_output_differs_from_its_input(generate: Generate, download: Download) -> None:
    source = halves((200, 160), (20, 40, 60), (200, 180, 160))
    body = ok(generate(model="Qwen/Qwen-Image-Edit", prompt="make it dusk", image=data_uri(source)))
    result = download(body["images"][0]["url"]).convert("RGB")
    assert result.size == source.size
    assert ImageChops.difference(result, source).getbbox() is not None
