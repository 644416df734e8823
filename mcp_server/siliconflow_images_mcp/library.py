"""The saved images as MCP resources: `siliconflow://images/<file name>` and its `/metadata`.

The history is the output folder itself: every PNG or JPEG directly in it is an image, newest
first, and the generation record written inside each file (see `siliconflow_images.files`) is
its metadata. So images saved by an earlier run are listed too, and nothing is kept apart
that could disagree with the disk. Only names of this folder are ever opened, without
following symlinks, and nothing outside it can be named.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from siliconflow_images.config import DEFAULT_LIMITS
from siliconflow_images.files import EXTENSIONS, read_record

SCHEME: Final = "siliconflow"
PREFIX: Final = f"{SCHEME}://images/"
METADATA_SUFFIX: Final = "/metadata"
IMAGE_TEMPLATE: Final = PREFIX + "{id}"
METADATA_TEMPLATE: Final = IMAGE_TEMPLATE + METADATA_SUFFIX
MIME_BY_SUFFIX: Final = {suffix: mime for mime, suffix in EXTENSIONS.items()}
_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.(png|jpg)")
_LAST: Final = re.compile(r"last(?:-(\d{1,6}))?")
RECORD_BYTES: Final = 256 * 1024
"""Room for the generation record written into a file: two 10,000-character prompts, twice, in UTF-8."""
MAX_READ_BYTES: Final = DEFAULT_LIMITS.max_download_bytes + RECORD_BYTES
"""The largest file served: the largest image the SDK downloads, with its record. A bigger one
was not made by this server, and reading it whole would only cost memory."""


class NotInLibrary(LookupError):
    """The reference names no image of the library; the message says what exists."""


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    path: Path
    mime_type: str
    bytes: int
    mtime_ns: int

    @property
    def uri(self) -> str:
        return PREFIX + self.id

    def record(self) -> dict[str, Any] | None:
        return read_record(self.path, max_bytes=RECORD_BYTES)


def split_uri(text: str) -> tuple[str, bool] | None:
    """(image id, whether its metadata is meant) of a `siliconflow://images/` URI; None for other text."""
    if not text.startswith(PREFIX):
        return None
    rest = text[len(PREFIX) :]
    return rest.removesuffix(METADATA_SUFFIX), rest.endswith(METADATA_SUFFIX)


class Library:
    """The images of one folder, newest first; safe to use from several threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def entries(self) -> list[Entry]:
        """Every image directly in the folder, newest first (a fresh look at the disk each time)."""
        found: list[Entry] = []
        try:
            scan = list(os.scandir(self.folder))
        except OSError:
            return found
        for item in scan:
            if not _ID.fullmatch(item.name):
                continue
            try:
                info = item.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                found.append(_entry(item.name, Path(item.path), info))
        found.sort(key=lambda e: (e.mtime_ns, e.id), reverse=True)
        return found

    def page(self, cursor: str | None, size: int) -> tuple[list[Entry], str | None]:
        """One page of `entries()`; the cursor names the last entry seen, so new images never shift pages."""
        entries = self.entries()
        if cursor:
            after = _decode_cursor(cursor)
            entries = [e for e in entries if (e.mtime_ns, e.id) < after]
        page = entries[:size]
        more = len(entries) > size
        return page, _encode_cursor(page[-1]) if more and page else None

    def get(self, image_id: str) -> Entry:
        if not _ID.fullmatch(image_id):
            raise NotInLibrary(
                f"{image_id[:80]!r} is not an image id of this server (e.g. the name of a saved file)."
            )
        # The id is a plain name of this folder (checked above), so it can be looked up directly.
        path = self.folder / image_id
        try:
            info = os.lstat(path)
        except OSError:
            info = None
        if info is None or not stat.S_ISREG(info.st_mode):
            raise NotInLibrary(f"there is no saved image {image_id!r} in {self.folder}.")
        return _entry(image_id, path, info)

    def resolve(self, reference: str) -> Entry | None:
        """The entry `last`, `last-N`, `siliconflow://images/<id>` or a bare id names; None if not one of those."""
        text = reference.strip()
        last = _LAST.fullmatch(text)
        if last:
            back = int(last.group(1) or 0)
            entries = self.entries()
            if back >= len(entries):
                have = f"only {len(entries)} saved image{'s' if len(entries) != 1 else ''}"
                raise NotInLibrary(
                    f"`{text}` asks for image {back + 1} from the newest, but there are {have}."
                )
            return entries[back]
        named = split_uri(text)
        if named is not None:
            return self.get(named[0])  # an image's metadata URI names the image
        if text.startswith(f"{SCHEME}:"):
            raise NotInLibrary(f"{text[:80]!r} is not a URI this server serves (siliconflow://images/<id>).")
        return None

    def read(self, entry: Entry) -> bytes:
        """The file's bytes, read from a descriptor that did not follow a symlink and is a regular file."""
        fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_READ_BYTES:
                raise NotInLibrary(f"{entry.id} is not a readable image file.")
            with os.fdopen(os.dup(fd), "rb") as fh:
                return fh.read(MAX_READ_BYTES)
        finally:
            os.close(fd)

    def metadata(self, entry: Entry) -> dict[str, Any]:
        """The record inside the file, with the file's own facts."""
        record = entry.record()
        return {
            "id": entry.id,
            "uri": entry.uri,
            "path": str(entry.path),
            "mime_type": entry.mime_type,
            "bytes": entry.bytes,
            "record": record,
            "note": None if record is not None else "This file carries no generation record.",
        }

    def complete(self, prefix: str, limit: int = 100) -> list[str]:
        ids = [entry.id for entry in self.entries() if entry.id.startswith(prefix)]
        if "last".startswith(prefix):
            ids.insert(0, "last")
        return ids[:limit]


def _entry(image_id: str, path: Path, info: os.stat_result) -> Entry:
    return Entry(image_id, path, MIME_BY_SUFFIX[path.suffix], info.st_size, info.st_mtime_ns)


def _encode_cursor(entry: Entry) -> str:
    return base64.urlsafe_b64encode(json.dumps([entry.mtime_ns, entry.id]).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        mtime_ns, image_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return int(mtime_ns), str(image_id)
    except (ValueError, TypeError, binascii.Error):
        raise NotInLibrary("the cursor is not one this server gave") from None
