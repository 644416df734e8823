"""Emulated inference: the pictures a checked request gets, drawn during the emulated inference time."""

from __future__ import annotations

import hashlib
import random
from typing import Final

import anyio
import anyio.to_thread
from PIL import Image

from siliconflow_models import ImageGenerationRequest, ModelCapabilities

from .faults import emulate_inference
from .images import Caption, Finish, render_edit, render_generation, seed_key
from .settings import Faults
from .validation import GenerationPlan

TITLE: Final = "SiliconFlow emulator · placeholder"


async def infer(
    plan: GenerationPlan,
    seed: int,
    inputs: list[Image.Image],
    count: int,
    finish: Finish,
    faults: Faults,
    limiter: anyio.CapacityLimiter,
) -> list[bytes]:
    """`count` image files for the plan (`plan.count` unless a fault says otherwise).

    `limiter` is shared by every request of the app: anyio's default one lets 40 threads draw at
    once, and at up to 0.4 GB a picture that is more memory than a laptop has.
    """
    pictures: list[bytes] = [b""] * count

    async def render(index: int) -> None:
        # Pillow drops the GIL while it draws and compresses, so batch images render in parallel.
        pictures[index] = await anyio.to_thread.run_sync(
            _render_one, plan, seed, inputs, index, count, finish, limiter=limiter
        )

    async with anyio.create_task_group() as group:
        # Drawing happens inside the emulated inference time, not after it: the answer then
        # takes step_latency x steps however busy the CPU is, as long as it keeps up.
        group.start_soon(emulate_inference, faults, plan.steps)
        for index in range(count):
            group.start_soon(render, index)
    return pictures


def choose_seed(capabilities: ModelCapabilities) -> int:
    """A seed for a request that gave none, within the model's range and the spec's."""
    allowed = capabilities.ranges.get("seed")
    low = 0 if allowed is None or allowed.minimum is None else max(0, int(allowed.minimum))
    high = _SEED_CEILING if allowed is None or allowed.maximum is None else int(allowed.maximum)
    return random.randint(low, min(high, _SEED_CEILING))


def _render_one(
    plan: GenerationPlan, seed: int, inputs: list[Image.Image], index: int, count: int, finish: Finish
) -> bytes:
    req = plan.request
    digests = [hashlib.sha256(value.encode()).hexdigest() for _, value in plan.inputs]
    negative = req.negative_prompt if "negative_prompt" in req.model_fields_set else ""
    # An enhanced prompt is another prompt to the model: another picture. The file format is not.
    enhanced = " · prompt enhanced" if plan.prompt_enhancement else ""
    if plan.is_edit:
        key = seed_key(req.model, req.prompt, negative, seed, index, digests, enhanced)
        caption = Caption(f"{TITLE} edit{enhanced}", req.model, seed, req.prompt, index, count)
        return render_edit(inputs, key, caption, finish)
    assert plan.size is not None
    key = seed_key(req.model, req.prompt, negative, seed, plan.size, index, digests, enhanced)
    title = f"{TITLE} image-to-image" if inputs else f"{TITLE} image"
    caption = Caption(title + enhanced, req.model, seed, req.prompt, index, count)
    return render_generation(plan.size, key, caption, inputs[0] if inputs else None, finish)


def _seed_ceiling() -> int:
    # The spec's own maximum, read from the generated model rather than typed again.
    for constraint in ImageGenerationRequest.model_fields["seed"].metadata:
        ceiling = getattr(constraint, "le", None)
        if isinstance(ceiling, int):
            return ceiling
    return 2**32 - 1


_SEED_CEILING: Final = _seed_ceiling()
