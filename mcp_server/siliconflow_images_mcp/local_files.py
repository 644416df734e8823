"""Reading input images from the local disk: only inside the allowed folders, whatever is swapped in.

The file is opened first and checked after, through the open descriptor: no symlink is
followed at the last step (O_NOFOLLOW), nothing can block the open (O_NONBLOCK: a FIFO or a
device answers at once), the descriptor must be a regular file under the size cap, and the
path the kernel says it has must be inside an allowed folder. Only that descriptor is read.
Reads run under their own small thread limit, so no input can starve the threads the
protocol itself uses.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import anyio
import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError

from siliconflow_images.files import human_size
from siliconflow_images.redaction import clip

MAX_PATH_CHARS: Final = 4096
FILE_READS: Final = anyio.CapacityLimiter(4)
_OPEN_FLAGS: Final = (
    os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LocalFile:
    path: Path
    data: bytes


async def read_allowed(
    field: str, text: str, *, allowed_dirs: tuple[Path, ...], base_dir: Path, max_bytes: int
) -> LocalFile:
    """The bytes of the file `text` names, or ToolError saying why not (nothing read past a refusal)."""
    return await anyio.to_thread.run_sync(
        _read_allowed, field, text, allowed_dirs, base_dir, max_bytes, limiter=FILE_READS
    )


def _read_allowed(
    field: str, text: str, allowed_dirs: tuple[Path, ...], base_dir: Path, max_bytes: int
) -> LocalFile:
    if "\0" in text:
        raise ToolError(f"`{field}` holds a NUL character, which no file name can: give a plain path.")
    if len(text) > MAX_PATH_CHARS:
        raise ToolError(f"`{field}` is {len(text):,} characters long; a path is at most {MAX_PATH_CHARS:,}.")
    try:
        given = Path(text).expanduser()
        path = (given if given.is_absolute() else base_dir / given).resolve()
    except (OSError, RuntimeError) as exc:
        # A path that changes while it is resolved (a swapped symlink) lands here too.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ToolError(f"`{field}`: {clip(text, 200)} cannot be resolved ({reason}); try again.") from None
    except ValueError as exc:
        raise ToolError(f"`{field}` is not a usable path ({exc}).") from None
    # Judged on the resolved path first, so existence is not revealed outside the folders...
    if not _inside(path, allowed_dirs):
        raise _outside(field, path, allowed_dirs)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise ToolError(f"`{field}`: there is no file at {path}.") from None
    except OSError as exc:
        raise ToolError(f"`{field}`: {path} cannot be opened ({_reason(exc)}).") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ToolError(f"`{field}`: {path} is not a regular file.")
        # ...and again on what was really opened: a path swapped after the first check fails here.
        opened = _path_of(fd, path)
        if opened is None or not _inside(opened, allowed_dirs):
            raise _outside(field, opened or path, allowed_dirs)
        if info.st_size == 0:
            raise ToolError(f"`{field}`: {path} is empty.")
        if info.st_size > max_bytes:
            raise ToolError(
                f"`{field}`: {path} is {human_size(info.st_size)}, over the {human_size(max_bytes)} limit "
                "(SILICONFLOW_MAX_INPUT_BYTES); pass a smaller copy."
            )
        data = _read_fd(fd, max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ToolError(f"`{field}`: {path} grew past the {human_size(max_bytes)} limit while being read.")
    return LocalFile(path, data)


def _read_fd(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        try:
            chunk = os.read(fd, min(left, 1 << 20))
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _path_of(fd: int, fallback: Path) -> Path | None:
    """The path the kernel holds for an open descriptor (Linux /proc, macOS F_GETPATH)."""
    if sys.platform.startswith("linux"):
        try:
            return Path(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            return None
    if sys.platform == "darwin":
        import fcntl

        try:
            raw = fcntl.fcntl(fd, 50, b"\0" * 1024)  # F_GETPATH
        except OSError:
            return None
        return Path(raw.split(b"\0", 1)[0].decode())
    # Elsewhere: the descriptor must be the very file the resolved path names now.
    try:
        same = os.path.samestat(os.fstat(fd), os.stat(fallback))
    except OSError:
        return None
    return fallback.resolve() if same else None


def _inside(path: Path, folders: tuple[Path, ...]) -> bool:
    return any(path.is_relative_to(folder) for folder in folders)


def _outside(field: str, path: Path, allowed_dirs: tuple[Path, ...]) -> ToolError:
    folders = ", ".join(str(d) for d in allowed_dirs)
    return ToolError(
        f"`{field}`: {path} is outside the folders this server may read ({folders}). "
        "Copy the file into one of them, pass an http(s) URL, or ask the user to add its folder "
        "to SILICONFLOW_ALLOWED_DIRS."
    )


def _reason(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "it is a symbolic link; give the file it points to"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long"
    return exc.strerror or type(exc).__name__
