"""Checking an image's bytes as they arrive, without decoding them.

A PNG is a signature and a run of chunks (IHDR first, IEND last); a JPEG is a run of marker
segments, then entropy-coded data up to EOI. Walking that structure as chunks arrive tells
the format and the pixel count from the header, before anything decodes a pixel, and where
the image ends, so a byte after the end, a body past the byte cap or a header claiming a
gigapixel stops the download at once.
"""

from __future__ import annotations

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

    def __init__(self, *, max_bytes: int, max_pixels: int) -> None:
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
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

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise ImageRejected(f"it is larger than {human_size(self.max_bytes)}")
        view = memoryview(chunk)
        position = 0
        while position < len(view):
            if self.ended:
                raise ImageRejected("bytes follow the end of the image")
            if self._skip:
                taken = min(self._skip, len(view) - position)
                self._skip -= taken
                position += taken
                continue
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
        if not self.ended or self.mime_type is None:
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
        else:
            raise ImageRejected(_what_it_is(data))

    def _png_signature_rest(self, data: bytes) -> None:
        if data != PNG_SIGNATURE[2:]:
            raise ImageRejected("its bytes are not a PNG or JPEG image")
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


def _what_it_is(head: bytes) -> str:
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doc", b"<html", b"<?xml", b"<")):
        return "it is a web page, not an image"
    if lowered.startswith((b"{", b"[")):
        return "it is JSON, not an image"
    if head.startswith((b"RI", b"GI", b"BM")):
        return "it is not a PNG or JPEG, the formats SiliconFlow sends"
    return "its bytes are not a PNG or JPEG image"


def sniff(head: bytes) -> str | None:
    """The MIME type an input image's first bytes announce (PNG, JPEG or WebP), or None."""
    if head.startswith(PNG_SIGNATURE):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None
