"""The one test of an http(s) URL: for the base URL, for input image URLs and for the image URLs answered."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Whitespace or a control character anywhere: no URL a server should be given or trusted to give.
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")


def http_host(url: object) -> str:
    """The lower-case host of a well-formed http(s) URL; "" for anything else.

    `urllib.parse` rather than `httpx.URL`: this runs on every image of every answer (ten times
    cheaper), and importing httpx is most of the MCP server's start.
    """
    if not isinstance(url, str) or _UNSAFE.search(url):
        return ""
    try:
        parsed = urlsplit(url)
        parsed.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return ""
    if parsed.scheme.lower() not in ("http", "https"):
        return ""
    return parsed.hostname or ""
