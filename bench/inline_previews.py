"""Budget 7: the inline preview each image gets in a `generate_image` result, in KB of base64.

Nothing is run here: the sizes come from the MCP answers of budget 2 (one 1024x1024 photo-like
image per call) and of budget 6 (a batch of four photo-like 1328x1328 images in one call), made
with the default settings (`SILICONFLOW_PREVIEW_BYTES`, `DEFAULT_PREVIEW_BYTES`). 1 KB = 1000 base64
characters, as that setting counts them. Each image is one sample.
"""

from __future__ import annotations

from siliconflow_images_mcp.config import DEFAULT_PREVIEW_BYTES

from .report import Row
from .stats import Stats

SECTION = "7 inline previews"
BUDGET_KB = DEFAULT_PREVIEW_BYTES / 1000
"""The budget is the server's own default, in the same KB as the rows."""


def rows(single: list[int], batch: list[int], batch_label: str) -> list[Row]:
    """The preview rows for whichever of the two kinds of answer were measured."""
    found = []
    if single:
        found.append(
            Row(
                SECTION,
                "inline preview per image, 1024x1024 single",
                Stats.of([n / 1000 for n in single]),
                "KB",
                budget=BUDGET_KB,
                short="preview, 1024x1024",
            )
        )
    if batch:
        found.append(
            Row(
                SECTION,
                f"inline preview per image, {batch_label}",
                Stats.of([n / 1000 for n in batch]),
                "KB",
                budget=BUDGET_KB,
                short=f"preview, {batch_label}",
            )
        )
    return found
