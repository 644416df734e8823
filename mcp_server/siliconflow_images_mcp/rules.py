"""Per-model checks made before anything is sent, so no money goes on a call the API would refuse.

The rules are the spec's model table (`siliconflow_models.MODELS`) and the generated request
model's ranges. A model the table does not know is checked for ranges only and passes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from siliconflow_models import ImageGenerationRequest, capabilities

from .schemas import IMAGE_FIELDS, models_for

ToolName = Literal["generate_image", "edit_image"]

NOTHING_SENT = "Nothing was sent to SiliconFlow, so nothing was billed."


def given_options(options: Mapping[str, object]) -> dict[str, Any]:
    """The options the caller actually set (None means 'the model's default')."""
    return {name: value for name, value in options.items() if value is not None}


def check_request(tool: ToolName, model: str, prompt: str, options: Mapping[str, object]) -> None:
    """Raise `ToolError` naming every field that the model would refuse, and what it allows."""
    given = given_options(options)
    problems: list[str] = []
    if not model.strip():
        problems.append("`model` is empty: name a model (list_models shows them).")
    if not prompt.strip():
        problems.append(f"`prompt` is empty: {_prompt_hint(tool)}")
    caps = capabilities.get(model)
    if caps is not None:
        takes = ", ".join(caps.fields) or "no optional fields"
        if tool == "generate_image" and caps.task == "edit":
            problems.append(
                f"`model` {model} edits existing images and needs `image`: call edit_image instead, "
                f"or pick a text-to-image model ({_names('text-to-image')})."
            )
        elif tool == "edit_image" and not caps.accepts("image"):
            problems.append(
                f"`model` {model} makes images from text only and takes no `image`: call generate_image, "
                f"or pick an edit model ({_names('edit')})."
            )
        else:
            for name in given:
                if not caps.accepts(name):
                    problems.append(f"`{name}` does not apply to {model}, which takes: {takes}.")
            for name in caps.required:
                if name not in given:
                    problems.append(f"`{name}` is required by {model}: {_required_hint(name)}")
    problems.extend(range_problems(model, given))
    if problems:
        lead = "The request was refused before sending" + (f" ({model})" if model.strip() else "")
        raise ToolError(f"{lead}:\n- " + "\n- ".join(problems) + f"\n{NOTHING_SENT}")


def range_problems(model: str, given: Mapping[str, Any]) -> list[str]:
    """Out-of-range or malformed values, judged by the generated request model."""
    try:
        ImageGenerationRequest.model_validate({"model": model or "?", "prompt": "?", **given})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            if field in ("model", "prompt"):
                continue
            value = _short(error.get("input"))
            problems.append(f"`{field}`={value} is not allowed for {model or 'the model'}: {error['msg']}.")
        return problems
    return []


def build_payload(model: str, prompt: str, options: Mapping[str, object]) -> dict[str, Any]:
    """The request body: the model's table defaults for what it takes, then the caller's values."""
    payload: dict[str, Any] = {"model": model, "prompt": prompt}
    caps = capabilities.get(model)
    if caps is not None:
        payload.update({k: v for k, v in caps.defaults.items() if caps.accepts(k)})
    payload.update(given_options(options))
    return payload


def _names(task: capabilities.Task) -> str:
    return ", ".join(caps.name for caps in models_for(task))


def _prompt_hint(tool: ToolName) -> str:
    if tool == "edit_image":
        return "say what to change in the image, e.g. 'make the sky stormy'."
    return "describe the picture to make, e.g. 'a lighthouse at dusk, oil painting'."


def _required_hint(name: str) -> str:
    if name in IMAGE_FIELDS:
        return "give a local file path, an http(s) URL or a data:image/...;base64 URI."
    return "give a value."


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
