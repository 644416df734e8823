"""Shared by the emulator's tests: the accepted token, a clock to move, and input pictures
(conftest is not for importing)."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path
from typing import Any

import yaml
from PIL import Image

TOKEN = "sk-emulator-test"
"""The one key the shared emulator accepts."""

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "siliconflow.yaml"


def spec_example(response: str) -> Any:
    """The example body the spec gives `components.responses.<response>`: the API page's own words."""
    content = yaml.safe_load(SPEC.read_text())["components"]["responses"][response]["content"]
    return next(iter(content.values()))["example"]


class ManualClock:
    """A monotonic clock that a test can move forward: image expiry without sleeping."""

    def __init__(self) -> None:
        self._offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        assert seconds >= 0, "a monotonic clock never goes back"
        self._offset += seconds


def png_bytes(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def data_uri(picture: Image.Image, *, space: bool = False) -> str:
    # The API page's own example has a space after the comma.
    return "data:image/png;base64," + (" " if space else "") + base64.b64encode(png_bytes(picture)).decode()


def halves(size: tuple[int, int], left: tuple[int, int, int], right: tuple[int, int, int]) -> Image.Image:
    """An input whose two halves differ, so a derived output can be recognised."""
    picture = Image.new("RGB", size, left)
    picture.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return picture
