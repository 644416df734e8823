"""Checking an image's bytes as they arrive, without decoding them.

A PNG is a signature and a run of chunks (IHDR first, IEND last); a JPEG is a run of marker
segments, then entropy-coded data up to EOI; a WebP is a RIFF container of chunks, its length
given up front. Walking that structure as chunks arrive tells the format and the pixel count
from the header, before anything decodes a pixel, and where the image ends, so a byte after the
end, a body past the byte cap or a header claiming a gigapixel stops the download at once.
Downloads take PNG and JPEG (what SiliconFlow sends); input images WebP too.
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ._messages import human_size

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
JPEG_START: Final = b"\xff\xd8"
_JPEG_FRAMES: Final = frozenset(
    {*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)}
)
_JPEG_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})
MAX_JPEG_MARKERS: Final = 4096
"""Markers outside scan data (fill bytes included) that a JPEG may have. Real ones have a few
dozen; each costs a step of Python, so a body of nothing else would burn over a second a MB
(on the event loop, for the async client)."""
# In scan data, FF starts a marker unless 00 (a stuffed FF), a restart marker or another FF follows.
_MARKER_IN_SCAN: Final = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_NOT_FF: Final = re.compile(rb"[^\xff]")


INPUT_FORMATS: Final = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP"}
"""The formats SiliconFlow takes as input images, by MIME type."""
INPUT_FORMAT_NAMES: Final = (
    ", ".join(list(INPUT_FORMATS.values())[:-1]) + " or " + list(INPUT_FORMATS.values())[-1]
)
_OTHER_FORMATS: Final = ((b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))
_WEBP_SIZE_BYTES: Final = {b"VP8 ": 10, b"VP8L": 5, b"VP8X": 10}
"""The chunks that say a WebP's size, and how many of their first bytes do."""


class ImageRejected(ValueError):
    """The bytes are not an acceptable image; the message says why, in words."""


@dataclass(frozen=True, slots=True)
class ScannedImage:
    mime_type: str
    width: int
    height: int
    size: int


