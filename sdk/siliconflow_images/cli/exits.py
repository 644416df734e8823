"""Exit codes: what a script can tell apart without reading the words (`MEANINGS` says which is which).

A command that makes several calls (`generate -n` past one call, `batch`) exits 0 when all
succeeded, 5 when some did, and with the first failure's own code (3 or 4) when none did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from ..errors import RequestRefusedError

OK: Final = 0
FAILED: Final = 1
USAGE: Final = 2
REFUSED: Final = 3
API: Final = 4
PARTIAL: Final = 5
INTERRUPTED: Final = 130

MEANINGS: Final[Mapping[int, str]] = {
    OK: "success: every image asked for is saved (or nothing needed doing)",
    FAILED: "anything else: a bug (its traceback is shown: please report it), or stdout closed early",
    USAGE: "usage: a bad option or batch file, no API key, an unwritable folder, a manifest that needs "
    "--resume",
    REFUSED: "refused before sending by the model's rules: nothing sent, nothing billed",
    API: "SiliconFlow failed: an error status, no answer, a malformed answer, or images not saved",
    PARTIAL: "partial: some calls or lines succeeded and some failed or were not attempted",
    INTERRUPTED: "interrupted (Ctrl-C)",
}
"""Every exit code and what it means: `--help` shows this, and the README's table says the same."""


class UsageError(Exception):
    """The command line, a batch file or the configuration cannot be used; nothing was sent."""


def code_for(error: BaseException) -> int:
    if isinstance(error, UsageError):
        return USAGE
    if isinstance(error, RequestRefusedError):
        return REFUSED
    return API


def combined(succeeded: int, failures: Iterable[int]) -> int:
    """The exit code of several requests: all fine, some fine, or none (the first failure's code)."""
    codes = list(failures)
    if not codes:
        return OK
    return PARTIAL if succeeded else codes[0]
