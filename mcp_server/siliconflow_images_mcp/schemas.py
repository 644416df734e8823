"""Tool input fields and output models, derived from the generated request model and the model table.

Ranges, titles, examples and descriptions come from `siliconflow_models.ImageGenerationRequest`;
which model takes what, its defaults and recommended sizes from `siliconflow_models.MODELS`.
Nothing here restates a number of the spec.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

from siliconflow_models import MODELS, ImageGenerationRequest, ModelCapabilities
from siliconflow_models.capabilities import OPTIONAL_FIELDS, Task

DEFAULT_GENERATE_MODEL: Final = "Kwai-Kolors/Kolors"
DEFAULT_EDIT_MODEL: Final = "Qwen/Qwen-Image-Edit-2509"
IMAGE_FIELDS: Final = ("image", "image2", "image3")

assert DEFAULT_GENERATE_MODEL in MODELS and DEFAULT_EDIT_MODEL in MODELS, (
    "default models left the spec's table"
)

_REQUEST: Final = ImageGenerationRequest.model_fields
_SCHEMA: Final = ImageGenerationRequest.model_json_schema()["properties"]
_CONSTRAINT_KEYWORDS: Final = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern"}
)


def models_for(task: Task) -> list[ModelCapabilities]:
    return [caps for caps in MODELS.values() if caps.task == task]


def _union(models: Iterable[ModelCapabilities]) -> tuple[str, ...]:
    taken = {name for caps in models for name in caps.fields}
    return tuple(name for name in OPTIONAL_FIELDS if name in taken)


# What each tool offers: every option some model of its kind takes (images belong to edit_image).
GENERATE_OPTIONS: Final = tuple(
    name for name in _union(models_for("text-to-image")) if name not in IMAGE_FIELDS
)
EDIT_OPTIONS: Final = _union(models_for("edit"))


def _fmt(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def applicability(name: str) -> str:
    """Which models of the table take `name`, with their defaults: e.g. 'Taken by A (default 20), B.'"""
    parts = []
    for caps in MODELS.values():
        if caps.accepts(name):
            default = caps.defaults.get(name)
            parts.append(caps.name if default is None else f"{caps.name} (default {_fmt(default)})")
    return f"Taken by: {', '.join(parts)}." if parts else "No model of the table takes it."


def recommended_sizes() -> str:
    """Each model's recommended `image_size` values, from the table."""
    lines = [
        f"{caps.name}: " + ", ".join(f"{s.size} ({s.aspect})" for s in caps.recommended_image_sizes)
        for caps in MODELS.values()
        if caps.recommended_image_sizes
    ]
    return "; ".join(lines)


def constraints(name: str) -> dict[str, Any]:
    """The JSON-schema constraints of request field `name` (minimum, maximum, pattern, ...)."""
    return {k: v for k, v in _SCHEMA[name].items() if k in _CONSTRAINT_KEYWORDS}


def _published(name: str, description: str, examples: list[Any] | None = None) -> FieldInfo:
    # Constraints are published, not enforced by the SDK: rules.check_request enforces them with a
    # message that names the model too, which the SDK's validation error cannot.
    field: FieldInfo = Field(
        title=_REQUEST[name].title,
        description=description,
        examples=examples if examples is not None else _REQUEST[name].examples,
        json_schema_extra=constraints(name),
    )
    return field


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def option(name: str, extra: str = "") -> FieldInfo:
    """The tool field for request field `name`: its constraints, title, examples and description.

    Absent means "the model's default", so the tool's own default is None and the
    per-model defaults are stated in the description.
    """
    description = _REQUEST[name].description or ""
    if name == "image_size":
        # The table's list replaces the prose one, which the spec keeps for people.
        description = description.split(". ")[0] + f". Recommended: {recommended_sizes()}"
    return _published(name, " ".join(_sentence(p) for p in (description, applicability(name), extra) if p))


def model_field(task: Task, default: str) -> FieldInfo:
    names = ", ".join(caps.name for caps in models_for(task))
    return _published(
        "model",
        f"The SiliconFlow model. Known {task} models: {names}. Another name passes through unchecked "
        f"(call list_models to see what the account offers). Default {default}.",
        examples=[default],
    )


def prompt_field(task: Task) -> FieldInfo:
    if task == "edit":
        return _published("prompt", "The edit to make, e.g. 'make the sky stormy'.", ["make the sky stormy"])
    return _published("prompt", _REQUEST["prompt"].description or "")


class SavedImage(BaseModel):
    """One image as saved on disk."""

    path: str = Field(description="Absolute path of the saved file.")
    uri: str = Field(description="The same file as a file:// URI.")
    url: str = Field(description="Where SiliconFlow serves it; expires an hour after creation.")
    width: int
    height: int
    bytes: int = Field(description="File size.")
    mime_type: str


class ImageResult(BaseModel):
    """What generate_image and edit_image return as structured content."""

    model: str
    seed: int = Field(description="Seed used; pass it again with the same inputs to get the same image.")
    inference_seconds: float = Field(description="Time the model spent, as SiliconFlow reports it.")
    trace_id: str | None = Field(description="x-siliconcloud-trace-id, for SiliconFlow support.")
    images: list[SavedImage]
    parameters: dict[str, str | int | float] = Field(
        description="The options sent (input images summarised, not repeated)."
    )
    offline: bool = Field(description="True when the images are placeholders from the local emulator.")
    notes: list[str] = Field(default_factory=list)


class ModelEntry(BaseModel):
    """One model: what the table says about it and whether the account offers it now."""

    name: str
    known: bool = Field(description="Whether this server's model table describes it (else unchecked).")
    available: bool | None = Field(description="Listed by the account's GET /models now; null if unknown.")
    task: str | None = None
    sub_type: str | None = None
    description: str | None = None
    options: list[str] = Field(default_factory=list, description="Optional request fields it takes.")
    required: list[str] = Field(default_factory=list)
    defaults: dict[str, str | int | float] = Field(default_factory=dict)
    recommended_image_sizes: list[str] = Field(default_factory=list)


class ModelsResult(BaseModel):
    """What list_models returns as structured content."""

    models: list[ModelEntry]
    live_checked: bool = Field(description="Whether the account's model list was fetched.")
    live_error: str | None = Field(default=None, description="Why it could not be, if it was not.")


def table_entry(caps: ModelCapabilities, available: bool | None) -> ModelEntry:
    return ModelEntry(
        name=caps.name,
        known=True,
        available=available,
        task=caps.task,
        sub_type=caps.sub_type,
        description=caps.description,
        options=list(caps.fields),
        required=list(caps.required),
        defaults=dict(caps.defaults),
        recommended_image_sizes=[f"{s.size} ({s.aspect})" for s in caps.recommended_image_sizes],
    )


def unknown_entry(name: str) -> ModelEntry:
    return ModelEntry(
        name=name,
        known=False,
        available=True,
        description="Not in this server's table: its options are not checked here, the API decides.",
    )
