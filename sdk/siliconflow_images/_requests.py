"""Turning a caller's keyword arguments into the request body, or a refusal that costs nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from siliconflow_models import MODELS, Site
from siliconflow_models.capabilities import IMAGE_FIELDS, Task

from . import rules
from ._messages import SDK_WORDING, Wording
from .config import ImageLimits
from .inputs import ImageInput, InputRefused, prepare


@dataclass(frozen=True, slots=True)
class Prepared:
    model: str
    prompt: str
    body: dict[str, Any]
    """Exactly what goes on the wire: model, prompt and the fields the caller gave."""
    parameters: dict[str, Any]
    """The same without model and prompt, input images summarised: what results show."""
    asked: int
    """How many images the answer may carry at most."""


def prepare_request(
    task: Task,
    model: str,
    prompt: str,
    options: Mapping[str, Any],
    images: Mapping[str, ImageInput | None],
    *,
    aspect_ratio: str | None,
    site: Site | None,
    limits: ImageLimits,
    wording: Wording = SDK_WORDING,
) -> Prepared:
    # An input image among the options (generate() with Kolors' optional `image`) is read,
    # checked and encoded like edit()'s, never sent raw (bytes would break the JSON body).
    sent = {k: v for k, v in options.items() if v is not None and k not in IMAGE_FIELDS}
    problems: list[str] = []
    if aspect_ratio is not None:
        problems += rules.apply_aspect_ratio(model, aspect_ratio, sent)
    given_images: dict[str, ImageInput] = {k: v for k, v in images.items() if v is not None}
    among_options: dict[str, ImageInput] = {k: options[k] for k in IMAGE_FIELDS if options.get(k) is not None}
    if among_options:
        given_images = {**among_options, **given_images}
    problems += rules.problems(
        task, model, prompt, {**sent, **given_images}, site=site, limits=limits, wording=wording
    )
    inputs = {}
    if not problems:
        # Files are read only for a request that will be sent.
        for field, raw in given_images.items():
            try:
                inputs[field] = prepare(field, raw, limits)
            except InputRefused as exc:
                problems.append(str(exc))
    if problems:
        raise rules.refusal(model, problems)
    caps = MODELS.get(model)
    takes_batches = caps is None or caps.accepts("batch_size")
    return Prepared(
        model=model,
        prompt=prompt,
        body={"model": model, "prompt": prompt, **sent, **{f: found.value for f, found in inputs.items()}},
        parameters={**sent, **{f: found.summary for f, found in inputs.items()}},
        asked=int(sent.get("batch_size", 1)) if takes_batches else 1,
    )
