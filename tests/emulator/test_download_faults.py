"""Hostile downloads on demand: faults that count image downloads (not generations), and paced links."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import httpx
import pytest
from PIL import Image

from siliconflow_emulator import RunningEmulator
from siliconflow_emulator.downloads import TRAILING_JUNK_BYTES

Generate = Callable[..., httpx.Response]
BODY = {"model": "Kwai-Kolors/Kolors", "prompt": "a lighthouse", "image_size": "64x64"}


@pytest.fixture
def url(generate: Generate) -> str:
    response = generate(**BODY)
    assert response.status_code == 200, response.text
    made: str = response.json()["images"][0]["url"]
    return made


def test_extra_urls_answer_one_generation_with_that_many_valid_urls(
    emulator: RunningEmulator, client: httpx.Client, generate: Generate
) -> None:
    emulator.settings.faults.extra_urls = 20
    body = generate(**BODY, batch_size=1).json()
    assert len(body["images"]) == len(body["data"]) == 20
    assert len({image["url"] for image in body["images"]}) == 20
    for image in body["images"]:
        response = client.get(image["url"])
        assert response.status_code == 200
        assert Image.open(io.BytesIO(response.content)).size == (64, 64)
    assert emulator.settings.faults.extra_urls == 0
    assert len(generate(**BODY).json()["images"]) == 1


def test_extra_urls_wait_for_a_generation_that_succeeds(
    emulator: RunningEmulator, generate: Generate
) -> None:
    emulator.settings.faults.extra_urls = 3
    assert generate(model="no/such-model", prompt="x").status_code == 400
    assert len(generate(**BODY).json()["images"]) == 3


def test_download_faults_count_downloads_not_generations(
    emulator: RunningEmulator, client: httpx.Client, generate: Generate, url: str
) -> None:
    faults = emulator.settings.faults
    faults.pixel_bomb = 2
    for _ in range(3):
        assert generate(**BODY).status_code == 200
    assert faults.pixel_bomb == 2
    bombs = [client.get(url).content for _ in range(2)]
    assert faults.pixel_bomb == 0
    with pytest.warns(Image.DecompressionBombWarning):
        assert {Image.open(io.BytesIO(bomb)).size for bomb in bombs} == {(12000, 12000)}
    assert Image.open(io.BytesIO(client.get(url).content)).size == (64, 64)


def test_pixel_bomb_is_a_small_png_that_does_not_decode(
    emulator: RunningEmulator, client: httpx.Client, url: str
) -> None:
    emulator.settings.faults.pixel_bomb = 1
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert len(response.content) < 1024
    Image.MAX_IMAGE_PIXELS, limit = None, Image.MAX_IMAGE_PIXELS
    try:
        picture = Image.open(io.BytesIO(response.content))
        assert picture.size == (12000, 12000)
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def test_trailing_bytes_follow_the_images_end(
    emulator: RunningEmulator, client: httpx.Client, url: str
) -> None:
    clean = client.get(url).content
    assert clean.endswith(b"IEND\xaeB`\x82")
    emulator.settings.faults.trailing_bytes = 1
    padded = client.get(url)
    assert padded.headers["content-type"] == "image/png"
    assert padded.content[: len(clean)] == clean
    assert len(padded.content) == len(clean) + TRAILING_JUNK_BYTES
    assert client.get(url).content == clean


def test_trailing_bytes_after_a_jpegs_end(
    emulator: RunningEmulator, client: httpx.Client, generate: Generate
) -> None:
    emulator.settings.site = "com"
    response = generate(model="black-forest-labs/FLUX.2-pro", prompt="x", output_format="jpeg")
    jpeg = response.json()["images"][0]["url"]
    clean = client.get(jpeg).content
    assert clean.endswith(b"\xff\xd9")  # EOI
    emulator.settings.faults.trailing_bytes = 1
    padded = client.get(jpeg)
    assert padded.headers["content-type"] == "image/jpeg"
    assert padded.content[: len(clean)] == clean and len(padded.content) == len(clean) + TRAILING_JUNK_BYTES


def test_not_an_image_is_an_html_page_with_200(
    emulator: RunningEmulator, client: httpx.Client, url: str
) -> None:
    emulator.settings.faults.not_an_image = 1
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!doctype html>")
    assert client.get(url).headers["content-type"] == "image/png"


def test_download_faults_are_taken_in_order(
    emulator: RunningEmulator, client: httpx.Client, url: str
) -> None:
    faults = emulator.settings.faults
    faults.not_an_image = faults.pixel_bomb = faults.trailing_bytes = 1
    sizes = [len(client.get(url).content) for _ in range(4)]
    clean = sizes[3]
    assert sizes[0] < 1024 and sizes[1] < 1024 and sizes[2] == clean + TRAILING_JUNK_BYTES


def test_trickle_sends_a_byte_at_a_time(emulator: RunningEmulator, client: httpx.Client, url: str) -> None:
    emulator.settings.faults.trickle = 0.05
    started = time.perf_counter()
    with client.stream("GET", url) as response:
        assert response.status_code == 200
        assert int(response.headers["content-length"]) > 100
        received = b""
        for chunk in response.iter_raw():
            assert len(chunk) == 1
            received += chunk
            if len(received) == 6:
                break
    # Five gaps of 0.05 s after the first byte; the rest of the file was never waited for.
    assert 0.25 <= time.perf_counter() - started < 1.0
    assert received == b"\x89PNG\r\n"


def test_download_rate_caps_the_bytes_per_second(
    emulator: RunningEmulator, client: httpx.Client, url: str
) -> None:
    size = len(client.get(url).content)
    emulator.settings.faults.download_rate = size / 0.4
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.headers["content-length"] == str(size)
    assert len(response.content) == size
    assert 0.38 <= elapsed < 1.5
