"""Input images for edits and image-to-image: data URIs, or the emulator's own image URLs.

An own URL (`<the origin the request came to>/files/<id>.png|.jpg`) is read straight from the
image store, with no HTTP. Any other URL is refused before anything is tried, with the same
words whatever it names: otherwise a caller could use the emulator to map what listens on
this machine. `EmulatorSettings.fetch_loopback` (`--fetch-loopback`) lets it fetch loopback
URLs (127.0.0.0/8, ::1, localhost) over HTTP, for tests that serve images of their own.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import SplitResult, urlsplit

import anyio
import anyio.to_thread
import httpx
from PIL import Image, ImageOps

from .hosts import is_loopback
from .responses import ApiError
from .validation import MAX_IMAGE_SIDE

MAX_INPUT_BYTES: Final = 20 * 1024 * 1024
INPUT_FORMATS: Final = ("PNG", "JPEG", "WEBP")
"""The formats the API takes as input. Pillow would open dozens more, some through code that is
rarely exercised on hostile bytes (PSD, TIFF) or that hands the file to Ghostscript (EPS)."""
FETCH_TIMEOUT: Final = 10.0
FILES_PREFIX: Final = "/files/"
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class InputSources:
    """Where one request's input images may come from."""

    origin: str
    """The origin the request came to (`http://127.0.0.1:8765`): the one the emulator's own URLs carry."""
    own_file: Callable[[str], bytes | None]
    """A file name under /files/ (`<id>.png`) to its bytes, None when unknown or expired."""
    fetch_loopback: bool = False


async def load_input(
    field: str, value: str, sources: InputSources, limiter: anyio.CapacityLimiter
) -> Image.Image:
    """The image a request field names, as RGB, or ApiError naming the field.

    Decoding takes a thread of `limiter`, the one the app draws with: a 4096x4096 input decodes to
    48 MB and more while it is converted."""
    if value[:5].lower() == "data:":
        data = _decode_data_uri(field, value)
    else:
        url = _split(value)
        own_name = _own_file_name(url, sources.origin) if url is not None else None
        if own_name is not None:
            data = _read_own(field, own_name, sources)
        elif url is not None and sources.fetch_loopback and is_loopback(url.hostname or ""):
            data = await _fetch_loopback(field, value)
        else:
            raise ApiError(_refusal(field, sources), data=field)
    return await anyio.to_thread.run_sync(_open, field, data, limiter=limiter)


def _refusal(field: str, sources: InputSources) -> str:
    # The same sentence for every refused value: nothing in it depends on what the value names.
    loopback = (
        "or a loopback URL (127.0.0.0/8, ::1, localhost)"
        if sources.fetch_loopback
        else "and fetches nothing else (start it with --fetch-loopback, or set "
        "EmulatorSettings.fetch_loopback, to let it fetch loopback URLs)"
    )
    return (
        f"Invalid field `{field}`: the emulator takes a data URI (`data:image/png;base64,...`) or one of "
        f"its own image URLs ({sources.origin}{FILES_PREFIX}...), {loopback}."
    )


def _split(value: str) -> SplitResult | None:
    try:
        url = urlsplit(value)
        _port(url)  # raises ValueError for a port out of range
    except ValueError:
        return None
    return url if url.scheme.lower() in _DEFAULT_PORTS and url.hostname else None


def _own_file_name(url: SplitResult, origin: str) -> str | None:
    own = urlsplit(origin)
    if url.scheme.lower() != own.scheme.lower() or _port(url) != _port(own):
        return None
    host, own_host = (url.hostname or "").lower(), (own.hostname or "").lower()
    # 127.0.0.1, localhost and ::1 on the same port all name this server when it listens on loopback.
    if host != own_host and not (is_loopback(host) and is_loopback(own_host)):
        return None
    name = url.path.removeprefix(FILES_PREFIX)
    return name if url.path.startswith(FILES_PREFIX) and name and "/" not in name else None


def _port(url: SplitResult) -> int | None:
    return url.port if url.port is not None else _DEFAULT_PORTS.get(url.scheme.lower())


def _read_own(field: str, name: str, sources: InputSources) -> bytes:
    data = sources.own_file(name)
    if data is None:
        raise ApiError(
            f"Invalid field `{field}`: the emulator has no image at that URL; its image URLs expire, "
            "or it was restarted since.",
            data=field,
        )
    return data


def _decode_data_uri(field: str, value: str) -> bytes:
    header, comma, payload = value.partition(",")
    if not comma or not header.lower().endswith(";base64"):
        raise ApiError(
            f"Invalid field `{field}`: a data URI must be base64, as in `data:image/png;base64,...`."
        )
    # The page's own example puts a space after the comma; base64 itself ignores no whitespace.
    compact = "".join(payload.split())
    if len(compact) * 3 // 4 > MAX_INPUT_BYTES:
        raise ApiError(
            f"Invalid field `{field}`: the image is over {MAX_INPUT_BYTES // 2**20} MiB.", data=field
        )
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(f"Invalid field `{field}`: the data URI is not valid base64.", data=field) from None


async def _fetch_loopback(field: str, url: str) -> bytes:
    # Only with fetch_loopback on, for tests: these messages may say what the URL answered.
    # trust_env=False: a proxy from the environment must not carry a loopback fetch off the machine.
    async with httpx.AsyncClient(timeout=FETCH_TIMEOUT, trust_env=False, follow_redirects=False) as client:
        try:
            async with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise ApiError(
                        f"Invalid field `{field}`: fetching the URL answered HTTP {response.status_code}.",
                        data=field,
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_INPUT_BYTES:
                        raise ApiError(
                            f"Invalid field `{field}`: the image is over {MAX_INPUT_BYTES // 2**20} MiB.",
                            data=field,
                        )
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise ApiError(
                f"Invalid field `{field}`: could not fetch the URL ({type(exc).__name__}).", data=field
            ) from None
    return b"".join(chunks)


def _open(field: str, data: bytes) -> Image.Image:
    unreadable = ApiError(
        f"Invalid field `{field}`: the bytes are not an image the emulator can read (PNG, JPEG or WebP).",
        data=field,
    )
    try:
        picture = Image.open(io.BytesIO(data), formats=INPUT_FORMATS)
        width, height = picture.size
    except Exception:
        # Pillow raises many kinds of error on hostile bytes; every one means "not an image".
        raise unreadable from None
    # Check the header's size before decoding, so a tiny file cannot claim a gigapixel.
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        raise ApiError(
            f"Invalid field `{field}`: the image is {width}x{height}; the emulator takes up to "
            f"{MAX_IMAGE_SIDE} pixels a side.",
            data=field,
        )
    try:
        picture.load()
        return _flatten(ImageOps.exif_transpose(picture))
    except Exception:
        raise unreadable from None


def _flatten(picture: Image.Image) -> Image.Image:
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        # Transparent areas become white, as most viewers show them.
        rgba = picture.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    return picture.convert("RGB")
