"""Tool schemas come from the generated model and the table; per-model rules refuse before sending."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from siliconflow_images_mcp import rules, schemas
from siliconflow_images_mcp.tools import ImageTools
from siliconflow_models import MODELS, ImageGenerationRequest

REQUEST_SCHEMA = ImageGenerationRequest.model_json_schema()["properties"]


def tool_params(method: Any) -> list[str]:
    return [name for name in inspect.signature(method).parameters if name not in ("self", "ctx")]


def test_generate_image_offers_every_text_to_image_option_and_nothing_else() -> None:
    assert tool_params(ImageTools.generate_image) == ["prompt", "model", *schemas.GENERATE_OPTIONS]
    taken = {f for caps in MODELS.values() if caps.task == "text-to-image" for f in caps.fields}
    assert set(schemas.GENERATE_OPTIONS) == taken - set(schemas.IMAGE_FIELDS)


def test_edit_image_offers_every_edit_option() -> None:
    params = tool_params(ImageTools.edit_image)
    assert set(params) == {"prompt", "model", *schemas.EDIT_OPTIONS}
    assert set(schemas.EDIT_OPTIONS) == {
        f for caps in MODELS.values() if caps.task == "edit" for f in caps.fields
    }


@pytest.mark.parametrize(
    "name", ["batch_size", "num_inference_steps", "guidance_scale", "cfg", "seed", "image_size"]
)
def test_published_constraints_are_the_generated_ones(name: str) -> None:
    published = schemas.option(name).json_schema_extra
    expected = {k: v for k, v in REQUEST_SCHEMA[name].items() if k in ("minimum", "maximum", "pattern")}
    assert published == expected and expected


def test_descriptions_carry_the_tables_defaults_and_sizes() -> None:
    steps = schemas.option("num_inference_steps").description or ""
    for caps in MODELS.values():
        default = caps.defaults.get("num_inference_steps")
        assert f"{caps.name} (default {default})" in steps
    size = schemas.option("image_size").description or ""
    for caps in MODELS.values():
        for recommended in caps.recommended_image_sizes:
            assert f"{recommended.size} ({recommended.aspect})" in size


def refusal(tool: rules.ToolName, model: str, prompt: str = "a cat", **options: Any) -> str:
    with pytest.raises(ToolError) as caught:
        rules.check_request(tool, model, prompt, options)
    message = str(caught.value)
    assert rules.NOTHING_SENT in message
    return message


@pytest.mark.parametrize(
    ("tool", "model", "option", "value"),
    [
        ("generate_image", "Kwai-Kolors/Kolors", "cfg", 4.0),
        ("generate_image", "Qwen/Qwen-Image", "batch_size", 2),
        ("generate_image", "Qwen/Qwen-Image", "guidance_scale", 7.5),
        ("edit_image", "Qwen/Qwen-Image-Edit", "image2", "https://example.com/a.png"),
        ("edit_image", "Kwai-Kolors/Kolors", "image2", "https://example.com/a.png"),
    ],
)
def test_an_option_the_model_does_not_take_is_refused(
    tool: rules.ToolName, model: str, option: str, value: Any
) -> None:
    extra = {"image": "https://example.com/in.png"} if tool == "edit_image" else {}
    message = refusal(tool, model, **{option: value}, **extra)
    assert f"`{option}` does not apply to {model}, which takes: {', '.join(MODELS[model].fields)}" in message


def test_image_size_on_an_edit_model_is_refused() -> None:
    message = refusal(
        "edit_image", "Qwen/Qwen-Image-Edit-2509", image="https://e.com/a.png", image_size="1024x1024"
    )
    assert "`image_size` does not apply to Qwen/Qwen-Image-Edit-2509" in message


def test_an_edit_model_needs_an_image() -> None:
    message = refusal("edit_image", "Qwen/Qwen-Image-Edit", image=None)
    assert "`image` is required by Qwen/Qwen-Image-Edit" in message


def test_the_wrong_tool_for_the_model_is_named() -> None:
    assert "call edit_image instead" in refusal("generate_image", "Qwen/Qwen-Image-Edit-2509")
    assert "call generate_image" in refusal("edit_image", "Qwen/Qwen-Image", image="https://e.com/a.png")


@pytest.mark.parametrize("prompt", ["", "   \n"])
def test_an_empty_prompt_is_refused(prompt: str) -> None:
    assert "`prompt` is empty" in refusal("generate_image", "Kwai-Kolors/Kolors", prompt=prompt)


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("batch_size", 5, "less than or equal to 4"),
        ("batch_size", 0, "greater than or equal to 1"),
        ("num_inference_steps", 101, "less than or equal to 100"),
        ("guidance_scale", 20.5, "less than or equal to 20"),
        ("image_size", "big", "should match pattern"),
        ("seed", 10**10, "less than or equal to 9999999999"),
    ],
)
def test_out_of_range_values_name_field_model_and_limit(option: str, value: Any, allowed: str) -> None:
    message = refusal("generate_image", "Kwai-Kolors/Kolors", **{option: value})
    assert f"`{option}`={value!r} is not allowed for Kwai-Kolors/Kolors" in message
    assert allowed in message


def test_every_problem_is_reported_at_once() -> None:
    message = refusal("generate_image", "Kwai-Kolors/Kolors", prompt="", cfg=2.0, batch_size=9)
    assert message.count("\n- ") == 3


def test_unknown_models_pass_through_with_range_checks_only() -> None:
    rules.check_request(
        "generate_image", "black-forest-labs/FLUX.1-dev", "a cat", {"cfg": 3.0, "batch_size": 2}
    )
    assert "is not allowed for black-forest-labs/FLUX.1-dev" in refusal(
        "generate_image", "black-forest-labs/FLUX.1-dev", num_inference_steps=0
    )


def test_payload_fills_the_models_defaults_and_the_caller_wins() -> None:
    payload = rules.build_payload("Qwen/Qwen-Image", "a sign", {"num_inference_steps": 30, "seed": None})
    assert payload == {
        "model": "Qwen/Qwen-Image",
        "prompt": "a sign",
        **MODELS["Qwen/Qwen-Image"].defaults,
    } | {"num_inference_steps": 30}
    assert rules.build_payload("other/model", "x", {"seed": 1}) == {
        "model": "other/model",
        "prompt": "x",
        "seed": 1,
    }
