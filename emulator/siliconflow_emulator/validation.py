"""Reading a generation request: the generated pydantic model decides what is well formed, the
generated capability table decides which site serves a model and what the model takes. No range,
size or model name is typed here."""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass
from typing import Any, Final

import pydantic

from siliconflow_models import ImageGenerationRequest, ModelCapabilities
from siliconflow_models.capabilities import IMAGE_FIELDS, OPTIONAL_FIELDS, Range, SiteName

from .catalogue import served_model
from .responses import MODEL_NOT_FOUND, MODEL_NOT_FOUND_MESSAGE, ApiError
from .settings import DEFAULT_SITE

MAX_IMAGE_SIDE: Final = 4096
"""Largest width or height the emulator renders or reads, an emulator bound rather than the API's.
The table cannot supply it: its recommended sizes stop at 1664 a side, yet only fixed-size models
are held to them, and the API documents no ceiling while the spec's pattern allows 99999. 4096
leaves room for sizes beyond the recommended ones and keeps one picture to about 0.3 GB of drawing
(0.4 GB photo-like); bigger sizes answer 400."""

MAX_REQUEST_PIXELS: Final = 4 * 2048 * 2048
"""Most pixels one request may ask for across its batch: four 2048x2048 images, or one of 4096x4096.
Without it, four 4096x4096 pictures held about 1.1 GB (1.7 GB photo-like) at once, and a few such
requests exhausted the memory of the process, which is the MCP server's own under `--offline`."""


@dataclass(frozen=True, slots=True)
class GenerationPlan:
    """A request that passed every check, with the model's defaults filled in."""

    request: ImageGenerationRequest
    capabilities: ModelCapabilities
    size: tuple[int, int] | None
    """Output size; None for edit models, whose output keeps the first input's size."""
    count: int
    steps: int
    inputs: tuple[tuple[str, str], ...]
    """(field, value) of each input image sent, in field order."""
    output_format: str
    """"png" or "jpeg": the request's, else the model's default, else the spec's."""
    prompt_enhancement: bool

    @property
    def is_edit(self) -> bool:
        return self.capabilities.task == "edit"