class ImageScan:
    """Feed it an image's bytes in any chunks; it raises `ImageRejected` the moment they go wrong."""

    def __init__(self, *, max_bytes: int, max_pixels: int, webp: bool = False) -> None:
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.webp = webp
        """Whether WebP is accepted too (input images), besides PNG and JPEG (downloads)."""
        self.size = 0
        self.mime_type: str | None = None
        self.width = 0
        self.height = 0
        self.ended = False
        self._buffer = bytearray()
        self._need = 2  # enough to tell PNG from JPEG from anything else
        self._skip = 0
        self._step: Callable[[bytes], None] = self._signature
        self._in_entropy = False
        self._after_ff = False
        self._seen_chunks = 0
        self._markers = 0
        self._riff_left = 0  # a WebP's bytes not walked yet

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise ImageRejected(f"it is larger than {human_size(self.max_bytes)}")
        view = memoryview(chunk)
        position = 0
        while position < len(view):
            if self._skip:  # before `ended`: a WebP ends once its last chunk is skipped
                taken = min(self._skip, len(view) - position)
                self._skip -= taken
                position += taken
                continue
            if self.ended:
                raise ImageRejected("bytes follow the end of the image")
            if self._in_entropy:
                position = self._scan_entropy(view, position)
                continue
            wanted = view[position : position + self._need - len(self._buffer)]
            self._buffer += wanted
            position += len(wanted)
            if len(self._buffer) == self._need:
                data = bytes(self._buffer)
                self._buffer.clear()
                self._step(data)

    def finish(self) -> ScannedImage:
        if self.size == 0:
            raise ImageRejected("it is empty")
        if not self.ended or self._skip or self.mime_type is None:
            raise ImageRejected("it is cut short (the image does not end)")
        return ScannedImage(self.mime_type, self.width, self.height, self.size)

    def _expect(self, need: int, step: Callable[[bytes], None]) -> None:
        self._need, self._step = need, step

    def _size_from_header(self, width: int, height: int) -> None:
        if width <= 0 or height <= 0:
            raise ImageRejected(f"its header claims an empty picture ({width}x{height})")
        if width * height > self.max_pixels:
            raise ImageRejected(
                f"its header claims {width}x{height} pixels, more than the {self.max_pixels:,} allowed"
            )
        self.width, self.height = width, height

    def _signature(self, data: bytes) -> None:
        if data == PNG_SIGNATURE[:2]:
            self.mime_type = "image/png"
            self._expect(len(PNG_SIGNATURE) - 2, self._png_signature_rest)
        elif data == JPEG_START:
            self.mime_type = "image/jpeg"
            self._expect(1, self._jpeg_marker_start)
        elif data == b"RI" and self.webp:
            self._expect(10, self._riff_header)
        else:
            raise ImageRejected(_what_it_is(data, self.webp))

    def _png_signature_rest(self, data: bytes) -> None:
        if data != PNG_SIGNATURE[2:]:
            raise ImageRejected(_what_it_is(b"", self.webp))
        self._expect(8, self._png_chunk_header)

    # PNG: length, type, data, CRC; IHDR first, IEND last.
    def _png_chunk_header(self, data: bytes) -> None:
        length, kind = struct.unpack(">I4s", data)
        self._seen_chunks += 1
        if self._seen_chunks == 1:
            if kind != b"IHDR" or length != 13:
                raise ImageRejected("its PNG header is missing")
            self._expect(13 + 4, self._png_ihdr)
        elif kind == b"IEND":
            self._expect(4, self._png_end)
        else:
            self._skip = length + 4
            self._expect(8, self._png_chunk_header)

    def _png_ihdr(self, data: bytes) -> None:
        width, height = struct.unpack(">II", data[:8])
        self._size_from_header(width, height)
        self._expect(8, self._png_chunk_header)

    def _png_end(self, data: bytes) -> None:
        self.ended = True

    # WebP: "RIFF", the length of the rest, "WEBP", then chunks (type, length, data, a pad byte
    # after odd data); VP8X, VP8 or VP8L says the size.
    def _riff_header(self, data: bytes) -> None:
        length, kind = struct.unpack("<I4s", data[2:])
        if data[:2] != b"FF" or kind != b"WEBP":
            raise ImageRejected(_what_it_is(b"RIFF", self.webp))
        if length < 4 + 8:
            raise ImageRejected("its WebP structure is broken")
        self.mime_type = "image/webp"
        self._riff_left = length - 4
        self._expect(8, self._webp_chunk)

    def _webp_chunk(self, data: bytes) -> None:
        kind, length = struct.unpack("<4sI", data)
        padded = length + (length & 1)
        self._riff_left -= 8 + padded
        if self._riff_left < 0:
            raise ImageRejected("its WebP structure is broken (a chunk runs past the end)")
        need = _WEBP_SIZE_BYTES.get(kind, 0) if not self.width else 0
        if not need:
            self._skip = padded
            self._next_webp_chunk()
        elif length < need:
            raise ImageRejected("its WebP header is broken")
        else:
            self._expect(need, functools.partial(self._webp_size, kind, padded - need))

    def _webp_size(self, kind: bytes, rest: int, data: bytes) -> None:
        if kind == b"VP8X":
            width = 1 + int.from_bytes(data[4:7], "little")
            height = 1 + int.from_bytes(data[7:10], "little")
        elif kind == b"VP8L":
            if data[0] != 0x2F:
                raise ImageRejected("its WebP header is broken")
            bits = int.from_bytes(data[1:5], "little")
            width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        else:
            if data[3:6] != b"\x9d\x01\x2a":
                raise ImageRejected("its WebP header is broken")
            width = int.from_bytes(data[6:8], "little") & 0x3FFF
            height = int.from_bytes(data[8:10], "little") & 0x3FFF
        self._size_from_header(width, height)
        self._skip = rest
        self._next_webp_chunk()

    def _next_webp_chunk(self) -> None:
        if self._riff_left:
            self._expect(8, self._webp_chunk)
        elif not self.width:
            raise ImageRejected("it ends before saying its size")
        else:
            self.ended = True

    # JPEG: marker segments (FF xx, length), a frame header with the size, scans up to EOI.
    def _jpeg_marker_start(self, data: bytes) -> None:
        if data[0] != 0xFF:
            raise ImageRejected("its JPEG structure is broken")
        self._expect(1, self._jpeg_marker)

    def _jpeg_marker(self, data: bytes) -> None:
        self._markers += 1
        if self._markers > MAX_JPEG_MARKERS:
            raise ImageRejected(f"its JPEG structure is broken (more than {MAX_JPEG_MARKERS:,} markers)")
        marker = data[0]
        if marker == 0xFF:  # fill byte before a marker
            return
        if marker == 0xD9:
            if not self.width:
                raise ImageRejected("it ends before saying its size")
            self.ended = True
        elif marker in _JPEG_STANDALONE:
            self._expect(1, self._jpeg_marker_start)
        else:
            self._expect(2, lambda length: self._jpeg_segment(marker, length))

    def _jpeg_segment(self, marker: int, data: bytes) -> None:
        (length,) = struct.unpack(">H", data)
        if length < 2:
            raise ImageRejected("its JPEG structure is broken")
        if marker in _JPEG_FRAMES:
            if length < 7:
                raise ImageRejected("its JPEG frame header is broken")
            self._expect(length - 2, self._jpeg_frame)
            return
        self._skip = length - 2
        if marker == 0xDA:  # start of scan: entropy-coded data follows the header
            self._in_entropy = True
        self._expect(1, self._jpeg_marker_start)

    def _jpeg_frame(self, data: bytes) -> None:
        height, width = struct.unpack(">HH", data[1:5])
        self._size_from_header(width, height)
        self._expect(1, self._jpeg_marker_start)

    def _scan_entropy(self, view: memoryview, position: int) -> int:
        """Skip scan data up to the next real marker (FF not followed by 00, FF or a restart).

        Searched for by `re`, not byte by byte: scan data is most of a JPEG, and a hostile one may
        be nothing but stuffed FF 00 pairs.
        """
        data = view.obj if isinstance(view.obj, bytes) else bytes(view)
        end = len(view)
        if self._after_ff:  # the last chunk ended in FF: the marker, if any, starts here
            found = _NOT_FF.search(data, position, end)
            if found is None:
                return end
            byte, position = data[found.start()], found.start() + 1
            self._after_ff = False
            if byte == 0x00 or 0xD0 <= byte <= 0xD7:
                return position
            self._in_entropy = False
            self._jpeg_marker(bytes([byte]))
            return position
        found = _MARKER_IN_SCAN.search(data, position, end)
        if found is None:
            self._after_ff = data[end - 1] == 0xFF
            return end
        self._in_entropy = False
        self._jpeg_marker(bytes([data[found.end() - 1]]))
        return found.end()


def _what_it_is(head: bytes, webp: bool) -> str:
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doc", b"<html", b"<?xml", b"<")):
        return "it is a web page, not an image"
    if lowered.startswith((b"{", b"[")):
        return "it is JSON, not an image"
    if not webp:
        if head.startswith((b"RI", b"GI", b"BM")):
            return "it is not a PNG or JPEG, the formats SiliconFlow sends"
        return "its bytes are not a PNG or JPEG image"
    return f"its bytes are not an image ({INPUT_FORMAT_NAMES})"


def other_format(data: bytes) -> str | None:
    """The name of another image format `data` is whole, when its signature says so (GIF, BMP, TIFF)."""
    found = next((name for signature, name in _OTHER_FORMATS if data.startswith(signature)), None)
    # "BM" alone starts plenty of text: a BMP also gives its own length next.
    if found is None and data[:2] == b"BM" and int.from_bytes(data[2:6], "little") == len(data):
        found = "BMP"
    return found
