"""Keeping secrets out of text: the whole key, and any run of 8 or more of its characters.

A server may echo a key back in an error body, whole or cut short, and a log line may be cut
before it is redacted; matching every 8-character piece catches all of those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PIECE = 8
MARK = "[redacted]"


class Redactor:
    """Replaces each secret, and every run of `PIECE` or more of its characters, with `[redacted]`."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets = tuple(s for s in secrets if s)
        # piece -> (secret, offset of the piece in it): where to grow a match from.
        self._where: dict[str, tuple[str, int]] = {}
        for secret in self._secrets:
            size = min(PIECE, len(secret))
            for offset in range(len(secret) - size + 1):
                self._where.setdefault(secret[offset : offset + size], (secret, offset))
        longest_first = sorted(self._where, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, longest_first))) if longest_first else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def found_in(self, text: str) -> bool:
        """Whether `text` holds a secret or a piece of one (cheaper than redacting and comparing)."""
        return self._pattern is not None and self._pattern.search(text) is not None

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        out: list[str] = []
        position = 0
        # Search again from the end of each redacted run: `finditer` would resume 8 characters
        # after the match, having consumed a piece that straddles the end of the grown run, and
        # so miss a piece starting just after it (a key with a repeated run leaked that way).
        while (match := self._pattern.search(text, position)) is not None:
            start, end = match.span()
            secret, offset = self._where[match.group()]
            # Grow the match both ways while the text goes on spelling the same secret.
            while start > position and offset > 0 and text[start - 1] == secret[offset - 1]:
                start, offset = start - 1, offset - 1
            length = end - start
            while end < len(text) and offset + length < len(secret) and text[end] == secret[offset + length]:
                end, length = end + 1, length + 1
            out.append(text[position:start])
            out.append(MARK)
            position = end
        out.append(text[position:])
        return "".join(out)


def sendable(text: str) -> bool:
    """Whether `text` encodes as UTF-8: a lone surrogate (half a character, e.g. from a broken copy
    and paste) does not, and httpx would fail on it while encoding the body, after every check."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clip(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis (redact first, then clip)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: max(0, limit - 1)] + "…"
