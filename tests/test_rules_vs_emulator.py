"""Property: whatever the SDK's rules let through, the API accepts.

The SDK's request preparation (`siliconflow_images` rules, from the generated model and the
spec's table) and the emulator's request checks (`siliconflow_emulator.validation`) are
written separately. Bodies come from the spec itself (schemathesis' strategy for the
operation), with the model drawn from the table and options trimmed to what it takes or not.
If the SDK would send a body, the emulator of the model's site must accept it: otherwise a
user pays for a call the API refuses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from siliconflow_emulator.responses import ApiError
from siliconflow_emulator.validation import parse_generation, parse_size, within_render_limits
from siliconflow_images import ImageLimits, RequestRefusedError
from siliconflow_images._requests import prepare_request
from siliconflow_models import MODELS, SITES
from siliconflow_models.capabilities import IMAGE_FIELDS

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "siliconflow.yaml"
OPERATION = schemathesis.openapi.from_path(SPEC)["/images/generations"]["POST"]
PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"


def _within_emulator_limits(options: dict[str, Any]) -> bool:
    # The emulator refuses to draw more than it can hold (a side over 4096 px, a batch past its
    # pixel cap): its own limits, not the API's, so such bodies say nothing about the rules.
    size = options.get("image_size")
    count = options.get("batch_size", 1)
    return not isinstance(size, str) or within_render_limits(
        parse_size(size), count if isinstance(count, int) else 1
    )


def sdk_body(model: str, prompt: str, options: dict[str, Any]) -> dict[str, Any] | None:
    """What the SDK would send for these options, or None if it refuses them."""
    caps = MODELS[model]
    images = {name: options.pop(name) for name in IMAGE_FIELDS if name in options}
    task = "edit" if caps.task == "edit" or images else "text-to-image"
    try:
        prepared = prepare_request(
            task,
            model,
            prompt,
            options,
            images,
            aspect_ratio=None,
            site=SITES[caps.sites[0]],
            limits=ImageLimits(),
        )
    except RequestRefusedError:
        return None  # refused before sending: nothing was spent
    return prepared.body


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
        options.update({name: PIXEL for name in caps.required if name not in options})
    # Generated strings are not images: an image the SDK sends is a real (tiny) one.
    options.update({name: PIXEL for name in IMAGE_FIELDS if name in options})
    assume(_within_emulator_limits(options))
    body = sdk_body(model, case.body["prompt"], options)
    if body is None:
        return
    try:
        parse_generation(json.dumps(body).encode(), site=caps.sites[0])
    except ApiError as exc:
        raise AssertionError(f"the SDK would send {body!r}, which the API refuses: {exc.message}") from None


def test_the_rules_refuse_what_the_api_refuses() -> None:
    # The same agreement from the other side, on the table's own hard cases.
    for model, options in [
        ("Kwai-Kolors/Kolors", {"cfg": 4.0}),
        ("Qwen/Qwen-Image", {"batch_size": 2}),
        ("Qwen/Qwen-Image-Edit", {"image2": PIXEL, "image": PIXEL}),
        ("Qwen/Qwen-Image-Edit-2509", {"image_size": "1024x1024", "image": PIXEL}),
        ("Qwen/Qwen-Image-Edit-2509", {}),
        ("Kwai-Kolors/Kolors", {"num_inference_steps": 101}),
        ("black-forest-labs/FLUX.2-pro", {"seed": -1}),
        ("black-forest-labs/FLUX.2-pro", {"image_size": "1024x1024"}),
        ("black-forest-labs/FLUX.2-pro", {"cfg": 4.0}),
    ]:
        site = MODELS[model].sites[0]
        body = json.dumps({"model": model, "prompt": "p", **options}).encode()
        try:
            parse_generation(body, site=site)
        except ApiError:
            pass
        else:
            raise AssertionError(f"the emulator accepted {options} for {model}")
        assert sdk_body(model, "p", dict(options)) is None, f"the SDK would send {options} for {model}"
