"""Property: whatever the MCP server lets through its per-model rules, the API accepts.

The server's rules (`siliconflow_mcp.rules`) and the emulator's request checks
(`siliconflow_emulator.validation`) are written separately, both from the generated models and
the spec's model table. Bodies come from the spec itself (schemathesis' strategy for the
operation), with the model drawn from the table and options trimmed to what it takes or not.
If the rules accept a body, the payload the server would send must pass the emulator's checks:
otherwise a user pays for a call the API refuses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mcp.server.mcpserver.exceptions import ToolError

from siliconflow_emulator.responses import ApiError
from siliconflow_emulator.validation import MAX_IMAGE_SIDE, parse_generation, parse_size
from siliconflow_mcp import rules
from siliconflow_models import MODELS

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "siliconflow.yaml"
OPERATION = schemathesis.openapi.from_path(SPEC)["/images/generations"]["POST"]


def _within_emulator_limits(options: dict[str, Any]) -> bool:
    # The emulator refuses to draw sizes no model makes (over 4096 px a side): its own limit,
    # not the API's, so such bodies say nothing about the rules.
    size = options.get("image_size")
    return not isinstance(size, str) or max(parse_size(size)) <= MAX_IMAGE_SIDE


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=OPERATION.as_strategy(), model=st.sampled_from(list(MODELS)), trim=st.booleans())
def test_what_the_rules_let_through_the_api_accepts(case: Any, model: str, trim: bool) -> None:
    caps = MODELS[model]
    options = {k: v for k, v in case.body.items() if k not in ("model", "prompt")}
    if trim:
        options = {k: v for k, v in options.items() if caps.accepts(k)}
        # Edit models need an image; the checks under test read its presence, not its pixels.
        options.update(
            {name: "data:image/png;base64,iVBORw0KGgo=" for name in caps.required if name not in options}
        )
    assume(_within_emulator_limits(options))
    tool: rules.ToolName = "edit_image" if caps.task == "edit" or "image" in options else "generate_image"
    prompt = case.body["prompt"]
    try:
        rules.check_request(tool, model, prompt, options)
    except ToolError:
        return  # refused before sending: nothing was spent
    payload = rules.build_payload(model, prompt, options)
    try:
        parse_generation(json.dumps(payload).encode(), site=caps.sites[0])
    except ApiError as exc:
        raise AssertionError(
            f"the rules let through {payload!r}, which the API refuses: {exc.message}"
        ) from None


def test_the_rules_refuse_what_the_api_refuses() -> None:
    # The same agreement from the other side, on the table's own hard cases.
    for model, options in [
        ("Kwai-Kolors/Kolors", {"cfg": 4.0}),
        ("Qwen/Qwen-Image", {"batch_size": 2}),
        ("Qwen/Qwen-Image-Edit", {"image2": "data:image/png;base64,AAAA", "image": "x"}),
        ("Qwen/Qwen-Image-Edit-2509", {"image_size": "1024x1024", "image": "x"}),
        ("Qwen/Qwen-Image-Edit-2509", {}),
        ("Kwai-Kolors/Kolors", {"num_inference_steps": 101}),
    ]:
        body = json.dumps({"model": model, "prompt": "p", **options}).encode()
        try:
            parse_generation(body)
        except ApiError:
            pass
        else:
            raise AssertionError(f"the emulator accepted {options} for {model}")
        tool: rules.ToolName = (
            "edit_image" if "image" in options or MODELS[model].task == "edit" else "generate_image"
        )
        try:
            rules.check_request(tool, model, "p", options)
        except ToolError:
            continue
        raise AssertionError(f"the rules let {options} through for {model}")
