"""Saving images: atomically, never over an existing file, with the record of how each was made.

A file is written to a hidden `.part` file in the target folder, flushed to disk, then linked
to its final name; `link` refuses a name that exists, so nothing is ever replaced and a reader
never sees half a file. The record (prompt, model, seed, ...) goes inside the file: PNG text
chunks (a `parameters` chunk in the form image tools already read, and the whole record as
JSON in a `siliconflow` chunk) or JPEG comments, so a file found alone tells how it was made.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import struct
import tempfile
import time
import zlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from ._imagescan import PNG_SIGNATURE
from ._messages import human_size

__all__ = [
    "EXTENSIONS",
    "file_stem",
    "human_size",
    "read_record",
    "remove_stale_parts",
    "safe_name",
    "save_image",
    "unwritable",
    "with_record",
]

EXTENSIONS: Final = {"image/png": ".png", "image/jpeg": ".jpg"}
RECORD_KEY: Final = "siliconflow"
"""PNG text keyword (and JPEG comment prefix) of the JSON generation record."""
PART_SUFFIX: Final = ".part"
STALE_AFTER: Final = 3600.0
"""A `.part` file this old, or whose writer is gone, is left over from a crash."""


def file_stem(model: str, seed: int, when: datetime) -> str:
    """e.g. 20250101-093000_Kwai-Kolors_Kolors_seed42: when, which model, which seed.

    `Generation.save` adds `_<n>` for each image of a batch.
    """
    # Cut like the model's name: the spec bounds a seed from above only, and a file name has 255 bytes.
    return f"{when:%Y%m%d-%H%M%S}_{safe_name(model, 'model')}_seed{str(seed)[:24]}"


def safe_name(text: str, fallback: str = "image") -> str:
    """`text` as a file name of this folder: letters, digits, dots and dashes, no path, no dot first."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", text).strip("._")[:80] or fallback


