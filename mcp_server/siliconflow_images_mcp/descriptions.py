"""Tool descriptions, written for a model choosing a tool and filling it in, in few bytes.

They are built from the model table for the configured site and from the settings (folders,
offline mode), so they never disagree with what the server enforces. Which model takes which
option, its sizes and defaults are said here once; the fields themselves stay terse.
"""

from __future__ import annotations

import re

from siliconflow_images.catalog import default_model, models_for
from siliconflow_models import ModelCapabilities
from siliconflow_models.capabilities import IMAGE_FIELDS, Task

from .config import Settings


def _cost(settings: Settings) -> str:
    if settings.offline:
        return "OFFLINE MODE: placeholder images from a local emulator; nothing is billed."
    return "Billed per image (refused calls cost nothing): do not call speculatively."


def _summary(caps: ModelCapabilities) -> str:
    """The table's description cut to its first clause, after the model's name."""
    text = caps.description.split(": ", 1)[-1]
    return re.split(r"; |\. |, | \(", text, maxsplit=1)[0].rstrip(".")


def _model_line(caps: ModelCapabilities, *, with_images: bool) -> str:
    options = []
    for name in caps.fields:
        # `image` is every edit model's; image2/image3 tell the models that combine images apart.
        if (name in IMAGE_FIELDS and not with_images) or name in ("image", "image_size"):
            continue
        default = caps.defaults.get(name)
        options.append(
            name
            if default is None
            else f"{name}={default:g}"
            if isinstance(default, float)
            else f"{name}={default}"
        )
    line = f"- {caps.name}: {_summary(caps)}. Takes {', '.join(options) or 'no options'}"
    if caps.recommended_image_sizes and caps.accepts("image_size"):
        sizes = " ".join(s.size for s in caps.recommended_image_sizes)
        line += f"; sizes{' (only)' if caps.fixed_sizes else ''} {sizes}"
    return line + "."


def _default(task: Task, settings: Settings) -> str:
    model = default_model(task, settings.described_site)
    return f"default {model}" if model else "name one: list_models shows what the account offers"


def generate_image(settings: Settings) -> str:
    site = settings.described_site
    lines = [
        "Make images from a prompt. " + _cost(settings),
        f"Models ({_default('text-to-image', settings)}):",
        *(_model_line(caps, with_images=False) for caps in models_for("text-to-image", site)),
    ]
    return "\n".join(lines)


def edit_image(settings: Settings) -> str:
    site = settings.described_site
    guided = [caps.name for caps in models_for("text-to-image", site) if caps.accepts("image")]
    lines = [
        "Edit or combine (up to three) images following a prompt. " + _cost(settings),
        f"Models ({_default('edit', settings)}):",
        *(_model_line(caps, with_images=True) for caps in models_for("edit", site)),
    ]
    if guided:
        # Text-to-image models that take `image` use it as a guide; generate_image lists their options.
        lines.append(f"- {', '.join(guided)}: image-to-image, `image` guiding; options as in generate_image.")
    return "\n".join(lines)


def list_models(settings: Settings) -> str:
    source = "the local emulator" if settings.offline else "the account"
    return f"Image models: options, defaults, sizes, and what {source} offers now. Free."
