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
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from ._imagescan import PNG_SIGNATURE

EXTENSIONS: Final = {"image/png": ".png", "image/jpeg": ".jpg"}
RECORD_KEY: Final = "siliconflow"
"""PNG text keyword (and JPEG comment prefix) of the JSON generation record."""
PART_SUFFIX: Final = ".part"
STALE_AFTER: Final = 3600.0
"""A `.part` file this old, or whose writer is gone, is left over from a crash."""


def file_stem(model: str, seed: int, when: datetime, index: int | None = None) -> str:
    """e.g. 20250101-093000_Kwai-Kolors_Kolors_seed42_2: when, which model, which seed (and which of a batch)."""
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", model).strip("._")[:80] or "model"
    suffix = f"_{index}" if index is not None else ""
    return f"{when:%Y%m%d-%H%M%S}_{slug}_seed{seed}{suffix}"


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
        if not (entry.name.startswith(".") and entry.name.endswith(PART_SUFFIX)):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            pid = _writer(entry.name)
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            if old or pid is None or not _alive(pid):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _writer(name: str) -> int | None:
    parts = name.split(".")
    # .<stem>.<pid>.<random>.part: the pid is third from the end.
    return int(parts[-3]) if len(parts) >= 4 and parts[-3].isdigit() else None


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
        comments = _jpeg_comment(parameters) + _jpeg_comment(f"{RECORD_KEY}:{record_json}")
        return data[:2] + comments + data[2:]
    return data


def _png_text(keyword: str, text: str) -> bytes:
    try:
        kind, body = b"tEXt", keyword.encode("latin-1") + b"\0" + text.encode("latin-1")
    except UnicodeEncodeError:
        # iTXt: UTF-8 text, uncompressed, no language tag.
        kind, body = b"iTXt", keyword.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8")
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _jpeg_comment(text: str) -> bytes:
    body = text.encode("utf-8")[: 65535 - 2]
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
    for keyword, text in _texts(head):
        if keyword == RECORD_KEY:
            # Not the record yet: in a JPEG, the `parameters` comment comes first and starts
            # with the prompt, which may itself start with "siliconflow:".
            try:
                record = json.loads(text)
            except ValueError:
                continue
            if isinstance(record, dict):
                return record
    return None


def _texts(head: bytes) -> Iterator[tuple[str, str]]:
    if head.startswith(PNG_SIGNATURE):
        position = len(PNG_SIGNATURE)
        while position + 8 <= len(head):
            length, kind = struct.unpack(">I4s", head[position : position + 8])
            body = head[position + 8 : position + 8 + length]
            if kind == b"IDAT" or len(body) < length:
                return
            keyword, _, rest = body.partition(b"\0")
            if kind == b"tEXt":
                yield keyword.decode("latin-1"), rest.decode("latin-1")
            elif kind == b"iTXt" and len(rest) >= 2:
                _, _, after_language = rest[2:].partition(b"\0")
                _, _, text = after_language.partition(b"\0")
                yield keyword.decode("latin-1"), text.decode("utf-8", "replace")
            position += 12 + length
    elif head.startswith(b"\xff\xd8"):
        position = 2
        while position + 4 <= len(head) and head[position] == 0xFF:
            marker = head[position + 1]
            (length,) = struct.unpack(">H", head[position + 2 : position + 4])
            if marker == 0xDA:
                return
            if marker == 0xFE:
                comment = head[position + 4 : position + 2 + length].decode("utf-8", "replace")
                name, colon, value = comment.partition(":")
                if colon:
                    yield name, value
            position += 2 + length
