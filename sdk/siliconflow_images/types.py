"""Plain data the SDK returns besides a generation: each image, and each model of the account."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from pathlib import Path

from siliconflow_models import ModelCapabilities


@dataclass(slots=True)
class GeneratedImage:
    """One image of a generation: its URL at once; its bytes and facts once downloaded; its path once saved."""

    url: str
    """Where SiliconFlow serves it; valid for one hour."""
    index: int
    """Its place in the generation, from 0."""
    # builtins.bytes: the `bytes` property below shadows the name in the class body, so a plain
    # `bytes` annotation made typing.get_type_hints() (and pydantic) fail on this class.
    # Not in repr: an image is a few MB, and a repr goes into logs and tracebacks.
    data: builtins.bytes | None = field(default=None, repr=False)
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    path: Path | None = None

    @property
    def bytes(self) -> int | None:
        """Size in bytes of what was downloaded (before the record was written into the file)."""
        return None if self.data is None else len(self.data)

    @property
    def size(self) -> str | None:
        """`WIDTHxHEIGHT`, once downloaded."""
        return None if self.width is None else f"{self.width}x{self.height}"


@dataclass(frozen=True, slots=True)
class Model:
    """A model the account offers now, with what the spec's table says of it (None: not in the table)."""

    id: str
    capabilities: ModelCapabilities | None
