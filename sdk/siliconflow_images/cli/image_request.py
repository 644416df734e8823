"""One request as the command line means it: named fields, checked by the model's rules, split into calls.

The same fields come from `generate`'s options and from each line of a batch file, so both are
checked and split alike. A request for more images than one call can make (Kolors makes up to
four per call, every other model one) becomes several calls.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from siliconflow_models import MODELS, ImageGenerationRequest, Site
from siliconflow_models.capabilities import IMAGE_FIELDS, Task

from .. import rules
from ..catalog import default_model
from ..config import DEFAULT_LIMITS
from ..errors import RequestRefusedError
from ..inputs import ImageInput, InputRefused, prepare
from .messages import WORDING, refused

FIELDS: Final[Mapping[str, str]] = {
    "prompt": "string",
    "model": "string",
    "n": "integer",
    "image_size": "string",
    "aspect_ratio": "string",
    "seed": "integer",
    "num_inference_steps": "integer",
    "cfg": "number",
    "guidance_scale": "number",
    "negative_prompt": "string",
    "output_format": "string",
    "prompt_enhancement": "boolean",
    "image": "string",
    "image2": "string",
    "image3": "string",
}
"""Every field a request takes, by its API name, with the JSON types it may have."""

ALIASES: Final[Mapping[str, str]] = {
    "size": "image_size",
    "aspect": "aspect_ratio",
    "steps": "num_inference_steps",
    "guidance": "guidance_scale",
    "negative": "negative_prompt",
    "format": "output_format",
    "enhance": "prompt_enhancement",
    "batch_size": "n",
}
"""Short names (the command line's option names) for the API's own."""

MAX_IMAGES: Final = 100
"""Most images one request may ask for: a typo must not cost a fortune."""

_NOT_OPTIONS: Final = frozenset({"prompt", "model", "n", "aspect_ratio", *IMAGE_FIELDS})


def _schema_maximum(name: str) -> int:
    for constraint in ImageGenerationRequest.model_fields[name].metadata:
        ceiling = getattr(constraint, "le", None)
        if isinstance(ceiling, int):
            return ceiling
    raise LookupError(f"the request schema gives {name} no maximum")


SEED_CEILING: Final = _schema_maximum("seed")


def per_call(model: str) -> int:
    """How many images one call to `model` can make: its batch_size maximum, else 1."""
    caps = MODELS.get(model)
    if caps is None or not caps.accepts("batch_size"):
        return 1
    bounds = caps.ranges.get("batch_size")
    if bounds is not None and isinstance(bounds.maximum, int):
        return bounds.maximum
    return _schema_maximum("batch_size")


def _is(kind: str, value: object) -> bool:
    if isinstance(value, bool):
        return kind == "boolean"
    if kind == "number":
        return isinstance(value, int | float)
    return isinstance(value, {"string": str, "integer": int}.get(kind, type(None)))


def normalize(raw: Mapping[str, object]) -> tuple[dict[str, Any], list[str]]:
    """`raw` under the API's field names, and every problem with it (unknown fields, wrong types).

    A null value counts as not given.
    """
    fields: dict[str, Any] = {}
    problems: list[str] = []
    for given, value in raw.items():
        name = ALIASES.get(given, given)
        if name not in FIELDS:
            problems.append(f"unknown field `{given}` (known: {', '.join([*FIELDS, *ALIASES])})")
        elif name in fields:
            problems.append(f"`{name}` is given twice (by its name and an alias)")
        elif value is not None and not _is(FIELDS[name], value):
            problems.append(f"`{given}` must be a {FIELDS[name]}, not {json.dumps(value)[:60]}")
        elif value is not None:
            fields[name] = value
    if "prompt" not in fields:
        problems.append("`prompt` is missing")
    n = fields.get("n", 1)
    if not 1 <= n <= MAX_IMAGES:
        problems.append(f"`n` must be 1 to {MAX_IMAGES}, not {n}")
    return fields, problems


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

    def input_problems(self) -> list[str]:
        """What the SDK would refuse in the input images: unreadable files, not images, too large."""
        found = []
        for name, value in self.image_inputs().items():
            try:
                prepare(name, value, DEFAULT_LIMITS)
            except InputRefused as exc:
                found.append(str(exc))
        return found


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


def build(
    fields: Mapping[str, Any], *, site: Site | None, base_dir: Path, model: str | None = None
) -> ImageRequest:
    """The request `fields` describe (`model` when they name none), or RequestRefusedError.

    Checked as the SDK would, with this command's verbs in the sentences, before any call.
    """
    images: dict[str, str] = {name: str(fields[name]) for name in IMAGE_FIELDS if name in fields}
    task: Task = "edit" if images else "text-to-image"
    chosen = fields.get("model") or model or default_model(task, site)
    prompt = str(fields.get("prompt", ""))
    options = {name: value for name, value in fields.items() if name not in _NOT_OPTIONS}
    if chosen is None:
        problems = [
            f"no model is documented for {task} on this site: name one with -m ({WORDING.list_models})."
        ]
        raise RequestRefusedError(refused("", problems), model="", problems=problems)
    aspect = fields.get("aspect_ratio")
    problems = rules.apply_aspect_ratio(chosen, str(aspect), options) if aspect is not None else []
    if images and "image" not in images:
        problems.append("`image2` and `image3` come with `image`, the image to edit: give it first.")
    count = int(fields.get("n", 1))
    first = min(count, per_call(chosen))
    sent = {**options, **({"batch_size": first} if first > 1 else {}), **images}
    problems += rules.problems(task, chosen, prompt, sent, site=site, wording=WORDING)
    if problems:
        raise RequestRefusedError(refused(chosen, problems), model=chosen, problems=problems)
    return ImageRequest(task, chosen, prompt, count, options, images, base_dir)
