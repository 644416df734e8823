"""Input images for edit and image-to-image requests: data URIs, and refusals of unusable ones.

URLs (the emulator's own, and the ones it must not fetch) are in test_input_urls.py."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from emulator_support import data_uri, halves, png_bytes
from PIL import EpsImagePlugin, Image, ImageStat

from siliconflow_models import ErrorBody

Generate = Callable[..., httpx.Response]
Download = Callable[[str], Image.Image]


def result(response: httpx.Response, download: Download) -> Image.Image:
    assert response.status_code == 200, response.text
    return download(response.json()["images"][0]["url"]).convert("RGB")


def brightness(picture: Image.Image, box: tuple[int, int, int, int]) -> float:
    return float(ImageStat.Stat(picture.crop(box).convert("L")).mean[0])


def refusal(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    error = ErrorBody.model_validate(response.json())
    assert error.code == 20015
    return error.message


@pytest.mark.parametrize("model", ["Qwen/Qwen-Image-Edit", "Qwen/Qwen-Image-Edit-2509"])
def test_edit_derives_from_the_input_and_keeps_its_size(
    generate: Generate, download: Download, model: str
) -> None:
    source = halves((360, 240), (0, 0, 0), (255, 255, 255))
    picture = result(generate(model=model, prompt="make it night", image=data_uri(source)), download)
    assert picture.size == (360, 240)
    # Above the caption band, the dark half stays dark and the light one light.
    assert brightness(picture, (280, 40, 340, 120)) - brightness(picture, (20, 40, 80, 120)) > 100


def test_2509_keeps_the_first_inputs_size_and_shows_the_others(
    generate: Generate, download: Download
) -> None:
    first = Image.new("RGB", (400, 300), (0, 0, 0))
    second = Image.new("RGB", (900, 900), (255, 0, 0))
    picture = result(
        generate(
            model="Qwen/Qwen-Image-Edit-2509",
            prompt="combine",
            image=data_uri(first),
            image2=data_uri(second),
            image3=data_uri(second),
        ),
        download,
    )
    assert picture.size == (400, 300)
    red, green, blue = picture.getpixel((370, 30))
    assert red > 200 and green < 80 and blue < 80


def test_edits_repeat_for_the_same_input_and_seed(client: httpx.Client, generate: Generate) -> None:
    image = data_uri(halves((64, 64), (10, 10, 10), (240, 240, 240)))

    def edited(seed: int) -> bytes:
        body = generate(model="Qwen/Qwen-Image-Edit", prompt="x", image=image, seed=seed).json()
        return client.get(body["images"][0]["url"]).content

    assert edited(1) == edited(1)
    assert edited(1) != edited(2)


def test_kolors_image_to_image_keeps_image_size_and_shows_the_guide(
    generate: Generate, download: Download
) -> None:
    guide = halves((200, 200), (0, 0, 0), (255, 255, 255))
    picture = result(
        generate(model="Kwai-Kolors/Kolors", prompt="x", image_size="400x400", image=data_uri(guide)),
        download,
    )
    assert picture.size == (400, 400)
    assert brightness(picture, (220, 40, 380, 300)) - brightness(picture, (20, 40, 180, 300)) > 60


def test_inputs_in_other_formats_and_with_transparency(generate: Generate, download: Download) -> None:
    transparent = Image.new("RGBA", (120, 80), (0, 0, 0, 0))
    jpeg = Image.new("RGB", (90, 70), (30, 120, 200))
    buffer = io.BytesIO()
    jpeg.save(buffer, "JPEG")
    jpeg_uri = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
    assert result(
        generate(model="Qwen/Qwen-Image-Edit", prompt="x", image=data_uri(transparent)), download
    ).size == (
        120,
        80,
    )
    assert result(generate(model="Qwen/Qwen-Image-Edit", prompt="x", image=jpeg_uri), download).size == (
        90,
        70,
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("data:image/png;base64,@@@not-base64@@@", "base64"),
        ("data:image/png;base64,iVBORw0KGgo", "base64"),
        ("data:image/png," + "x" * 10, "base64"),
        ("data:image/png;base64," + base64.b64encode(b"hello, not a picture").decode(), "not an image"),
        (
            "data:image/png;base64," + base64.b64encode(png_bytes(Image.new("RGB", (4, 4)))[:40]).decode(),
            "not an image",
        ),
        ("just some text", "data URI"),
        ("ftp://127.0.0.1/cat.png", "data URI"),
        ("http://127.0.0.1:99999/cat.png", "data URI"),
    ],
)
@pytest.mark.parametrize("field", ["image", "image2"])
def test_unusable_inputs_name_the_field(generate: Generate, value: str, reason: str, field: str) -> None:
    good = data_uri(Image.new("RGB", (32, 32)))
    body: dict[str, Any] = {"model": "Qwen/Qwen-Image-Edit-2509", "prompt": "x", "image": good, field: value}
    message = refusal(generate(**body))
    assert f"`{field}`" in message
    assert reason in message


def _encoded(picture: Image.Image, file_format: str) -> str:
    buffer = io.BytesIO()
    picture.save(buffer, file_format)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_webp_inputs_are_read(generate: Generate, download: Download) -> None:
    webp = _encoded(Image.new("RGB", (50, 40), (200, 30, 30)), "WEBP")
    assert result(generate(model="Qwen/Qwen-Image-Edit", prompt="x", image=webp), download).size == (50, 40)


@pytest.mark.parametrize("file_format", ["BMP", "GIF", "TIFF", "PPM", "ICO"])
def test_formats_the_api_does_not_take_are_refused(generate: Generate, file_format: str) -> None:
    other = _encoded(Image.new("RGB", (16, 16), (0, 90, 0)), file_format)
    message = refusal(generate(model="Qwen/Qwen-Image-Edit", prompt="x", image=other))
    assert "not an image" in message and "PNG, JPEG or WebP" in message


def test_an_eps_input_never_reaches_pillows_eps_reader(
    generate: Generate, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reading EPS runs Ghostscript on the caller's bytes; the emulator must not even try.
    tried: list[bool] = []
    original = EpsImagePlugin.EpsImageFile._open

    def spy(self: EpsImagePlugin.EpsImageFile) -> None:
        tried.append(True)
        original(self)

    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", spy)
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\n\n"
    assert Image.open(io.BytesIO(eps)).format == "EPS" and tried  # the spy sees an unrestricted open
    tried.clear()
    uri = "data:application/postscript;base64," + base64.b64encode(eps).decode()
    assert "not an image" in refusal(generate(model="Qwen/Qwen-Image-Edit", prompt="x", image=uri))
    assert tried == []


def test_inputs_larger_than_the_emulator_renders(generate: Generate) -> None:
    huge = data_uri(Image.new("L", (5000, 8)))
    assert "5000x8" in refusal(generate(model="Qwen/Qwen-Image-Edit", prompt="x", image=huge))
