"""Input images for edit_image: a local file, an http(s) URL or a data URI, checked before anything is sent.

A local file is read only inside the allowed folders, only up to the size cap, and only if its
bytes are an image (judged by content, never by name). A refusal raises `ToolError` before a
single byte of the file leaves the machine.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

from mcp.server.mcpserver.exceptions import ToolError
from PIL import Image, UnidentifiedImageError

# Formats every SiliconFlow image model reads; others are refused with a hint to convert.
ACCEPTED_FORMATS: Final = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}

_DATA_URI: Final = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<data>.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ImageInput:
    """An input image ready for the request body."""

    value: str  # what the API receives: the URL as given, or a data URI
    kind: Literal["url", "data", "file"]
    summary: str  # what results and logs show instead of the bytes


def load_image_input(
    field: str, raw: str, *, allowed_dirs: tuple[Path, ...], base_dir: Path, max_bytes: int
) -> ImageInput:
    """Turn one `image`/`image2`/`image3` argument into what the API takes, or refuse it.

    Relative paths are taken from `base_dir` (the output folder), never the working directory.
    """
    text = raw.strip()
    if not text:
        raise ToolError(f"`{field}` is empty: give a file path, an http(s) URL or a data URI.")
    scheme = urlsplit(text).scheme.lower() if ":" in text else ""
    if scheme in ("http", "https"):
        if not urlsplit(text).netloc:
            raise ToolError(f"`{field}` is not a usable URL (no host): {text[:80]!r}.")
        return ImageInput(text, "url", text)
    if scheme == "data":
        return _from_data_uri(field, text, max_bytes)
    if scheme == "file":
        text = unquote(urlsplit(text).path)
    elif len(scheme) > 1:  # one letter is a Windows drive, not a scheme
        raise ToolError(
            f"`{field}` uses the unsupported scheme {scheme}:. Give a local file path, "
            "an http(s) URL or a data:image/...;base64 URI."
        )
    return _from_file(field, text, allowed_dirs, base_dir, max_bytes)


def sniff_image(data: bytes) -> tuple[str, int, int]:
    """(mime type, width, height) if `data` is a complete image of an accepted format; else ValueError."""
    if not data:
        raise ValueError("it is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt, size = img.format, img.size
                img.verify()  # reads to the end: catches truncated and corrupt files
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError("its bytes are not an image" + _bomb_note(exc)) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"it is not a complete image ({exc})") from None
    mime = ACCEPTED_FORMATS.get(fmt or "")
    if mime is None:
        accepted = ", ".join(ACCEPTED_FORMATS)
        raise ValueError(f"it is a {fmt} image; convert it to one of {accepted}")
    return mime, size[0], size[1]


def _bomb_note(exc: Exception) -> str:
    return " of a sane size (too many pixels)" if "Decompression" in type(exc).__name__ else ""


def _from_data_uri(field: str, text: str, max_bytes: int) -> ImageInput:
    match = _DATA_URI.match(text)
    if match is None or ";base64" not in match.group("params").lower():
        raise ToolError(f"`{field}` is not a base64 data URI: expected data:image/png;base64,<data>.")
    declared = match.group("mime").strip().lower()
    if declared and not declared.startswith("image/"):
        raise ToolError(f"`{field}` is a data URI of {declared}, not of an image.")
    encoded = re.sub(r"\s+", "", match.group("data"))
    if len(encoded) * 3 // 4 > max_bytes:
        raise ToolError(f"`{field}` holds more than {_size(max_bytes)} (SILICONFLOW_MAX_INPUT_BYTES).")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ToolError(f"`{field}` is a data URI whose base64 does not decode.") from None
    try:
        mime, width, height = sniff_image(data)
    except ValueError as exc:
        raise ToolError(f"`{field}` is a data URI, but {exc}.") from None
    summary = f"data URI ({mime}, {width}x{height}, {_size(len(data))})"
    return ImageInput(f"data:{mime};base64,{encoded}", "data", summary)


def _from_file(
    field: str, text: str, allowed_dirs: tuple[Path, ...], base_dir: Path, max_bytes: int
) -> ImageInput:
    given = Path(text).expanduser()
    path = (given if given.is_absolute() else base_dir / given).resolve()
    # Judged on the resolved path, so a symlink cannot lead out of the allowed folders.
    if not any(path.is_relative_to(folder) for folder in allowed_dirs):
        folders = ", ".join(str(d) for d in allowed_dirs)
        raise ToolError(
            f"`{field}`: {path} is outside the folders this server may read ({folders}). "
            "Copy the file into one of them, pass an http(s) URL, or ask the user to add its folder "
            "to SILICONFLOW_ALLOWED_DIRS."
        )
    if not path.exists():
        raise ToolError(f"`{field}`: there is no file at {path}.")
    if not path.is_file():
        raise ToolError(f"`{field}`: {path} is not a regular file.")
    size = path.stat().st_size
    if size == 0:
        raise ToolError(f"`{field}`: {path} is empty.")
    if size > max_bytes:
        raise ToolError(
            f"`{field}`: {path} is {_size(size)}, over the {_size(max_bytes)} limit "
            "(SILICONFLOW_MAX_INPUT_BYTES); pass a smaller copy."
        )
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ToolError(f"`{field}`: {path} cannot be read ({exc.strerror}).") from None
    try:
        mime, width, height = sniff_image(data)
    except ValueError as exc:
        raise ToolError(f"`{field}`: {path} was not sent because {exc}.") from None
    encoded = base64.b64encode(data).decode("ascii")
    summary = f"{path} ({width}x{height}, {_size(len(data))})"
    return ImageInput(f"data:{mime};base64,{encoded}", "file", summary)


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"
