"""Input images for edits and image-to-image: data URIs, or URLs on this machine.

The emulator has no network, so a URL is fetched only when its host is loopback
(127.0.0.0/8, ::1, localhost); anything else is refused with 400 rather than tried.
"""

from __future__ import annotations

import base64
import binascii
import io
import ipaddress
from typing import Final
from urllib.parse import urlsplit

import anyio.to_thread
import httpx
from PIL import Image, ImageOps

from .responses import ApiError
from .validation import MAX_IMAGE_SIDE

MAX_INPUT_BYTES: Final = 20 * 1024 * 1024
FETCH_TIMEOUT: Final = 10.0
_FORMS = "a data URI (`data:image/png;base64,...`) or an http(s) URL"


async def load_input(field: str, value: str) -> Image.Image:
    """The image a request field names, as RGB, or ApiError naming the field."""
    if value[:5].lower() == "data:":
        data = _decode_data_uri(field, value)
    elif value[:7].lower() == "http://" or value[:8].lower() == "https://":
        data = await _fetch_loopback(field, value)
    else:
        raise ApiError(f"Invalid field `{field}`: expected {_FORMS}.", data=field)
    return await anyio.to_thread.run_sync(_open, field, data)


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
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    if not _is_loopback(host):
        raise ApiError(
            f"Invalid field `{field}`: the emulator has no network and fetches only loopback URLs "
            f"(127.0.0.0/8, ::1, localhost), not host {host[:100] or '(none)'}; send a data URI instead.",
            data=field,
        )
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


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _open(field: str, data: bytes) -> Image.Image:
    unreadable = ApiError(
        f"Invalid field `{field}`: the bytes are not an image the emulator can read.", data=field
    )
    try:
        picture = Image.open(io.BytesIO(data))
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
