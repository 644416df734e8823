"""Generated images: downloaded at once, saved atomically, and previewed small enough for any client.

Files are written to a hidden temporary file in the output folder and then linked to their
final name, which fails rather than overwrite: a reader never sees half a file, and nothing
that exists is replaced.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import anyio
import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from PIL import Image

from .inputs import sniff_image
from .schemas import ImageResult, ModelsResult

# Claude Desktop refuses results over 1 MiB: all previews of one result share this much.
RESULT_PREVIEW_BUDGET: Final = 700_000
OFFLINE_NOTE: Final = (
    "These are placeholder images from the local SiliconFlow emulator (--offline): "
    "no real model ran and nothing was billed."
)
PREVIEW_SIDE: Final = 512
"""Longest side of a preview. Enough for the model to judge composition and colour (the full
file is a link away), a third of the vision tokens of 768 px, and for the common sizes (1024,
1328) an integer box reduction does most of the scaling: a 1024x1024 preview costs about 6 ms
instead of 16 ms at 768 px, most of the server's own cost per call (`make bench`)."""
PREVIEW_RESAMPLING: Final = Image.Resampling.BICUBIC
_EXTENSIONS: Final = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


@dataclass(frozen=True, slots=True)
class SavedFile:
    path: Path
    mime_type: str
    width: int
    height: int
    size: int


class DownloadError(Exception):
    """An image could not be fetched or is not an image; the message says why, for the model to read."""


Kept = tuple[SavedFile | Exception, tuple[str, str] | Exception | None]
"""What `save_and_preview` did with one image: the saved file and the preview, or why each failed."""


def file_stem(model: str, seed: int, when: datetime, index: int | None = None) -> str:
    """e.g. 20250101-093000_Kwai-Kolors_Kolors_seed42_2: when, which model, which seed (and which of a batch)."""
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", model).strip("._") or "model"
    suffix = f"_{index}" if index is not None else ""
    return f"{when:%Y%m%d-%H%M%S}_{slug}_seed{seed}{suffix}"


def save_image(data: bytes, folder: Path, stem: str) -> SavedFile:
    """Write `data` as `folder/stem.ext` (or `stem-2.ext`, ...) atomically; never overwrite."""
    try:
        mime, width, height = sniff_image(data)
    except ValueError as exc:
        raise DownloadError(f"what came back is not a usable image: {exc}") from None
    ext = _EXTENSIONS[mime]
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        final = _claim(tmp, folder, stem, ext)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return SavedFile(final, mime, width, height, len(data))


async def save_and_preview(data: bytes, folder: Path, stem: str, budget: int) -> Kept:
    """Save one image and make its preview side by side, each in a worker thread.

    The save waits on the disk (fsync) while the preview computes. Failures are returned, not
    raised: the caller says what each means (a preview of bytes that did not save as an image
    is moot).
    """
    file: list[SavedFile | Exception] = []
    small: list[tuple[str, str] | Exception | None] = []

    async def save() -> None:
        try:
            file.append(await anyio.to_thread.run_sync(save_image, data, folder, stem))
        except Exception as exc:
            file.append(exc)

    async def shrink() -> None:
        try:
            small.append(await anyio.to_thread.run_sync(preview, data, budget))
        except Exception as exc:
            small.append(exc)

    async with anyio.create_task_group() as group:
        group.start_soon(save)
        group.start_soon(shrink)
    return file[0], small[0]


def _claim(tmp: Path, folder: Path, stem: str, ext: str) -> Path:
    for n in range(1, 1000):
        final = folder / (f"{stem}{ext}" if n == 1 else f"{stem}-{n}{ext}")
        try:
            # link() refuses an existing name, which is what makes this race-free.
            os.link(tmp, final)
            return final
        except FileExistsError:
            continue
        except OSError:
            # Filesystems without hard links: reserve the name, then move the full file over it.
            try:
                os.close(os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                continue
            os.replace(tmp, final)
            return final
    raise ToolError(f"Could not find a free file name for {stem}{ext} in {folder}.")


def preview(data: bytes, budget: int) -> tuple[str, str] | None:
    """(base64, mime type) of a downscaled JPEG whose base64 fits `budget` characters, or None."""
    if budget <= 0:
        return None
    side = PREVIEW_SIDE
    quality = 80
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", (1024, 1024))  # JPEG decodes at a reduced scale for free
        # Decoding and scaling the full image are nearly all the cost: scale it once, before
        # the file closes (so it is never copied), and let smaller retries start from that.
        source = _fit(_flatten(img), side)
        if source is img:
            source = img.copy()  # already small: it must outlive the file
    for _ in range(12):
        thumb = _fit(source, side)
        buffer = io.BytesIO()
        # No optimize=True: it saves ~10% of bytes but costs ~0.4 ms, and the model pays
        # for pixels, not bytes.
        thumb.save(buffer, "JPEG", quality=quality)
        encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
        if len(encoded) <= budget:
            return encoded, "image/jpeg"
        # Shrink by the square root of the overshoot: bytes scale with area.
        side = max(32, int(side * min(0.9, (budget / len(encoded)) ** 0.5)))
        quality = max(50, quality - 10)
    return None


def _fit(img: Image.Image, side: int) -> Image.Image:
    """`img` scaled down to fit a `side` square (aspect kept), or `img` itself if it already fits."""
    if max(img.size) <= side:
        return img
    scale = side / max(img.size)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    # reducing_gap=1: an integer box reduction as far as it goes (1024 -> 512 entirely), then
    # bicubic for the rest; at preview size it looks the same as resampling the full image.
    return img.resize(size, PREVIEW_RESAMPLING, reducing_gap=1.0)


def _flatten(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img if img.mode == "RGB" else img.convert("RGB")


def preview_budget(per_image: int, count: int) -> int:
    """Each preview's share: the configured size, cut so that all of them fit one result."""
    if per_image <= 0 or count <= 0:
        return 0
    return min(per_image, RESULT_PREVIEW_BUDGET // count)


def describe_images(tool: str, result: ImageResult) -> str:
    """The short text a model reads: what was made, where it is, and how to make it again."""
    verb = "Edited" if tool == "edit_image" else "Generated"
    n = len(result.images)
    trace = f", trace id {result.trace_id}" if result.trace_id else ""
    lines = [
        f"{verb} {n} image{'s' if n > 1 else ''} with {result.model} "
        f"(seed {result.seed}, inference {result.inference_seconds:.2f} s{trace})."
    ]
    for i, image in enumerate(result.images, 1):
        lines.append(f"{i}. {image.path} ({image.width}x{image.height}, {_kb(image.bytes)})")
        lines.append(f"   URL (valid one hour): {image.url}")
    lines.extend(result.notes)
    return "\n".join(lines)


def describe_models(result: ModelsResult) -> str:
    """One line per model, with what the model needs to fill in a call."""
    lines = []
    for entry in result.models:
        status = {
            True: "available now",
            False: "not offered to this account now",
            None: "availability unknown",
        }
        head = f"- {entry.name}: {entry.task or 'not in the table'}, {status[entry.available]}."
        if entry.known:
            defaults = ", ".join(f"{k}={v}" for k, v in entry.defaults.items()) or "none"
            head += f" Options: {', '.join(entry.options)}. Required: {', '.join(entry.required) or 'none'}."
            head += f" Defaults: {defaults}."
            if entry.recommended_image_sizes:
                head += f" Sizes: {', '.join(entry.recommended_image_sizes)}."
        lines.append(head)
    if result.live_error:
        lines.append(f"Live list not available: {result.live_error}")
    return "\n".join(lines)


def _kb(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / (1024 * 1024):.1f} MB"
