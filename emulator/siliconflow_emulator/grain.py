"""Photo-like grain: seeded noise that gives placeholder PNGs the weight of real ones.

The API's PNGs run about 1.6 bytes a pixel (real pictures hardly compress); the smooth
placeholders compress to under 0.1, which makes a client's downloads and decoding look several
times cheaper than they are. Gaussian noise of standard deviation `GRAIN_SIGMA` in each channel,
after the encoder's "Up" filter and zlib level 1, lands at 1.5 to 1.8 bytes a pixel; at that
strength it reads as film grain, not as damage.

The noise comes from `random.Random(key).randbytes`, shaped by a lookup table and added with
`ImageChops.add`: C routines only (about 15 ms at 1024x1024; deflating the noisy rows costs
another 20), and the same key gives the same grain, so the same request still gives the same bytes.
"""

from __future__ import annotations

import random
import statistics
from functools import cache
from typing import Final

from PIL import Image, ImageChops

GRAIN_SIGMA: Final = 1.8
"""Standard deviation of the grain, in 8-bit levels per channel."""
_MIDDLE: Final = 128


def add_grain(picture: Image.Image, key: bytes) -> Image.Image:
    """`picture` (RGB) with seeded grain added to every channel of every pixel."""
    width, height = picture.size
    # Full-frame noise, not a repeated tile: deflate would find a tile's repeats and shrink the file.
    noise_bytes = random.Random(b"grain:" + key).randbytes(width * height * 3)
    noise = Image.frombytes("RGB", picture.size, noise_bytes).point(_gaussian_table() * 3)
    return ImageChops.add(picture, noise, scale=1.0, offset=-_MIDDLE)


@cache
def _gaussian_table() -> list[int]:
    # Maps a uniform byte to a Gaussian one around _MIDDLE (inverse CDF at the byte's bin centre).
    normal = statistics.NormalDist(_MIDDLE, GRAIN_SIGMA)
    return [max(0, min(255, round(normal.inv_cdf((level + 0.5) / 256)))) for level in range(256)]
