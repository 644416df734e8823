"""Logging to stderr (stdout carries the protocol on stdio), with secrets and floods kept out.

Every record passes one filter on the way out, whichever library wrote it (httpx, httpcore,
h11, the MCP SDK, uvicorn): the key and the HTTP token are redacted first, then the line is
cut to a readable length, so no cut can leave the start of a key behind.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterable
from typing import Final

from siliconflow_images.redaction import Redactor, clip

LINE_LIMIT: Final = 2000
"""Characters of one log line kept (a 10 MB prompt is not logged whole)."""
TRACEBACK_LIMIT: Final = 8000


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._redact = Redactor(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg = clip(self._redact(message), LINE_LIMIT) if "\n" not in message else self._cut(message)
        record.args = None
        if record.exc_info:
            text = "".join(traceback.format_exception(*record.exc_info))
            record.msg += "\n" + self._redact(text)[-TRACEBACK_LIMIT:]
            record.exc_info = None
            record.exc_text = None
        return True

    def _cut(self, message: str) -> str:
        text = self._redact(message)
        return text if len(text) <= LINE_LIMIT else text[: LINE_LIMIT - 1] + "…"


def configure(level: str, secrets: Iterable[str]) -> None:
    """One stderr handler for the whole process, with the redacting filter on it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    # force: replace anything configured before; later basicConfig calls (the MCP SDK's) are no-ops.
    logging.basicConfig(level=getattr(logging, level, logging.INFO), handlers=[handler], force=True)
