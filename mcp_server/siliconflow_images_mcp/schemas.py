"""Tool fields and output models, from the generated request model and the model table.

Ranges and types come from `siliconflow_models.ImageGenerationRequest`; which model takes what
from the table (said once, in the tool description, not again on every field). The published
schemas are compacted (no titles, no `anyOf` with null for optional inputs, no examples): an
agent pays for every byte of `tools/list` in every session.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

from siliconflow_images.catalog import models_for
from siliconflow_models import ImageGenerationRequest, ModelCapabilities, Site
from siliconflow_models.capabilities import IMAGE_FIELDS, OPTIONAL_FIELDS, Task

_SCHEMA: Final = ImageGenerationRequest.model_json_schema()["properties"]
_CONSTRAINT_KEYWORDS: Final = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "enum",
    }
)
IMAGE_FORMS: Final = "`last`, `last-N`, siliconflow://images/<id>, a file path, a URL or a data URI."

# One short line per field; what each model takes is in the tool description.
HINTS: Final[dict[str, str | None]] = {
    "prompt": None,
    "model": None,
    "aspect_ratio": "Nearest listed size.",
    "negative_prompt": None,
    "image_size": None,
    "batch_size": None,
    "seed": "Reuse to reproduce.",
    "num_inference_steps": None,
    "guidance_scale": "Prompt adherence.",
    "cfg": "Prompt adherence; >1 for text.",
    "output_format": None,
    "prompt_enhancement": "Rewrite the prompt first.",
    "image": IMAGE_FORMS,
    "image2": "Same forms.",
    "image3": "Same forms.",
}


def offered(task: Task, site: Site | None) -> tuple[str, ...]:
    """The optional fields a tool offers: those some model of its kind on the site takes."""
    kinds = models_for(task, site) if task == "text-to-image" else _image_takers(site)
    taken = {name for caps in kinds for name in caps.fields}
    if task == "text-to-image":
        taken -= set(IMAGE_FIELDS)
    return tuple(name for name in OPTIONAL_FIELDS if name in taken)


def _image_takers(site: Site | None) -> list[ModelCapabilities]:
    return [
        caps for caps in models_for("edit", site) + models_for("text-to-image", site) if caps.accepts("image")
    ]


def field(name: str) -> FieldInfo:
    """The tool field for request field (or tool argument) `name`: its constraints and a short hint."""
    # No minLength: an empty prompt or image gets a refusal that says what to give instead.
    constraints = {
        k: v for k, v in _SCHEMA.get(name, {}).items() if k in _CONSTRAINT_KEYWORDS and k != "minLength"
    }
    info: FieldInfo = Field(description=HINTS[name], json_schema_extra=constraints or None)
    return info


def published(schema: dict[str, Any], *, output: bool) -> dict[str, Any]:
    """`schema` without what an agent does not need: titles, examples, `$defs` (inlined); for inputs,
    optional-null; for outputs, descriptions and defaults (the tool description says what they mean)."""
    return _compact(_inline(schema, schema.get("$defs", {})), output=output)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {key: _inline(value, defs) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


def _compact(schema: dict[str, Any], *, output: bool) -> dict[str, Any]:
    # Outputs keep types only: a client validates against them, the tool description says what they mean.
    dropped = {"title", "examples"} | ({"description", "default", "required"} if output else set())
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in dropped or (key == "additionalProperties" and value is True):
            continue
        if key == "properties":
            out[key] = {name: _compact(sub, output=output) for name, sub in value.items()}
        elif isinstance(value, dict):
            out[key] = _compact(value, output=output)
        elif isinstance(value, list):
            out[key] = [_compact(item, output=output) if isinstance(item, dict) else item for item in value]
        elif isinstance(value, float) and value.is_integer():
            out[key] = int(value)
        else:
            out[key] = value
    variants = out.get("anyOf")
    if isinstance(variants, list) and {"type": "null"} in variants and len(variants) == 2:
        (kept,) = [v for v in variants if v != {"type": "null"}]
        del out["anyOf"]
        if output and set(kept) == {"type"}:
            out["type"] = [kept["type"], "null"]
        elif output:
            out["anyOf"] = variants
        else:
            out = {**kept, **out}
            if out.get("default", 0) is None:
                del out["default"]
    return out


class SavedImage(BaseModel):
    uri: str = Field(description="siliconflow://images/<id>: read it, or pass it to edit_image.")
    path: str
    url: str = Field(description="SiliconFlow's link; expires an hour after creation.")
    width: int
    height: int
    bytes: int
    mime_type: str


class ImageResult(BaseModel):
    """What generate_image and edit_image return as structured content."""

    model: str
    seed: int
    inference_seconds: float
    trace_id: str | None
    images: list[SavedImage]
    parameters: dict[str, Any] = Field(description="What was sent (input images summarised).")
    offline: bool = Field(description="True: placeholder images from the local emulator.")
    notes: list[str] = Field(default_factory=list)


class ModelEntry(BaseModel):
    """One model: what the table says about it and whether the account offers it now."""

    name: str
    known: bool
    available: bool | None
    task: str | None = None
    sites: list[str] = Field(default_factory=list)
    options: list[str] = Field(default_factory=list)
    defaults: dict[str, Any] = Field(default_factory=dict)
    sizes: list[str] = Field(default_factory=list)
    fixed_sizes: bool = False
    description: str | None = None


class ModelsResult(BaseModel):
    """What list_models returns as structured content."""

    site: str | None
    models: list[ModelEntry]
    live_checked: bool
    live_error: str | None = None
