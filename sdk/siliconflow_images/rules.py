"""Per-model checks made before anything is sent, so no money goes on a call the API would refuse.

The rules are the spec's: the generated request model's types and ranges, and the model table
(which fields a model takes and needs, its own narrower ranges, its fixed sizes, its sites).
The account's live model list, when a front end has it, overrides the table on availability.
A model the table does not know is checked for types and ranges only and passes through.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Collection, Mapping
from typing import Any, Final

from pydantic import ValidationError

from siliconflow_models import MODELS, SITES, ImageGenerationRequest, ModelCapabilities, Site
from siliconflow_models.capabilities import IMAGE_FIELDS, OPTIONAL_FIELDS, Task

from . import _messages
from ._messages import SDK_WORDING, Wording
from .catalog import models_for, size_for_aspect
from .config import DEFAULT_LIMITS, ImageLimits
from .errors import RequestRefusedError
from .redaction import clip, sendable

LISTED: Final = 20
"""Model names shown at most in one refusal."""


def given(options: Mapping[str, object]) -> dict[str, Any]:
    """The options the caller actually set (None means 'the model's default')."""
    return {name: value for name, value in options.items() if value is not None}


def refusal(model: str, found: list[str]) -> RequestRefusedError:
    """The error for these problems: every one listed, and that nothing was sent or billed."""
    return RequestRefusedError(_messages.refused(model, found), model=model, problems=found)


def problems(
    task: Task,
    model: str,
    prompt: str,
    options: Mapping[str, object],
    *,
    site: Site | None = None,
    available: Collection[str] | None = None,
    limits: ImageLimits = DEFAULT_LIMITS,
    wording: Wording = SDK_WORDING,
) -> list[str]:
    """Every reason the API would refuse this request (or this SDK will not send it)."""
    sent = given(options)
    names = frozenset(sent)
    found = list(
        _name_problems(
            task,
            model,
            names,
            site.name if site is not None else None,
            None if available is None else frozenset(available),
            wording,
        )
    )
    if not _KNOWN.issuperset(names):
        sent = {name: value for name, value in sent.items() if name in _KNOWN}
    if not prompt.strip():
        found.append(f"`prompt` is empty: {_prompt_hint(task)}")
    for name, text in (("prompt", prompt), ("negative_prompt", sent.get("negative_prompt"))):
        if isinstance(text, str) and len(text) > limits.max_prompt_chars:
            found.append(
                f"`{name}` is {len(text):,} characters long; at most {limits.max_prompt_chars:,} are sent."
            )
    caps = MODELS.get(model)
    if caps is not None and _wrong_task(task, caps) is None:  # else the only problem is the task
        found.extend(_value_problems(caps, sent))
    found.extend(_range_problems(model, prompt, {k: v for k, v in sent.items() if k not in IMAGE_FIELDS}))
    return found


_KNOWN: Final = frozenset(OPTIONAL_FIELDS)


@functools.lru_cache(maxsize=2048)
def _name_problems(
    task: Task,
    model: str,
    names: frozenset[str],
    site_name: str | None,
    available: frozenset[str] | None,
    wording: Wording,
) -> tuple[str, ...]:
    """What is wrong with a request from the names alone: which fields, which model, where.

    The same few combinations come again and again, so they are judged once (the values are
    judged on every call).
    """
    found: list[str] = []
    unknown = sorted(name for name in names if name not in _KNOWN)
    # A misspelt option (`sead=`) would otherwise be sent, and dropped or refused by the API.
    found += [
        f"`{clip(repr(name)[1:-1], 40)}` is not a field of the request; the fields are: {', '.join(OPTIONAL_FIELDS)}."
        for name in unknown
    ]
    if not model.strip():
        return (*found, f"`model` is empty: name a model ({wording.list_models} shows them).")
    site = SITES[site_name] if site_name is not None else None  # type: ignore[index]
    caps = MODELS.get(model)
    found.extend(_availability(model, caps, site, available, wording))
    if caps is not None:
        found.extend(_table_problems(task, caps, [name for name in names if name in _KNOWN], site, wording))
    return tuple(found)


def _wrong_task(task: Task, caps: ModelCapabilities) -> Task | None:
    """The task the model does instead of `task`, or None when it does `task`."""
    if task == "text-to-image" and caps.task == "edit":
        return "edit"
    if task == "edit" and not caps.accepts("image"):
        return "text-to-image"
    return None


def _availability(
    model: str,
    caps: ModelCapabilities | None,
    site: Site | None,
    available: Collection[str] | None,
    wording: Wording,
) -> list[str]:
    if available is not None:
        if model in available:
            return []
        offered = sorted(available)
        shown = ", ".join(offered[:LISTED]) + (
            f" and {len(offered) - LISTED} more" if len(offered) > LISTED else ""
        )
        return [
            f"`model` {clip(model, 120)} is not offered to this account now; it offers: {shown or 'no image models'}."
        ]
    if caps is not None and site is not None and site.name not in caps.sites:
        here = ", ".join(c.name for c in MODELS.values() if site.name in c.sites) or "none"
        documented = " and ".join(SITES[name].hosts[0] for name in caps.sites)
        return [
            f"`model` {model} is documented on {documented}, not on {site.hosts[0]} (the two sites' keys and "
            f"catalogues are separate). Models documented on {site.hosts[0]}: {here} ({wording.list_models} "
            "shows what the account offers)."
        ]
    return []


def _table_problems(
    task: Task, caps: ModelCapabilities, names: Collection[str], site: Site | None, wording: Wording
) -> list[str]:
    model = caps.name
    instead = _wrong_task(task, caps)
    if instead == "edit":
        return [
            f"`model` {model} edits existing images and needs `image`: use {wording.edit} instead, "
            f"or pick a text-to-image model ({_names('text-to-image', site)})."
        ]
    if instead == "text-to-image":
        return [
            f"`model` {model} makes images from text only and takes no `image`: use {wording.generate}, "
            f"or pick an edit model ({_names('edit', site)})."
        ]
    found: list[str] = []
    takes = ", ".join(caps.fields) or "no optional fields"
    for name in sorted(names, key=OPTIONAL_FIELDS.index):
        if not caps.accepts(name):
            found.append(f"`{name}` does not apply to {model}, which takes: {takes}.")
    for name in caps.required:
        if name not in names:
            found.append(f"`{name}` is required by {model}: the image to edit.")
    return found


def _value_problems(caps: ModelCapabilities, sent: Mapping[str, Any]) -> list[str]:
    """The model's own bounds on the values given: narrower ranges, a fixed list of sizes."""
    model = caps.name
    found: list[str] = []
    for name, bounds in caps.ranges.items():
        value = sent.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            low, high = bounds.minimum, bounds.maximum
            if (low is not None and value < low) or (high is not None and value > high):
                found.append(f"`{name}`={value!r} is not allowed for {model}: it takes {low} to {high}.")
    size = sent.get("image_size")
    if caps.fixed_sizes and isinstance(size, str) and caps.accepts("image_size"):
        sizes = [s.size for s in caps.recommended_image_sizes]
        if size not in sizes:
            found.append(
                f"`image_size`={clip(size, 40)!r} is not one of {model}'s sizes: {', '.join(sizes)}."
            )
    return found


def _range_problems(model: str, prompt: str, sent: Mapping[str, Any]) -> list[str]:
    """Mistyped or out-of-range values, judged by the generated request model as the wire sees them."""
    texts = (("model", model), ("prompt", prompt), *sent.items())
    broken = [name for name, value in texts if isinstance(value, str) and not sendable(value)]
    if broken:
        return [_messages.unsendable(name) for name in broken]
    found = []
    values = dict(sent)
    for name, kind in _ENUM_FIELDS.items():
        # Strict validation takes an enum's member, the wire its value: check the value here.
        if name in values:
            value = values.pop(name)
            allowed = [member.value for member in kind]
            if value not in allowed:
                shown = clip(repr(value), 60)
                found.append(
                    f"`{name}`={shown} is not allowed for {model or 'the model'}: it takes {' or '.join(map(repr, allowed))}."
                )
    for name, value in list(values.items()):
        if isinstance(value, float) and not math.isfinite(value):
            found.append(f"`{name}`={value!r} is not a JSON value: a number sent must be finite.")
            del values[name]
    try:
        # Strict, on Python values: "2" is no integer and True no number, as on the wire (JSON).
        ImageGenerationRequest.model_validate({"model": model or "?", "prompt": "?", **values}, strict=True)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            field = ".".join(str(part) for part in error["loc"])
            if field in ("model", "prompt"):
                continue
            value = clip(repr(error.get("input")), 60)
            found.append(f"`{field}`={value} is not allowed for {model or 'the model'}: {error['msg']}.")
    return found


_ENUM_FIELDS: Final = {
    name: info.annotation
    for name, info in ImageGenerationRequest.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, enum.Enum)
}
"""Request fields whose values are a fixed list (output_format), by name."""


def _names(task: Task, site: Site | None) -> str:
    return ", ".join(caps.name for caps in models_for(task, site)) or "none on this site"


def _prompt_hint(task: Task) -> str:
    if task == "edit":
        return "say what to change in the image, e.g. 'make the sky stormy'."
    return "describe the picture to make, e.g. 'a lighthouse at dusk, oil painting'."


def apply_aspect_ratio(model: str, aspect_ratio: str, sent: dict[str, Any]) -> list[str]:
    """Turn `aspect_ratio` into the model's nearest recommended `image_size`, in `sent`; the problems, if any."""
    if "image_size" in sent:
        return ["Give `aspect_ratio` or `image_size`, not both."]
    caps = MODELS.get(model)
    if caps is None:
        return [
            f"`aspect_ratio` needs a model whose sizes the table knows; {model} is not in it: give `image_size`."
        ]
    try:
        sent["image_size"] = size_for_aspect(caps, aspect_ratio).size
    except ValueError as exc:
        return [f"`aspect_ratio`={aspect_ratio!r:.40}: {exc}."]
    return []
