"""The placeholder pictures themselves, without HTTP."""

from __future__ import annotations

import io

import pytest
from emulator_support import halves
from PIL import Image, ImageChops, ImageStat

from siliconflow_emulator.encoding import JPEG, png_claiming
from siliconflow_emulator.images import (
    Caption,
    Finish,
    caption_band_height,
    render_edit,
    render_generation,
    seed_key,
)

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


LONG_PROMPT = (
    "an island near sea, with seagulls, moon shining over the sea, light house, boats int he background, "
    "fish flying over the sea"
)


def captioned(size: tuple[int, int], prompt: str) -> Image.Image:
    caption = Caption("SiliconFlow emulator · placeholder image", "Kwai-Kolors/Kolors", 7, prompt)
    return open_png(render_generation(size, seed_key("input"), caption, None)).convert("RGB")


@pytest.mark.parametrize("size", [(1024, 1024), (1328, 1328), (720, 1440), (1664, 928), (300, 200), (96, 96)])
def test_an_edits_caption_band_hides_the_inputs_caption(size: tuple[int, int]) -> None:
    # Two inputs alike but for their captions: one long, one a single letter.
    long, short = captioned(size, LONG_PROMPT), captioned(size, "x")
    input_text = ImageChops.difference(long, short).getbbox()
    assert input_text is not None
    caption = Caption(
        "SiliconFlow emulator · placeholder edit", "Qwen/Qwen-Image-Edit", 1, "moonlight on the sea"
    )
    edited = render_edit([long], seed_key("edit"), caption)
    # The band starts above the input's text, and nothing of that text is left in it: the edits
    # of the two inputs are the same bytes.
    assert size[1] - caption_band_height(size) <= input_text[1]
    assert edited == render_edit([short], seed_key("edit"), caption)


@pytest.mark.parametrize(("guide_size", "size"), [((1328, 1328), (720, 1280)), ((300, 200), (1024, 1024))])
def test_an_image_to_image_band_hides_the_guides_caption(
    guide_size: tuple[int, int], size: tuple[int, int]
) -> None:
    long, short = captioned(guide_size, LONG_PROMPT), captioned(guide_size, "x")
    assert render_generation(size, seed_key("i2i"), CAPTION, long) == render_generation(
        size, seed_key("i2i"), CAPTION, short
    )


@pytest.mark.parametrize("size", [(512, 512), (1024, 1024)])
def test_photo_like_pngs_weigh_what_the_apis_do(size: tuple[int, int]) -> None:
    finish = Finish(photo_like=True)
    data = render_generation(size, seed_key("photo"), CAPTION, None, finish)
    assert 1.4 <= len(data) / (size[0] * size[1]) <= 1.8
    assert data == render_generation(size, seed_key("photo"), CAPTION, None, finish)
    assert open_png(data).size == size
    # The grain sits on the same scene: the smooth picture shows through.
    smooth = open_png(render_generation(size, seed_key("photo"), CAPTION, None))
    assert ImageStat.Stat(ImageChops.difference(open_png(data), smooth)).mean[0] < 3


def test_photo_like_edits_too() -> None:
    source = halves((400, 300), (0, 0, 0), (255, 255, 255))
    caption = Caption("t", "Qwen/Qwen-Image-Edit", 1, "x")
    data = render_edit([source], seed_key("e"), caption, Finish(photo_like=True))
    assert len(data) / (400 * 300) > 1.2
    assert data == render_edit([source], seed_key("e"), caption, Finish(photo_like=True))


def test_jpeg_output() -> None:
    data = render_generation((512, 384), seed_key("j"), CAPTION, None, Finish(file_format=JPEG))
    picture = Image.open(io.BytesIO(data))
    assert (picture.format, picture.size) == ("JPEG", (512, 384))
    assert data == render_generation((512, 384), seed_key("j"), CAPTION, None, Finish(file_format=JPEG))


def test_the_pixel_bomb_header_lies() -> None:
    data = png_claiming(12000, 12000)
    assert len(data) < 1024
    # Readers that check the header see the lie before decoding; Pillow warns of it.
    with pytest.warns(Image.DecompressionBombWarning):
        picture = Image.open(io.BytesIO(data))
    assert (picture.format, picture.size) == ("PNG", (12000, 12000))
