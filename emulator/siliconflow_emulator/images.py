"""Placeholder pictures: a seeded seascape for text-to-image, a seeded re-grade of the input for edits.

Everything is drawn with Pillow's C routines (gradients, resizes, polygons, blends): no Python
loop touches pixels, so a picture renders and encodes in a few tens of milliseconds of CPU
(about 25 ms at 1024x1024, 40 ms at 1328x1328). Photo-like grain roughly triples that (about
80 ms at 1024x1024, 135 ms at 1328x1328), most of it deflating the noise. `make bench` measures
the emulator's CPU per generation, serving included, in bench/results.md.
The same key (model, prompt, seed, size, inputs) always gives the same bytes.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw, ImageFont, ImageOps

from .encoding import PNG, FileFormat, encode
from .grain import add_grain

RGB = tuple[int, int, int]

_MIN_CAPTION_SIDE = 96
"""Below this the caption would be unreadable; tiny images go without."""
_CAPTION_LINES = 3
_BAND_COLOUR: RGB = (12, 12, 14)


@dataclass(frozen=True, slots=True)
class Caption:
    """What the label on a placeholder says."""

    title: str
    model: str
    seed: int
    prompt: str
    index: int = 0
    count: int = 1


@dataclass(frozen=True, slots=True)
class Finish:
    """How a drawn picture becomes a file: photo-like grain or not, and the file format."""

    file_format: FileFormat = PNG
    photo_like: bool = False


def seed_key(*parts: object) -> bytes:
    """A stable digest of everything that should change the picture."""
    return hashlib.sha256(repr(parts).encode()).digest()


def render_generation(
    size: tuple[int, int], key: bytes, caption: Caption, guide: Image.Image | None, finish: Finish = Finish()
) -> bytes:
    """A seeded seascape of `size`; with `guide` (image-to-image) the guide shows through it."""
    rng = random.Random(key)
    picture = _seascape(size, rng)
    cover = 0
    if guide is not None:
        picture = Image.blend(picture, ImageOps.fit(guide, size, Image.Resampling.BILINEAR), 0.5)
        cover = _fitted_band_height(guide.size, size)
    _draw_caption(picture, caption, cover)
    return _finish(picture, key, finish)


def render_edit(
    inputs: Sequence[Image.Image], key: bytes, caption: Caption, finish: Finish = Finish()
) -> bytes:
    """The first input, re-graded and washed with a seeded colour gradient; later inputs inset top right."""
    rng = random.Random(key)
    base = inputs[0]
    size = base.size
    hue = rng.random()
    wash = _vertical_gradient(size, _hsv(hue, 0.6, 0.35), _hsv(hue + 0.15, 0.4, 0.95))
    picture = Image.blend(_regrade(base, rng), wash, 0.3)
    _inset(picture, inputs[1:])
    # The output keeps the input's size and position, so the band covers the input's own band.
    _draw_caption(picture, caption, caption_band_height(base.size))
    return _finish(picture, key, finish)


def caption_band_height(size: tuple[int, int]) -> int:
    """Rows of the caption band at the bottom of a placeholder of `size` (0: too small for one)."""
    layout = _caption_layout(size)
    return 0 if layout is None else layout.band_height


def _finish(picture: Image.Image, key: bytes, finish: Finish) -> bytes:
    if finish.photo_like:
        # Over the caption too: real pictures have no flat areas, and the text stays legible.
        picture = add_grain(picture, key)
    return encode(picture, finish.file_format)


def _seascape(size: tuple[int, int], rng: random.Random) -> Image.Image:
    width, height = size
    hue = rng.random()
    dusk = rng.random() < 0.4
    top = _hsv(hue + 0.55, 0.55, 0.18 if dusk else 0.45)
    horizon_colour = _hsv(hue, 0.45 if dusk else 0.25, 0.95)
    picture = _vertical_gradient(size, top, horizon_colour)
    horizon = int(height * rng.uniform(0.58, 0.72))

    # A sun or moon with its glow, somewhere above the horizon.
    diameter = max(2, int(min(size) * rng.uniform(0.45, 0.75)))
    centre = (int(width * rng.uniform(0.2, 0.8)), int(horizon - height * rng.uniform(0.12, 0.32)))
    glow = _glow_mask().resize((diameter, diameter), Image.Resampling.BILINEAR)
    light = _hsv(hue + 0.08, 0.2, 1.0)
    picture.paste(light, (centre[0] - diameter // 2, centre[1] - diameter // 2), glow)
    draw = ImageDraw.Draw(picture)
    radius = max(1, int(min(size) * rng.uniform(0.035, 0.07)))
    draw.ellipse((centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius), fill=light)

    # Two ranges, paler with distance, and an island in front of them.
    ground = _hsv(hue + 0.5, 0.35, 0.12)
    for layer, rise in enumerate((0.16, 0.09)):
        colour = _mix(horizon_colour, ground, 0.35 + 0.25 * layer)
        draw.polygon(_ridge((0, width), horizon, horizon - height * rise, height * 0.04, rng), fill=colour)
    start = width * rng.uniform(0.0, 0.55)
    island = (start, start + width * rng.uniform(0.25, 0.45))
    draw.polygon(_ridge(island, horizon, horizon - height * 0.07, height * 0.03, rng), fill=ground)

    # The sea mirrors what is above it, darkened, with glints under the light.
    sea_height = height - horizon
    if sea_height > 0 and horizon > 0:
        above = picture.crop((0, max(0, horizon - sea_height), width, horizon))
        mirror = above.transpose(Image.Transpose.FLIP_TOP_BOTTOM).resize((width, sea_height))
        deep = Image.new("RGB", mirror.size, _hsv(hue + 0.5, 0.5, 0.2))
        picture.paste(Image.blend(mirror, deep, 0.45), (0, horizon))
        for _ in range(max(4, height // 40)):
            y = horizon + int(sea_height * rng.random() ** 1.5)
            half = int(width * rng.uniform(0.02, 0.12))
            x = centre[0] + int(width * rng.gauss(0, 0.08))
            draw.line(
                (x - half, y, x + half, y), fill=_mix(light, horizon_colour, 0.4), width=max(1, height // 500)
            )
    _birds(draw, size, horizon, rng, _mix(top, ground, 0.6))
    return picture


def _vertical_gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    # A 1x256 strip coloured through lookup tables, then stretched: cheaper than blending full frames.
    strip = Image.linear_gradient("L").resize((1, 256))
    channels = [
        strip.point([a + (b - a) * i // 255 for i in range(256)]) for a, b in zip(top, bottom, strict=True)
    ]
    return Image.merge("RGB", channels).resize(size, Image.Resampling.BILINEAR)


def _ridge(
    span: tuple[float, float], base: int, crest: float, roughness: float, rng: random.Random
) -> list[tuple[float, float]]:
    left, right = span
    steps = 24
    points: list[tuple[float, float]] = [(left, base)]
    level = crest
    for step in range(1, steps):
        level = min(max(level + rng.uniform(-roughness, roughness), crest - roughness), crest + roughness)
        # Taper both ends down to the waterline, so an island sits in the sea rather than on a cliff.
        edge = min(step, steps - step) / (steps / 4)
        height = min(1.0, edge) * (base - level)
        points.append((left + (right - left) * step / steps, base - height))
    points.append((right, base))
    return points


def _birds(
    draw: ImageDraw.ImageDraw, size: tuple[int, int], horizon: int, rng: random.Random, colour: RGB
) -> None:
    width = size[0]
    span = max(3, min(size) // 60)
    for _ in range(rng.randint(3, 7)):
        x = width * rng.uniform(0.1, 0.9)
        y = horizon * rng.uniform(0.1, 0.6)
        wing = span * rng.uniform(0.7, 1.3)
        draw.line(
            [(x - wing, y - wing / 2), (x, y), (x + wing, y - wing / 2)], fill=colour, width=max(1, span // 4)
        )


def _regrade(picture: Image.Image, rng: random.Random) -> Image.Image:
    # A per-channel gamma: the input stays recognisable, the colours visibly change.
    tables: list[int] = []
    for _ in range(3):
        gamma = rng.uniform(0.75, 1.3)
        tables.extend(round(255 * (value / 255) ** gamma) for value in range(256))
    return picture.point(tables)


def _inset(picture: Image.Image, others: Sequence[Image.Image]) -> None:
    width, height = picture.size
    margin = max(2, min(width, height) // 40)
    border = max(1, min(width, height) // 200)
    top = margin
    for other in others:
        box = (max(1, int(width * 0.28)), max(1, int(height * 0.28)))
        thumb = ImageOps.expand(ImageOps.contain(other, box), border=border, fill=(255, 255, 255))
        if top + thumb.height > height:
            break
        picture.paste(thumb, (width - margin - thumb.width, top))
        top += thumb.height + margin


@dataclass(frozen=True, slots=True)
class _CaptionLayout:
    font_size: int
    pad: int
    line_height: int

    @property
    def band_height(self) -> int:
        return _CAPTION_LINES * self.line_height + 2 * self.pad


def _caption_layout(size: tuple[int, int]) -> _CaptionLayout | None:
    side = min(size)
    if side < _MIN_CAPTION_SIDE:
        return None
    font_size = max(10, min(30, side // 36))
    return _CaptionLayout(font_size=font_size, pad=font_size // 2, line_height=int(font_size * 1.35))


def _fitted_band_height(guide_size: tuple[int, int], size: tuple[int, int]) -> int:
    # Rows the guide's own band takes once ImageOps.fit has scaled it to cover `size` and cut the
    # overflow equally off both ends; one more for the resampling's blur.
    band = caption_band_height(guide_size)
    if band == 0:
        return 0
    scale = max(size[0] / guide_size[0], size[1] / guide_size[1])
    cut = (guide_size[1] * scale - size[1]) / 2
    return max(0, math.ceil(band * scale - cut) + 1)


def _draw_caption(picture: Image.Image, caption: Caption, cover: int = 0) -> None:
    """Write the caption on an opaque band at least `cover` rows tall.

    Opaque, so the band hides any caption the picture already carries (an edit's input, an
    image-to-image guide) completely: blended, the old text showed through beside the new.
    """
    width, height = picture.size
    layout = _caption_layout(picture.size)
    if layout is None:
        return
    font = _font(layout.font_size)
    pad = layout.pad
    counter = f" · {caption.index + 1}/{caption.count}" if caption.count > 1 else ""
    lines = [
        caption.title,
        f"{caption.model} · {width}x{height} · seed {caption.seed}{counter}",
        _fit(f'"{_printable(caption.prompt)}"', font, width - 2 * pad),
    ]
    band_top = max(0, height - max(layout.band_height, cover))
    # Only the band is painted: compositing the whole frame would cost as much as drawing it.
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, band_top, width, height), fill=_BAND_COLOUR)
    text_top = height - layout.band_height + pad
    for row, line in enumerate(lines):
        colour = (255, 214, 102) if row == 0 else (245, 245, 245)
        draw.text(
            (pad, text_top + row * layout.line_height),
            _fit(line, font, width - 2 * pad),
            font=font,
            fill=colour,
        )


@cache
def _glow_mask() -> Image.Image:
    # Pillow's radial gradient reaches 255 only in the corners (181 at the edge midpoints);
    # fade to nothing at radius 181 so the glow has no square outline.
    return Image.radial_gradient("L").point(
        [max(0, 181 - value) ** 2 * 150 // 181**2 for value in range(256)]
    )


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _fit(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, room: int) -> str:
    if font.getlength(text) <= room:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle] + "...") <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "..."


def _printable(text: str) -> str:
    # The bundled font has Latin glyphs only; fold accents away and mark what it cannot show.
    folded = unicodedata.normalize("NFKD", " ".join(text.split()))
    ascii_text = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in folded if not unicodedata.combining(ch))
    return ascii_text if ascii_text.strip("? ") else "(prompt in a script the placeholder font cannot show)"


def _hsv(hue: float, saturation: float, value: float) -> RGB:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def _mix(first: RGB, second: RGB, amount: float) -> RGB:
    red, green, blue = (round(a + (b - a) * amount) for a, b in zip(first, second, strict=True))
    return red, green, blue
