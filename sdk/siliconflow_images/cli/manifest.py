"""The batch manifest: one JSON line per call, appended and flushed to disk as each call ends.

A record says which line and which of its calls it is, what was asked (`input` as written,
`request` as resolved), and what came of it: the saved paths, seed and trace id, or the error.

`--resume` matches records to calls by what they ask (the resolved request and which of its calls),
never by line number: a comment or a line added above must not make every line below look new and
be paid for again. Each record answers for one call, so a file asking twice for the same request
gets two. A line changed since is made again, and a torn last line (a kill mid-write) is ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .image_request import Call


def read(path: Path) -> list[dict[str, Any]]:
    """Every readable record; unreadable lines (a torn write) are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    records = []
    for raw in text.splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("line"), int):
            records.append(record)
    return records


def _content(request: Mapping[str, Any]) -> str:
    return json.dumps(request, sort_keys=True, ensure_ascii=False, default=str)


class Done:
    """The calls a manifest records as made, by what each asked; `take` hands each record out once."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self._left: Counter[tuple[str, int]] = Counter(
            (_content(record["request"]), record["call"] - 1)
            for record in records
            if isinstance(record.get("call"), int)
            and isinstance(record.get("request"), dict)
            and record.get("error") is None
            and record.get("paths")
        )

    def take(self, call: Call) -> bool:
        """Whether a record not yet taken made this call; if so, it is taken."""
        key = (_content(call.request.canonical()), call.index)
        if self._left[key] <= 0:
            return False
        self._left[key] -= 1
        return True


def record(
    call: Call,
    line_input: dict[str, Any],
    *,
    paths: list[Path],
    seed: int | None,
    trace_id: str | None,
    error: str | None = None,
    error_type: str | None = None,
    maybe_billed: bool = False,
    exit_code: int = 0,
    placeholder: bool = False,
    at: dt.datetime,
) -> dict[str, Any]:
    return {
        "line": call.line,
        "call": call.index + 1,
        "calls": call.of,
        "images": call.count,
        "input": line_input,
        "request": call.request.canonical(),
        "paths": [str(path) for path in paths],
        "seed": seed,
        "trace_id": trace_id,
        "error": error,
        "error_type": error_type,
        "maybe_billed": maybe_billed,
        "exit_code": exit_code,
        "placeholder": placeholder,
        "at": at.isoformat(timespec="seconds"),
    }


class Writer:
    """Appends records; each is on disk before the next call's result is."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    def append(self, entry: dict[str, Any]) -> None:
        self._handle.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())


@contextmanager
def appending(path: Path) -> Iterator[Writer]:
    path.parent.mkdir(parents=True, exist_ok=True)
    torn = False
    if path.exists() and path.stat().st_size:
        with open(path, "rb") as existing:
            existing.seek(-1, os.SEEK_END)
            torn = existing.read(1) != b"\n"
    with open(path, "a", encoding="utf-8") as handle:
        if torn:
            # A record cut short by a kill must not swallow the next one: start on a line of its own.
            handle.write("\n")
        yield Writer(handle)
