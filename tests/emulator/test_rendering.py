"""The placeholder pictures themselves, without HTTP."""

from __future__ import annotations

import io

import pytest
from emulator_support import halves
from PIL import Image, ImageChops, ImageStat

from siliconflow_emulator.images import Caption, render_edit, render_generation, seed_key

CAPTION = Caption("SiliconFlow emulator · placeholder image", "Kwai-Kolors/Kolors", 7, "an island near sea")


def open_png(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "PNG"
    picture.load()
    return picture


@pytest.mark.parametrize("size", [(1024, 1024), (1328, 1328), (720, 1440), (1664, 928), (10, 10), (97, 10)])
def test_generation_has_the_asked_size(size: tuple[int, int]) -> None:
    picture = open_png(render_generation(size, seed_key("m", "p", 1), CAPTION, None))
    assert picture.size == size
    assert picture.mode == "RGB"


def test_same_key_same_bytes_other_key_other_picture() -> None:
    first = render_generation((512, 384), seed_key("m", "p", 1), CAPTION, None)
    again = render_generation((512, 384), seed_key("m", "p", 1), CAPTION, None)
    other = render_generation((512, 384), seed_key("m", "p", 2), CAPTION, None)
    assert first == again
    difference = ImageChops.difference(open_png(first), open_png(other))
    assert max(high for _, high in difference.getextrema()) > 64


def test_pictures_are_not_flat() -> None:
    picture = open_png(render_generation((640, 640), seed_key("scene"), CAPTION, None))
    # A placeholder should look like a picture: many colours, not one fill.
    assert len(picture.getcolors(maxcolors=1 << 20) or []) > 200


def test_a_large_png_stays_a_reasonable_size() -> None:
    data = render_generation((1328, 1328), seed_key("big"), CAPTION, None)
    assert 10_000 < len(data) < 2_000_000


def test_edit_keeps_the_first_inputs_size_and_its_content() -> None:
    source = halves((300, 200), (0, 0, 0), (255, 255, 255))
    other = Image.new("RGB", (640, 480), (255, 0, 0))
    caption = Caption(
        "SiliconFlow emulator · placeholder edit", "Qwen/Qwen-Image-Edit-2509", 3, "make it red"
    )
    picture = open_png(render_edit([source, other], seed_key("edit"), caption))
    assert picture.size == (300, 200)
    # The black half stays far darker than the white half: the output comes from the input.
    left = ImageStat.Stat(picture.crop((10, 60, 140, 110)).convert("L")).mean[0]
    right = ImageStat.Stat(picture.crop((160, 60, 210, 110)).convert("L")).mean[0]
    assert right - left > 100
    # The second input is inset top right, in its own red.
    red, green, blue = picture.getpixel((280, 20))
    assert red > 200 and green < 60 and blue < 60


def test_image_to_image_shows_the_guide() -> None:
    guide = halves((200, 200), (0, 0, 0), (255, 255, 255))
    picture = open_png(render_generation((400, 300), seed_key("guided"), CAPTION, guide))
    assert picture.size == (400, 300)
    left = ImageStat.Stat(picture.crop((20, 20, 180, 150)).convert("L")).mean[0]
    right = ImageStat.Stat(picture.crop((220, 20, 380, 150)).convert("L")).mean[0]
    assert right - left > 60


def test_prompts_in_other_scripts_render() -> None:
    caption = Caption("t", "Qwen/Qwen-Image", 1, "一只猫坐在月亮上 🐱")
    assert open_png(render_generation((400, 400), seed_key("cjk"), caption, None)).size == (400, 400)
