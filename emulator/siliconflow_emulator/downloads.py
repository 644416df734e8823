"""Serving image files (`GET /files/<id>.png|.jpg`), and the download faults that make a server hostile.

What a client's download limits must survive: a page where an image should be, a header that
claims a gigapixel, junk after the image's end, a server that stalls, and a slow link.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from functools import cache
from typing import Final

import anyio
from starlette.responses import Response, StreamingResponse

from siliconflow_models import IMAGE_URL_LIFETIME

from .encoding import PNG, FileFormat, png_claiming
from .settings import Faults

PIXEL_BOMB_SIDE: Final = 12000
"""What the `pixel_bomb` file's header claims, a side: 144 megapixels, over 400 MB decoded."""
TRAILING_JUNK_BYTES: Final = 1024 * 1024
PACED_CHUNK_BYTES: Final = 64 * 1024
"""The most `download_rate` sends at once; slower rates send a tenth of a second's worth."""

NOT_AN_IMAGE_PAGE: Final = (
    b"<!doctype html>\n<html><head><title>siliconflow-emulator</title></head><body>"
    b"<h1>Not an image</h1><p>siliconflow-emulator: not_an_image fault. A page where an image should "
    b"be, as a captive portal or a storage bucket's error page serves it, with status 200.</p>"
    b"</body></html>\n"
)
_CACHE_CONTROL: Final = {"Cache-Control": f"private, max-age={IMAGE_URL_LIFETIME}"}


def serve_file(data: bytes, file_format: FileFormat, faults: Faults) -> Response:
    """The response to a download of `data`, as the armed download faults have it."""
    body, media_type = _take_download_fault(data, file_format, faults)
    if faults.trickle > 0:
        return _streamed(body, media_type, _trickle(body, faults.trickle))
    if faults.download_rate > 0:
        return _streamed(body, media_type, _at_rate(body, faults.download_rate))
    return Response(body, media_type=media_type, headers=_CACHE_CONTROL)


def _take_download_fault(data: bytes, file_format: FileFormat, faults: Faults) -> tuple[bytes, str]:
    # The event loop runs one handler at a time between awaits, so check-and-decrement is safe.
    if faults.not_an_image > 0:
        faults.not_an_image -= 1
        return NOT_AN_IMAGE_PAGE, "text/html"
    if faults.pixel_bomb > 0:
        faults.pixel_bomb -= 1
        return _pixel_bomb(), PNG.media_type
    if faults.trailing_bytes > 0:
        faults.trailing_bytes -= 1
        return data + _junk(), file_format.media_type
    return data, file_format.media_type


def _streamed(body: bytes, media_type: str, chunks: AsyncIterator[bytes]) -> StreamingResponse:
    # The length is announced, as a real server does: a client must not trust it to bound the time.
    headers = {**_CACHE_CONTROL, "Content-Length": str(len(body))}
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


async def _trickle(body: bytes, seconds_per_byte: float) -> AsyncIterator[bytes]:
    for index in range(len(body)):
        if index:
            await anyio.sleep(seconds_per_byte)
        yield body[index : index + 1]


async def _at_rate(body: bytes, bytes_per_second: float) -> AsyncIterator[bytes]:
    chunk = max(1, min(PACED_CHUNK_BYTES, int(bytes_per_second / 10)))
    started = anyio.current_time()
    for start in range(0, len(body), chunk):
        piece = body[start : start + chunk]
        # Each piece leaves when the link would have carried it, so the average never passes the rate.
        delay = started + (start + len(piece)) / bytes_per_second - anyio.current_time()
        if delay > 0:
            await anyio.sleep(delay)
        yield piece


@cache
def _pixel_bomb() -> bytes:
    return png_claiming(PIXEL_BOMB_SIDE, PIXEL_BOMB_SIDE)


@cache
def _junk() -> bytes:
    # Seeded, so every download with the fault is the same bytes.
    return random.Random(TRAILING_JUNK_BYTES).randbytes(TRAILING_JUNK_BYTES)
