"""What a tool call returns: its text and content blocks, built from the generation and its saved files."""

from __future__ import annotations

from siliconflow_images_mcp.results import describe_images
from siliconflow_images_mcp.schemas import ImageResult, SavedImage


def saved_image(size: int) -> SavedImage:
    return SavedImage(
        uri="siliconflow://images/a.png",
        path="/pictures/a.png",
        url="https://e.test/a.png",
        width=8,
        height=8,
        bytes=size,
        mime_type="image/png",
    )


def test_sizes_read_as_the_sdk_writes_them() -> None:
    result = ImageResult(
        model="m",
        seed=1,
        inference_seconds=0.5,
        trace_id=None,
        images=[saved_image(500), saved_image(14 * 1024), saved_image(1_700_000)],
        parameters={},
        offline=False,
    )
    text = describe_images("generate_image", result)
    assert "(8x8, 500 bytes)" in text and "(8x8, 14 KB)" in text and "(8x8, 1.6 MB)" in text
