"""One request as the command line means it: named fields, checked by the model's rules, split into calls.

The same fields come from `generate`'s options and from each line of a batch file, so both are
checked and split alike. A request for more images than one call can make (Kolors makes up to
four per call, every other model one) becomes several calls.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, get_type_hints

from siliconflow_models import MODELS, ImageGenerationRequest, RequestOptions, Site
from siliconflow_models.capabilities import IMAGE_FIELDS, Task

from .. import rules
from ..catalog import default_model
from ..config import DEFAULT_LIMITS
from ..inputs import ImageInput, InputRefused, prepare
from . import messages

MAX_IMAGES: Final = 100
"""Most images one request may ask for: a typo must not cost a fortune."""


def _fields() -> dict[str, Any]:
    found: dict[str, Any] = {"prompt": str, "model": str, "n": int}
    for name, kind in get_type_hints(RequestOptions).items():
        if name != "batch_size":  # `n` asks for the images; calls of batch_size are made of it
            found[name] = kind
        if name == "image_size":
            found["aspect_ratio"] = str
    return {**found, **dict.fromkeys(IMAGE_FIELDS, str)}


FIELDS: Final[Mapping[str, Any]] = _fields()
"""Every field a request takes, by name, with its Python type (a Literal for a fixed list).

The API's own come from the generated `RequestOptions`; `n` (images asked for, split into calls
of `batch_size`) and `aspect_ratio` (turned into an `image_size`) are the command line's.
"""

_NOT_OPTIONS: Final = frozenset({"prompt", "model", "n", "aspect_ratio", *IMAGE_FIELDS})


def _constraint(name: str, attribute: str) -> Any:
    for constraint in ImageGenerationRequest.model_fields[name].metadata:
        value = getattr(constraint, attribute, None)
        if value is not None:
            return value
    raise LookupError(f"the request schema gives {name} no {attribute}")


SEED_CEILING: Final[int] = _constraint("seed", "le")
SIZE_PATTERN: Final = re.compile(_constraint("image_size", "pattern"))
"""What the spec allows as an image_size (WIDTHxHEIGHT)."""


def per_call(model: str) -> int:
    """How many images one call to `model` can make: its batch_size maximum, else 1."""
    caps = MODELS.get(model)
    if caps is None or not caps.accepts("batch_size"):
        return 1
    bounds = caps.ranges.get("batch_size")
    if bounds is not None and isinstance(bounds.maximum, int):
        return bounds.maximum
    return int(_constraint("batch_size", "le"))


@dataclass(frozen=True, slots=True)
class ImageRequest:
    """Images to make with one model and one prompt, checked by the model's rules."""

    task: Task
    model: str
    prompt: str
    count: int
    options: Mapping[str, Any] = field(default_factory=dict)
    """API fields to send besides model, prompt, batch_size and the images."""
    images: Mapping[str, str] = field(default_factory=dict)
    """Input images as given: a file path, an http(s) URL or a data URI."""
    base_dir: Path = Path()
    """Where relative image paths start."""

    def canonical(self) -> dict[str, Any]:
        """The request as JSON: what a manifest compares to tell whether a line changed."""
        return {"model": self.model, "prompt": self.prompt, "n": self.count, **self.options, **self.images}

    def calls(self, line: int = 0) -> list[Call]:
        per = per_call(self.model)
        sizes = [per] * (self.count // per) + ([self.count % per] if self.count % per else [])
        return [Call(self, line, index, len(sizes), size) for index, size in enumerate(sizes)]

    def image_inputs(self) -> dict[str, ImageInput]:
        return {name: image_input(value, self.base_dir) for name, value in self.images.items()}


@dataclass(frozen=True, slots=True)
class Call:
    """One call to the API: all of a request, or one part of it."""

    request: ImageRequest
    line: int
    """The batch file's line number (0 on the command line)."""
    index: int
    of: int
    count: int
    """Images this call asks for."""

    def options(self) -> dict[str, Any]:
        options = dict(self.request.options)
        if self.count > 1:
            options["batch_size"] = self.count
        seed = options.get("seed")
        if isinstance(seed, int) and self.index:
            # Several calls with one seed would make the same picture several times.
            options["seed"] = (seed + self.index) % (SEED_CEILING + 1)
        return options


def image_input(text: str, base_dir: Path) -> ImageInput:
    """A URL or data URI as the string it is; anything else is a file, relative to `base_dir`."""
    lowered = text.strip()[:8].lower()
    if lowered.startswith(("http://", "https://", "data:")):
        return text
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else base_dir / path


def input_problems(images: Mapping[str, str], base_dir: Path) -> list[str]:
    """What the SDK would refuse in the input images: unreadable files, not images, too large.

    Read once before any call, so a missing file is refused before anything is paid for, not by
    each of the calls.
    """
    found = []
    for name, value in images.items():
        try:
            prepare(name, image_input(value, base_dir), DEFAULT_LIMITS)
        except InputRefused as exc:
            found.append(str(exc))
    return found


def build(
    fields: Mapping[str, Any], *, site: Site | None, base_dir: Path, model: str | None = None
) -> ImageRequest:
    """The request `fields` describe (`model` when they name none), or RequestRefusedError.

    Checked as the SDK would, with this command's verbs in the sentences, input images included,
    before any call.
    """
    images: dict[str, str] = {name: str(fields[name]) for name in IMAGE_FIELDS if name in fields}
    task: Task = "edit" if images else "text-to-image"
    chosen = fields.get("model") or model or default_model(task, site)
    prompt = str(fields.get("prompt", ""))
    options = {name: value for name, value in fields.items() if name not in _NOT_OPTIONS}
    if chosen is None:
        raise rules.refusal("", [messages.no_default_model(task)])
    aspect = fields.get("aspect_ratio")
    problems = rules.apply_aspect_ratio(chosen, str(aspect), options) if aspect is not None else []
    if images and "image" not in images:
        problems.append(messages.IMAGE_FIRST)
    count = int(fields.get("n", 1))
    first = min(count, per_call(chosen))
    sent = {**options, **({"batch_size": first} if first > 1 else {}), **images}
    problems += rules.problems(task, chosen, prompt, sent, site=site, wording=messages.WORDING)
    problems += input_problems(images, base_dir)
    if problems:
        raise rules.refusal(chosen, problems)
    return ImageRequest(task, chosen, prompt, count, options, images, base_dir)
