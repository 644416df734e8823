"""Icons for the server and its tools: tiny SVGs embedded as data URIs (no script, no fetch)."""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from mcp.types import Icon


def _svg(body: str) -> list[Icon]:
    svg = f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 8 8' fill='purple'>{body}</svg>"
    # Percent-encode only what a data URI cannot carry raw; single quotes keep it short. The
    # data URI names its type, and an SVG fits any size: nothing more to say (tools/list is paid for).
    return [Icon(src="data:image/svg+xml," + quote(svg, safe="'/=:.,-"))]


SERVER: Final = _svg("<path d='M0,1h8v6H0zM1,6h6L5,3,3,5,2,4z' fill-rule='evenodd'/>")  # a framed landscape
GENERATE: Final = _svg("<path d='M4,0 5,3 8,4 5,5 4,8 3,5 0,4 3,3z'/>")  # a sparkle
EDIT: Final = _svg("<path d='M0,8V6L6,0l2,2L2,8z'/>")  # a pencil
LIST: Final = _svg("<path d='M0,1h8v1H0zM0,4h8v1H0zM0,7h5v1H0z'/>")  # lines
