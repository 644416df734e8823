"""Input images for an edit: bytes, a `pathlib.Path`, an http(s) URL or a data URI, checked before sending.

What the API receives is the URL as given or a data URI. Bytes and files are judged by their
content, never by a name, and never past the size cap: one complete PNG, JPEG or WebP image
within the pixel cap (`check_image`, which front ends use for their own inputs too).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeAlias

from ._imagescan import INPUT_FORMAT_NAMES, INPUT_FORMATS, ImageRejected, ImageScan, other_format
from ._messages import human_size, unsendable
from ._urls import http_host
from .config import DEFAULT_LIMITS, ImageLimits
from .redaction import clip, sendable

ImageInput: TypeAlias = bytes | os.PathLike[str] | str
"""An input image: its bytes, a local file (`pathlib.Path`), an http(s) URL or a data URI."""

_DATA_URI: Final = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<data>.*)$", re.DOTALL)
FORMS: Final = "bytes, a pathlib.Path, an http(s) URL or a data:image/...;base64 URI"


__all__ = [
    "FORMS",
    "INPUT_FORMATS",
    "ImageInput",
    "ImageRejected",
    "InputRefused",
    "InputTooLarge",
    "PreparedInput",
    "check_image",
    "decode_data_uri",
    "prepare",
]


class InputRefused(ValueError):
    """An input image that will not be sent; the message names the field."""


class InputTooLarge(InputRefused):
    """An input image over `ImageLimits.max_input_bytes` (a front end may name its own setting)."""


def check_image(data: bytes, limits: ImageLimits = DEFAULT_LIMITS) -> tuple[str, int, int]:
    """(MIME type, width, height) of `data` if it is one complete PNG, JPEG or WebP image whose
    header claims at most `limits.max_pixels`; else `ImageRejected` (a ValueError) saying why.

    Judged from the structure alone (nothing decodes a pixel): half an image, bytes after its
    end, or another format are refused. The size in bytes is the caller's to bound, before reading.
    """
    scan = ImageScan(max_bytes=len(data), max_pixels=limits.max_pixels, webp=True)
    try:
        scan.feed(data)
        image = scan.finish()
    except ImageRejected:
        other = other_format(data) if scan.mime_type is None else None
        if other is None:
            raise
        raise ImageRejected(f"it is a {other} image; convert it to {INPUT_FORMAT_NAMES}") from None
    return image.mime_type, image.width, image.height


@dataclass(frozen=True, slots=True)
class PreparedInput:
    value: str
    """What the API receives."""
    summary: str
    """What results and logs show instead of the bytes."""


def prepare(field: str, raw: ImageInput, limits: ImageLimits) -> PreparedInput:
    if isinstance(raw, bytes | bytearray | memoryview):
        return _from_bytes(field, bytes(raw), "bytes", limits)
    if isinstance(raw, os.PathLike):
        return _from_file(field, Path(raw), limits)
    if not isinstance(raw, str):
        raise InputRefused(f"`{field}` must be {FORMS}, not {type(raw).__name__}.")
    text = raw.strip()
    if not sendable(text):
        raise InputRefused(unsendable(field))
    if text[:5].lower() == "data:":
        return _from_data_uri(field, text, limits)
    if text[:7].lower() == "http://" or text[:8].lower() == "https://":
        return _from_url(field, text, limits)
    raise InputRefused(
        f"`{field}` is a string that is neither an http(s) URL nor a data URI ({clip(text, 60)!r}); "
        "pass a pathlib.Path to send a local file."
    )


def _from_url(field: str, url: str, limits: ImageLimits) -> PreparedInput:
    if len(url) > limits.max_url_chars:
        raise InputRefused(
            f"`{field}` is a URL of {len(url):,} characters; at most {limits.max_url_chars:,} are sent."
        )
    if not http_host(url):
        raise InputRefused(
            f"`{field}` is not a usable http(s) URL (no host, a bad port, or whitespace): {clip(url, 80)!r}."
        )
    return PreparedInput(url, clip(url, 200))


def _from_data_uri(field: str, text: str, limits: ImageLimits) -> PreparedInput:
    data, encoded = decode_data_uri(field, text, limits.max_input_bytes)
    return _from_bytes(field, data, "data URI", limits, encoded=encoded)


def decode_data_uri(field: str, text: str, max_bytes: int) -> tuple[bytes, str]:
    """The bytes of a base64 data URI of an image, and their base64 without whitespace; or InputRefused."""
    match = _DATA_URI.match(text)
    if match is None or ";base64" not in match.group("params").lower():
        raise InputRefused(f"`{field}` is not a base64 data URI: expected data:image/png;base64,<data>.")
    declared = match.group("mime").strip().lower()
    if declared and not declared.startswith("image/"):
        raise InputRefused(f"`{field}` is a data URI of {clip(declared, 40)}, not of an image.")
    encoded = re.sub(r"\s+", "", match.group("data"))
    if len(encoded) * 3 // 4 > max_bytes:
        raise InputTooLarge(f"`{field}` holds more than {human_size(max_bytes)}.")
    try:
        return base64.b64decode(encoded, validate=True), encoded
    except (binascii.Error, ValueError):
        raise InputRefused(f"`{field}` is a data URI whose base64 does not decode.") from None


def _from_file(field: str, path: Path, limits: ImageLimits) -> PreparedInput:
    try:
        with open(path, "rb") as fh:
            data = fh.read(limits.max_input_bytes + 1)
    except OSError as exc:
        raise InputRefused(
            f"`{field}`: {clip(str(path), 200)} cannot be read ({exc.strerror or exc})."
        ) from None
    except ValueError as exc:  # an embedded NUL byte, for one
        raise InputRefused(f"`{field}` is not a usable path ({exc}).") from None
    return _from_bytes(field, data, clip(str(path), 200), limits)


def _from_bytes(
    field: str, data: bytes, where: str, limits: ImageLimits, *, encoded: str | None = None
) -> PreparedInput:
    if not data:
        raise InputRefused(f"`{field}` ({where}) is empty.")
    if len(data) > limits.max_input_bytes:
        raise InputTooLarge(
            f"`{field}` ({where}) is over the {human_size(limits.max_input_bytes)} limit; send a smaller copy."
        )
    try:
        mime, width, height = check_image(data, limits)
    except ImageRejected as exc:
        # Sent as it is, half an image or a GIF costs a call the API refuses, or worse, edits.
        raise InputRefused(
            f"`{field}` ({where}) is not a {INPUT_FORMAT_NAMES} image that can be sent: {exc}."
        ) from None
    encoded = encoded if encoded is not None else base64.b64encode(data).decode("ascii")
    summary = f"{where} ({mime}, {width}x{height}, {human_size(len(data))})"
    return PreparedInput(f"data:{mime};base64,{encoded}", summary)
