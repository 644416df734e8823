"""Image files: the two formats the API answers in (PNG, JPEG), and how each is written and recognised."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageChops

PNG_COMPRESS_LEVEL: Final = 1
"""zlib level 1: the pictures are smooth, so this is already small, and it is several times faster than 6."""
JPEG_QUALITY: Final = 90

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE: Final = b"\xff\xd8\xff"
_PNG_UP_FILTER: Final = b"\x02"


@dataclass(frozen=True, slots=True)
class FileFormat:
    """One format an image can be served in: the `output_format` value that asks for it, and its URL suffix."""

    name: str
    suffix: str
    media_type: str


PNG: Final = FileFormat("png", ".png", "image/png")
JPEG: Final = FileFormat("jpeg", ".jpg", "image/jpeg")
FORMATS: Final = {file_format.name: file_format for file_format in (PNG, JPEG)}
"""By `output_format` value."""


def encode(picture: Image.Image, file_format: FileFormat) -> bytes:
    if file_format is JPEG:
        buffer = io.BytesIO()
        picture.convert("RGB").save(buffer, "JPEG", quality=JPEG_QUALITY)
        return buffer.getvalue()
    return encode_png(picture)


def format_of(data: bytes) -> FileFormat | None:
    """The format of bytes the emulator wrote, from their signature; None for anything else."""
    if data.startswith(PNG_SIGNATURE):
        return PNG
    if data.startswith(_JPEG_SIGNATURE):
        return JPEG
    return None


def encode_png(picture: Image.Image) -> bytes:
    """The picture as PNG bytes, every row "Up"-filtered and deflated at `PNG_COMPRESS_LEVEL`.

    Pillow's encoder tries each of the five PNG filters on every row, which took half of a whole
    render. These pictures are mostly vertical gradients, for which "Up" (each byte minus the one
    above it) alone leaves rows of near-zeros: half the time for about the same size, and
    quicker for clients to decode. Any PNG reader reads it; the pixels are exactly the picture's.
    """
    if picture.mode != "RGB":
        buffer = io.BytesIO()
        picture.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
        return buffer.getvalue()
    width, height = picture.size
    above = Image.new("RGB", picture.size)  # the row above the first is all zeros, as PNG says
    if height > 1:
        above.paste(picture.crop((0, 0, width, height - 1)), (0, 1))
    # Byte-wise subtraction modulo 256 is exactly the PNG "Up" filter for 8-bit RGB.
    rows = ImageChops.subtract_modulo(picture, above).tobytes()
    stride = 3 * width
    filtered = b"".join(
        _PNG_UP_FILTER + rows[start : start + stride] for start in range(0, len(rows), stride)
    )
    return _png(width, height, zlib.compress(filtered, PNG_COMPRESS_LEVEL))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few hundred bytes whose header claims `width` x `height` 8-bit RGB pixels.

    The header, chunks and CRCs are all valid, so readers that trust the header (and size their
    buffers by it) are fooled; the image data holds only the first rows, so decoding it fails.
    """
    rows = (b"\x00" + b"\x80" * 3 * width) * 4
    return _png(width, height, zlib.compress(rows, 9))


def _png(width: int, height: int, idat: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, not interlaced
    return b"".join((PNG_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", idat), _chunk(b"IEND", b"")))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
