"""Input images for an edit: bytes, a `pathlib.Path`, an http(s) URL or a data URI, checked before sending.

What the API receives is the URL as given or a data URI. Bytes and files are judged by their
content (PNG, JPEG or WebP), never by a name, and never past the size cap.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeAlias

from ._imagescan import sniff
from ._messages import human_size, unsendable
from ._urls import http_host
from .config import ImageLimits
from .redaction import clip, sendable

ImageInput: TypeAlias = bytes | os.PathLike[str] | str
"""An input image: its bytes, a local file (`pathlib.Path`), an http(s) URL or a data URI."""

_DATA_URI: Final = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<data>.*)$", re.DOTALL)
FORMS: Final = "bytes, a pathlib.Path, an http(s) URL or a data:image/...;base64 URI"


class InputRefused(ValueError):
    """An input image that will not be sent; the message names the field."""


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
        raise InputRefused(f"`{field}` holds more than {human_size(max_bytes)}.")
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
        raise InputRefused(
            f"`{field}` ({where}) is over the {human_size(limits.max_input_bytes)} limit; send a smaller copy."
        )
    mime = sniff(data[:16])
    if mime is None:
        raise InputRefused(f"`{field}` ({where}) is not a PNG, JPEG or WebP image.")
    encoded = encoded if encoded is not None else base64.b64encode(data).decode("ascii")
    return PreparedInput(f"data:{mime};base64,{encoded}", f"{where} ({mime}, {human_size(len(data))})")