def parse_generation(body: bytes, *, site: SiteName = DEFAULT_SITE) -> GenerationPlan:
    """Check a request body the way the API of `site` does, or raise ApiError naming what is wrong."""
    request = _validate(_parse_json(body))
    # Another site's model is as unknown here as a made-up one: the sites keep separate catalogues.
    capabilities = served_model(site, request.model)
    if capabilities is None:
        raise ApiError(MODEL_NOT_FOUND_MESSAGE, code=MODEL_NOT_FOUND, data=f"model: {_clip(request.model)}")
    sent = request.model_fields_set
    _refuse_inapplicable(request, capabilities, sent)
    for field in capabilities.required:
        if field not in sent:
            raise ApiError(f"Model {capabilities.name} requires `{field}`: the image to edit.", data=field)
    for name, allowed in capabilities.ranges.items():
        if name in sent:
            _check_range(name, getattr(request, name), allowed, capabilities)
    size = None if capabilities.task == "edit" else _size(request, capabilities, sent)
    count = request.batch_size if capabilities.accepts("batch_size") else 1
    if size is not None:
        _check_request_pixels(size, count)
    return GenerationPlan(
        request=request,
        capabilities=capabilities,
        size=size,
        count=count,
        steps=_steps(request, capabilities, sent),
        inputs=tuple((field, getattr(request, field)) for field in IMAGE_FIELDS if field in sent),
        output_format=str(_option(request, capabilities, sent, "output_format")),
        prompt_enhancement=bool(_option(request, capabilities, sent, "prompt_enhancement")),
    )


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def _parse_json(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise ApiError("The request body is empty: send a JSON object with `model` and `prompt`.")
    try:
        data = json.loads(body, parse_float=_json_number, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and undecodable bytes.
        raise ApiError("The request body is not valid JSON.", data=str(exc)[:200]) from None
    if not isinstance(data, dict):
        raise ApiError("The request body must be a JSON object with `model` and `prompt`.")
    return data


def _json_number(text: str) -> int | float:
    # JSON has one number type, and JSON Schema counts 61.0 as an integer; strict pydantic
    # would not, so integral values become ints (exactly, below 2**53) before validation.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is out of range")
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's parser would let them through.
    raise ValueError(f"{name} is not a JSON number")


def _validate(data: dict[str, Any]) -> ImageGenerationRequest:
    try:
        # Strict: the wire is JSON, so "2" is not an integer and true is not a number. Validated as
        # JSON text (after _parse_json's own rules), since strict Python mode takes enums only as
        # enum members, never the strings a body carries.
        return ImageGenerationRequest.model_validate_json(json.dumps(data), strict=True)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        details = "; ".join(_describe(error) for error in errors)
        first = errors[0]
        field = _field_name(first)
        if first["type"] == "missing":
            message = f"Missing required field `{field}`."
        else:
            message = f"Invalid field `{field}`: {first['msg']}."
        raise ApiError(message, data=details) from None


def _describe(error: Any) -> str:
    return f"{_field_name(error)}: {error['msg']}"


def _field_name(error: Any) -> str:
    location = ".".join(str(part) for part in error["loc"])
    return location or "body"


def _refuse_inapplicable(
    request: ImageGenerationRequest, capabilities: ModelCapabilities, sent: set[str]
) -> None:
    for field in OPTIONAL_FIELDS:
        if field not in sent or capabilities.accepts(field):
            continue
        # The generated client sends every field that has a spec default (batch_size=1,
        # num_inference_steps=20, guidance_scale=7.5) whatever the model; restating a default
        # changes nothing, so only a value of the caller's own choosing is refused.
        if getattr(request, field) == ImageGenerationRequest.model_fields[field].default:
            continue
        takes = ", ".join(f"`{name}`" for name in capabilities.fields)
        raise ApiError(
            f"`{field}` is not supported by model {capabilities.name}; it takes {takes}.",
            data=field,
        )


def _check_range(field: str, value: float, allowed: Range, capabilities: ModelCapabilities) -> None:
    low, high = allowed.minimum, allowed.maximum
    if (low is None or value >= low) and (high is None or value <= high):
        return
    if low is not None and high is not None:
        takes = f"{low} to {high}"
    else:
        takes = f"at least {low}" if low is not None else f"at most {high}"
    raise ApiError(
        f"Invalid field `{field}`: {value} is out of range for model {capabilities.name}, which takes {takes}.",
        data=field,
    )


def _size(
    request: ImageGenerationRequest, capabilities: ModelCapabilities, sent: set[str]
) -> tuple[int, int]:
    text = request.image_size if "image_size" in sent else capabilities.default_image_size
    # codegen refuses a text-to-image row that does not take `image_size` with a default.
    assert isinstance(text, str), f"{capabilities.name} has no default image_size"
    sizes = [recommended.size for recommended in capabilities.recommended_image_sizes]
    if capabilities.fixed_sizes and text not in sizes:
        raise ApiError(
            f"Invalid field `image_size`: model {capabilities.name} serves only {', '.join(sizes)}, "
            f"not {_clip(text)}.",
            data="image_size",
        )
    width, height = parse_size(text)
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        raise ApiError(
            f"Invalid field `image_size`: {text} is larger than the emulator renders "
            f"({MAX_IMAGE_SIDE} pixels a side at most).",
            data="image_size",
        )
    return width, height


def within_render_limits(size: tuple[int, int], count: int) -> bool:
    """Whether the emulator draws `count` pictures of `size` (width, height) for one request."""
    width, height = size
    return max(width, height) <= MAX_IMAGE_SIDE and count * width * height <= MAX_REQUEST_PIXELS


def _check_request_pixels(size: tuple[int, int], count: int) -> None:
    # An edit's output takes its first input's size, which inputs.py holds to MAX_IMAGE_SIDE, and
    # one picture of that size is within MAX_REQUEST_PIXELS: only text-to-image batches need this.
    if within_render_limits(size, count):
        return
    width, height = size
    raise ApiError(
        f"Invalid field `image_size`: {count} images of {width}x{height} are more pixels than the emulator "
        f"draws for one request ({MAX_REQUEST_PIXELS:,}, four 2048x2048 images); lower `image_size` or "
        "`batch_size`.",
        data="image_size",
    )


def _steps(request: ImageGenerationRequest, capabilities: ModelCapabilities, sent: set[str]) -> int:
    if "num_inference_steps" in sent:
        return request.num_inference_steps
    # Models differ (Qwen-Image runs 50 by default); the table knows, the request model does not.
    default = capabilities.defaults.get("num_inference_steps", request.num_inference_steps)
    return int(default)


def _option(
    request: ImageGenerationRequest, capabilities: ModelCapabilities, sent: set[str], field: str
) -> object:
    # What the model makes of an option: the caller's value where it takes one, else its own
    # default (from the table), else the spec's (which a caller may restate to any model).
    if field in sent and capabilities.accepts(field):
        value: object = getattr(request, field)
    else:
        value = capabilities.defaults.get(field, ImageGenerationRequest.model_fields[field].default)
    return value.value if isinstance(value, enum.Enum) else value


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
