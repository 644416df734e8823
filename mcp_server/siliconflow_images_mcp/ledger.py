"""The ledger: a JSON-lines record of every billed generation, written before its images are fetched.

SiliconFlow's image URLs live one hour. If the server dies, the client cancels or the disk
fills between the API's answer and the files on disk, the ledger still says what was made
and where to fetch it: one `answered` line with the URLs and their expiry, then one `saved`
(with the paths) or `failed` (with the reason) line per generation.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from siliconflow_images import AsyncGeneration

logger = logging.getLogger(__name__)

LEDGER_NAME: Final = "siliconflow-ledger.jsonl"
TEXT_LIMIT: Final = 2000
"""Characters of a prompt kept in the ledger: enough to recognise it."""


class Ledger:
    def __init__(self, folder: Path) -> None:
        self.path = folder / LEDGER_NAME
        self._lock = threading.Lock()

    def answered(self, tool: str, generation: AsyncGeneration) -> None:
        self._append(
            {
                "event": "answered",
                "tool": tool,
                "trace_id": generation.trace_id,
                "model": generation.model,
                "prompt": generation.prompt[:TEXT_LIMIT],
                "parameters": generation.parameters,
                "seed": generation.seed,
                "urls": generation.urls,
                "expires_at": _iso(generation.expires_at),
            }
        )

    def saved(self, generation: AsyncGeneration, paths: list[Path]) -> None:
        self._append({"event": "saved", "trace_id": generation.trace_id, "paths": [str(p) for p in paths]})

    def failed(self, generation: AsyncGeneration, reason: str) -> None:
        saved = [str(image.path) for image in generation.images if image.path is not None]
        self._append(
            {
                "event": "failed",
                "trace_id": generation.trace_id,
                "reason": reason[:TEXT_LIMIT],
                "saved": saved,
            }
        )

    def _append(self, entry: dict[str, Any]) -> None:
        line = json.dumps({"time": _iso(None), **entry}, ensure_ascii=False, default=str) + "\n"
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # One write of one line with O_APPEND: lines of concurrent calls never interleave.
                fd = os.open(
                    self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600
                )
                try:
                    os.write(fd, line.encode())
                finally:
                    os.close(fd)
        except OSError as exc:
            # The ledger is a safety net: its failure is logged, never the call's failure.
            logger.warning("could not write the ledger %s (%s)", self.path, exc.strerror or exc)


def _iso(timestamp: float | None) -> str:
    moment = dt.datetime.now(dt.UTC) if timestamp is None else dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return moment.isoformat(timespec="seconds")
