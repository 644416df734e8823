"""Tool descriptions, written for a model choosing a tool and filling it in.

They are built from the model table and the settings (folders, offline mode), so they never
disagree with what the server enforces.
"""

from __future__ import annotations

from siliconflow_models import MODELS

from .config import Settings
from .schemas import DEFAULT_EDIT_MODEL, DEFAULT_GENERATE_MODEL, models_for, recommended_sizes


def _cost(settings: Settings) -> str:
    if settings.offline:
        return (
            "OFFLINE MODE: this server talks to a local emulator, so nothing is billed and the images "
            "are placeholders, not real generations."
        )
    return (
        "Each call is billed to the user's SiliconFlow account per image made and takes seconds to a minute; "
        "calls refused by the checks below cost nothing. Do not call it speculatively."
    )


def _saving(settings: Settings) -> str:
    return (
        f"Images are saved under {settings.output_dir} (never overwriting) and returned as a small preview, "
        "a link to the file, its path, the URL (valid one hour), the seed (reuse it to reproduce an image) "
        "and a trace id."
    )


def _models(task: str) -> str:
    return "\n".join(f"- {caps.name}: {caps.description}" for caps in MODELS.values() if caps.task == task)


def generate_image(settings: Settings) -> str:
    return "\n".join(
        [
            "Create new images from a text prompt with SiliconFlow's hosted image models.",
            _cost(settings),
            f"Models (default {DEFAULT_GENERATE_MODEL}):",
            _models("text-to-image"),
            f"Recommended image_size per model: {recommended_sizes()}.",
            "Options a model does not take, out-of-range values and an empty prompt are refused before "
            "anything is sent; leave an option out to get the model's default.",
            _saving(settings),
            "To change an existing picture use edit_image; list_models shows what the account offers now.",
        ]
    )


def edit_image(settings: Settings) -> str:
    folders = ", ".join(str(d) for d in settings.allowed_dirs)
    multi = [caps.name for caps in models_for("edit") if caps.accepts("image3")]
    return "\n".join(
        [
            "Edit an existing image (or combine several) following a prompt, with SiliconFlow's edit models.",
            _cost(settings),
            f"Models (default {DEFAULT_EDIT_MODEL}):",
            _models("edit"),
            f"Only {', '.join(multi)} {'takes' if len(multi) == 1 else 'take'} image2 and image3. The result keeps the input's size.",
            "Each image is a local file path, an http(s) URL (passed to SiliconFlow as is) or a "
            "data:image/...;base64 URI. Local files must be PNG, JPEG or WebP images, at most "
            f"{settings.max_input_bytes // (1024 * 1024)} MB, inside these folders: {folders}. "
            "A path relative to the output folder works too, e.g. a file name returned by an earlier call.",
            "Options a model does not take, a missing image and out-of-range values are refused before "
            "anything is sent.",
            _saving(settings),
        ]
    )


def list_models(settings: Settings) -> str:
    source = "the local emulator" if settings.offline else "the account (GET /models)"
    return (
        "List the image models this server knows (task, options each takes, defaults, recommended sizes), "
        f"joined with the models {source} offers right now; models the server's table does not know are "
        "listed as such and can still be used. Free and quick: call it when unsure which model or options to use."
    )