def unwritable(folder: Path) -> str | None:
    """Why images cannot be saved into `folder` (made if missing), or None if they can.

    A file is really created and removed: permission bits say nothing for root, a read-only
    mount or a full quota.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def save_image(data: bytes, folder: Path, stem: str, mime_type: str) -> Path:
    """Write `data` as `folder/stem.ext` (or `stem-2.ext`, ...) atomically; never overwrite."""
    ext = EXTENSIONS[mime_type]
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{stem}.{os.getpid()}.", suffix=PART_SUFFIX, dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        return _claim(tmp, folder, stem, ext)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _claim(tmp: Path, folder: Path, stem: str, ext: str) -> Path:
    for n in range(1, 10_000):
        final = folder / (f"{stem}{ext}" if n == 1 else f"{stem}-{n}{ext}")
        try:
            # link() refuses an existing name (a symlink planted there included): race-free.
            os.link(tmp, final)
            return final
        except FileExistsError:
            continue
        except OSError:
            # Filesystems without hard links: reserve the name, then move the full file over it.
            try:
                os.close(os.open(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY | _NOFOLLOW, 0o644))
            except FileExistsError:
                continue
            os.replace(tmp, final)
            return final
    raise FileExistsError(f"no free file name for {stem}{ext} in {folder}")


_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)


def remove_stale_parts(folder: Path, *, now: float | None = None) -> list[Path]:
    """Delete `.part` files left by a writer that died (its process is gone, or an hour passed)."""
    removed: list[Path] = []
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        # Only this SDK's own: another tool's `.something.part` is that tool's to clean up.
        own = _OWN_PART.match(entry.name)
        if own is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            if old or not _alive(int(own.group("pid"))):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


_OWN_PART: Final = re.compile(
    r"\.(?P<stem>[A-Za-z0-9._-]+)\.(?P<pid>[0-9]{1,10})\.[a-z0-9_]{1,16}" + re.escape(PART_SUFFIX) + r"\Z"
)
"""The name `save_image` gives its `.part` file: `tempfile.mkstemp` with prefix `.<stem>.<pid>.`
(a stem of `safe_name`'s characters) puts its own few characters before the suffix."""


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- the record inside the file ---------------------------------------------------------------


def with_record(data: bytes, mime_type: str, record: Mapping[str, Any]) -> bytes:
    """`data` with the generation record written into it (PNG text chunks or JPEG comments)."""
    record_json = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
    parameters = a1111_parameters(record)
    if mime_type == "image/png" and data.startswith(PNG_SIGNATURE):
        ihdr_end = len(PNG_SIGNATURE) + 8 + 13 + 4
        chunks = b"".join(
            (
                _png_text("parameters", parameters),
                _png_text("Software", "siliconflow-images"),
                _png_text(RECORD_KEY, record_json),
            )
        )
        return data[:ihdr_end] + chunks + data[ihdr_end:]
    if mime_type == "image/jpeg" and data.startswith(b"\xff\xd8"):
        # The record first (a prompt cannot then pose as it), in as many comments as it takes.
        encoded = record_json.encode("utf-8")
        parts = [encoded[i : i + _JPEG_PART] for i in range(0, len(encoded), _JPEG_PART)] or [b""]
        comments = b"".join(
            _jpeg_comment(f"{RECORD_KEY}-record {n}/{len(parts)}:".encode() + part)
            for n, part in enumerate(parts, 1)
        )
        comments += _jpeg_comment(parameters.encode("utf-8"))
        # After the JFIF/Exif header segments, which readers expect right after SOI.
        at = _after_app_segments(data)
        return data[:at] + comments + data[at:]
    return data


_JPEG_PART: Final = 65000
_JPEG_RECORD: Final = re.compile(re.escape(RECORD_KEY.encode()) + rb"-record (\d{1,4})/(\d{1,4}):")


def _after_app_segments(data: bytes) -> int:
    position = 2
    while position + 4 <= len(data) and data[position] == 0xFF and 0xE0 <= data[position + 1] <= 0xEF:
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    return min(position, len(data))


def _png_text(keyword: str, text: str) -> bytes:
    try:
        kind, body = b"tEXt", keyword.encode("latin-1") + b"\0" + text.encode("latin-1")
    except UnicodeEncodeError:
        # iTXt: UTF-8 text, uncompressed, no language tag.
        kind, body = b"iTXt", keyword.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8")
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _jpeg_comment(body: bytes) -> bytes:
    body = body[: 65535 - 2]
    return b"\xff\xfe" + struct.pack(">H", len(body) + 2) + body


def a1111_parameters(record: Mapping[str, Any]) -> str:
    """The record as AUTOMATIC1111's `parameters` text, which image tools and viewers read."""
    # What was sent, else the model's documented default (what the API then used).
    sent: Mapping[str, Any] = {**(record.get("defaults") or {}), **(record.get("parameters") or {})}
    lines = [str(record.get("prompt", ""))]
    if sent.get("negative_prompt"):
        lines.append(f"Negative prompt: {sent['negative_prompt']}")
    fields = {
        "Steps": sent.get("num_inference_steps"),
        "CFG scale": sent.get("cfg", sent.get("guidance_scale")),
        "Seed": record.get("seed"),
        "Size": record.get("size"),
        "Model": record.get("model"),
        "Trace id": record.get("trace_id"),
        "Created": record.get("created"),
    }
    lines.append(", ".join(f"{name}: {value}" for name, value in fields.items() if value not in (None, "")))
    return "\n".join(lines)


def read_record(path: Path, *, max_bytes: int = 1024 * 1024) -> dict[str, Any] | None:
    """The generation record inside a saved image, or None; reads only the file's head."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(max_bytes)
    except OSError:
        return None
    text = _png_record(head) if head.startswith(PNG_SIGNATURE) else _jpeg_record(head)
    if text is None:
        return None
    try:
        record = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def _png_record(head: bytes) -> str | None:
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(head):
        length, kind = struct.unpack(">I4s", head[position : position + 8])
        body = head[position + 8 : position + 8 + length]
        if kind == b"IDAT" or len(body) < length:
            return None
        keyword, _, rest = body.partition(b"\0")
        if keyword == RECORD_KEY.encode():
            if kind == b"tEXt":
                return rest.decode("latin-1")
            if kind == b"iTXt" and len(rest) >= 2:
                _, _, after_language = rest[2:].partition(b"\0")
                return after_language.partition(b"\0")[2].decode("utf-8", "replace")
        position += 12 + length
    return None


def _jpeg_record(head: bytes) -> str | None:
    """The first complete run of record comments (`siliconflow-record i/n:`), joined."""
    if not head.startswith(b"\xff\xd8"):
        return None
    parts: list[bytes] = []
    position = 2
    while position + 4 <= len(head) and head[position] == 0xFF:
        marker = head[position + 1]
        (length,) = struct.unpack(">H", head[position + 2 : position + 4])
        if marker == 0xDA:
            break
        if marker == 0xFE:
            comment = head[position + 4 : position + 2 + length]
            match = _JPEG_RECORD.match(comment)
            if match and int(match.group(1)) == len(parts) + 1:
                parts.append(comment[match.end() :])
                if len(parts) == int(match.group(2)):
                    return b"".join(parts).decode("utf-8", "replace")
        position += 2 + length
    return None
