"""What a tool call returns: its text and content blocks, built from the generation and its saved files."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from mcp.types import ImageContent, ResourceLink
from mcp_support import png_bytes

from siliconflow_images import GeneratedImage
from siliconflow_images_mcp.results import describe_images, image_result
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


def generation(folder: Path, saved: list[bool]) -> Any:
    images = []
    for index, kept in enumerate(saved):
        image = GeneratedImage(
            f"https://e.test/{index}.png", index, mime_type="image/png", width=64, height=48
        )
        if kept:
            image.path = folder / f"image_{index}.png"
            image.path.write_bytes(png_bytes())
        images.append(image)
    return SimpleNamespace(model="m", seed=1, inference_seconds=0.5, trace_id=None, images=images)


def test_each_preview_sits_before_the_link_to_its_own_image(tmp_path: Path) -> None:
    made = image_result(
        "generate_image", generation(tmp_path, [True, True]), [("AAAA", "image/jpeg"), None], {}, [], False
    )
    blocks = [
        (type(b).__name__, getattr(b, "data", None) or str(getattr(b, "uri", ""))) for b in made.content[1:]
    ]
    assert blocks == [
        ("ImageContent", "AAAA"),
        ("ResourceLink", "siliconflow://images/image_0.png"),
        ("ResourceLink", "siliconflow://images/image_1.png"),
    ]
    assert isinstance(made.content[1], ImageContent) and isinstance(made.content[2], ResourceLink)


def test_a_partly_saved_generation_never_pairs_a_preview_with_another_image(tmp_path: Path) -> None:
    # The first image's preview must not be shown beside the second image's link.
    with pytest.raises((AssertionError, ValueError)):
        image_result(
            "generate_image",
            generation(tmp_path, [False, True]),
            [("FIRST", "image/jpeg"), None],
            {},
            [],
            False,
        )
