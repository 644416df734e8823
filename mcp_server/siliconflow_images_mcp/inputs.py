"""Input images for edit_image: a reference to a saved image, a local file, a URL or a data URI.

`last`, `last-N` and `siliconflow://images/<id>` name images this server saved; a path names
a file inside the allowed folders (read safely, see `local_files`); a URL goes to SiliconFlow
as it is; a data URI is decoded. Files and data URIs must be complete PNG, JPEG or WebP
images within the pixel cap (judged by their bytes, never a name, by the SDK's `check_image`)
before a byte of them is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote, urlsplit

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError

from siliconflow_images import ImageLimits
from siliconflow_images.config import DEFAULT_LIMITS
from siliconflow_images.files import human_size
from siliconflow_images.inputs import InputRefused, InputTooLarge, check_image, decode_data_uri
from siliconflow_images.redaction import clip

from .config import Settings
from .library import Library, NotInLibrary
from .local_files import read_allowed

# The tool schema's hint (schemas.IMAGE_FORMS) is short to keep tools/list small; a model that
# got the image wrong gets the forms spelt out.
FORMS: Final = "Give a local file path, an http(s) URL, a data:image/...;base64 URI, `last` or a siliconflow://images/ URI."


@dataclass(frozen=True, slots=True)
class ResolvedInput:
    value: bytes | str
    """What the SDK sends: the image's bytes, or a URL as given."""
    summary: str
    """What results and logs show instead of the bytes."""


async def resolve(field: str, raw: str, settings: Settings, library: Library) -> ResolvedInput:
    text = raw.strip()
    if not text:
        raise ToolError(f"`{field}` is empty. {FORMS}")
    try:
        entry = library.resolve(text)
    except NotInLibrary as exc:
        raise ToolError(f"`{field}`: {exc}") from None
    if entry is not None:
        return await _file(field, str(entry.path), settings, entry.uri)
    try:
        # urlsplit raises ValueError for a bracket left open (http://[abc/x.png, file://[x/y.png).
        scheme = urlsplit(text).scheme.lower() if ":" in text[:12] else ""
        if scheme == "file":
            text = unquote(urlsplit(text).path)
    except ValueError:
        raise ToolError(f"`{field}` is not a usable URL ({clip(text, 80)!r}). {FORMS}") from None
    if scheme in ("http", "https"):
        return ResolvedInput(text, clip(text, 200))
    if scheme == "data":
        return await anyio.to_thread.run_sync(_data_uri, field, text, settings)
    if scheme != "file" and len(scheme) > 1:  # one letter is a Windows drive, not a scheme
        raise ToolError(f"`{field}` uses the unsupported scheme {scheme[:20]}:. {FORMS}")
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
        mime, width, height = await anyio.to_thread.run_sync(sniff_image, found.data, settings.limits)
    except ValueError as exc:
        raise ToolError(f"`{field}`: {found.path} was not sent because {exc}.") from None
    return ResolvedInput(
        found.data, f"{shown or found.path} ({mime}, {width}x{height}, {human_size(len(found.data))})"
    )


def _data_uri(field: str, text: str, settings: Settings) -> ResolvedInput:
    try:
        data, _ = decode_data_uri(field, text, settings.max_input_bytes)
    except InputTooLarge as exc:
        raise ToolError(f"{exc} (SILICONFLOW_MAX_INPUT_BYTES bounds its size)") from None
    except InputRefused as exc:
        raise ToolError(str(exc)) from None
    try:
        mime, width, height = sniff_image(data, settings.limits)
    except ValueError as exc:
        raise ToolError(f"`{field}` is a data URI, but {exc}.") from None
    return ResolvedInput(data, f"data URI ({mime}, {width}x{height}, {human_size(len(data))})")


def sniff_image(data: bytes, limits: ImageLimits = DEFAULT_LIMITS) -> tuple[str, int, int]:
    """(mime type, width, height) if `data` is one complete image of an accepted format within the
    pixel cap; else ValueError saying why. The SDK judges it, as it will again before sending."""
    if not data:
        raise ValueError("it is empty")
    return check_image(data, limits)
