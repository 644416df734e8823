"""Input images for edit_image: a reference to a saved image, a local file, a URL or a data URI.

`last`, `last-N` and `siliconflow://images/<id>` name images this server saved; a path names
a file inside the allowed folders (read safely, see `local_files`); a URL goes to SiliconFlow
as it is; a data URI is decoded. Files and data URIs must be complete PNG, JPEG or WebP
images (judged by their bytes, never a name) before a byte of them is sent.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote, urlsplit

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError

from siliconflow_images.files import human_size
from siliconflow_images.inputs import InputRefused, decode_data_uri
from siliconflow_images.redaction import clip

from .config import Settings
from .library import Library, NotInLibrary
from .local_files import read_allowed

ACCEPTED_FORMATS: Final = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


@dataclass(frozen=True, slots=True)
class ResolvedInput:
    value: bytes | str
    """What the SDK sends: the image's bytes, or a URL as given."""
    summary: str
    """What results and logs show instead of the bytes."""


async def resolve(field: str, raw: str, settings: Settings, library: Library) -> ResolvedInput:
    text = raw.strip()
    if not text:
        raise ToolError(f"`{field}` is empty: give a file path, an http(s) URL, a data URI or `last`.")
    try:
        entry = library.resolve(text)
    except NotInLibrary as exc:
        raise ToolError(f"`{field}`: {exc}") from None
    if entry is not None:
        return await _file(field, str(entry.path), settings, entry.uri)
    scheme = urlsplit(text).scheme.lower() if ":" in text[:12] else ""
    if scheme in ("http", "https"):
        return ResolvedInput(text, clip(text, 200))
    if scheme == "data":
        return await anyio.to_thread.run_sync(_data_uri, field, text, settings.max_input_bytes)
    if scheme == "file":
        text = unquote(urlsplit(text).path)
    elif len(scheme) > 1:  # one letter is a Windows drive, not a scheme
        raise ToolError(
            f"`{field}` uses the unsupported scheme {scheme[:20]}:. Give a local file path, an http(s) URL, "
            "a data:image/...;base64 URI, `last` or a siliconflow://images/ URI."
        )
    return await _file(field, text, settings, None)


async def _file(field: str, text: str, settings: Settings, shown: str | None) -> ResolvedInput:
    found = await read_allowed(
        field,
        text,
        allowed_dirs=settings.allowed_dirs,
        base_dir=settings.output_dir,
        max_bytes=settings.max_input_bytes,
    )
    try:
        mime, width, height = await anyio.to_thread.run_sync(sniff_image, found.data)
    except ValueError as exc:
        raise ToolError(f"`{field}`: {found.path} was not sent because {exc}.") from None
    return ResolvedInput(
        found.data, f"{shown or found.path} ({mime}, {width}x{height}, {human_size(len(found.data))})"
    )


def _data_uri(field: str, text: str, max_bytes: int) -> ResolvedInput:
    try:
        data, _ = decode_data_uri(field, text, max_bytes)
    except InputRefused as exc:
        raise ToolError(
            f"{exc} (SILICONFLOW_MAX_INPUT_BYTES bounds its size)" if "more than" in str(exc) else str(exc)
        ) from None
    try:
        mime, width, height = sniff_image(data)
    except ValueError as exc:
        raise ToolError(f"`{field}` is a data URI, but {exc}.") from None
    return ResolvedInput(data, f"data URI ({mime}, {width}x{height}, {human_size(len(data))})")


def sniff_image(data: bytes) -> tuple[str, int, int]:
    """(mime type, width, height) if `data` is a complete image of an accepted format; else ValueError."""
    if not data:
        raise ValueError("it is empty")
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt, size = img.format, img.size
                img.verify()  # reads to the end: catches truncated and corrupt files
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        bomb = " of a sane size (too many pixels)" if "Decompression" in type(exc).__name__ else ""
        raise ValueError("its bytes are not an image" + bomb) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"it is not a complete image ({clip(str(exc), 100)})") from None
    mime = ACCEPTED_FORMATS.get(fmt or "")
    if mime is None:
        raise ValueError(f"it is a {fmt} image; convert it to one of {', '.join(ACCEPTED_FORMATS)}")
    return mime, size[0], size[1]
