"""What a tool call returns: a short text, small previews, links to the saved files, structured content.

Clients cap results (Claude Desktop refuses over 1 MiB, Claude Code over 25,000 tokens), so the
full images are never inline: each is a `resource_link` to `siliconflow://images/<id>`, which
`resources/read` serves to any client, local or not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from mcp.types import CallToolResult, ContentBlock, ImageContent, ResourceLink, TextContent

from siliconflow_images import GeneratedImage
from siliconflow_images.files import human_size
from siliconflow_models import ModelCapabilities

from .library import PREFIX
from .schemas import ImageResult, ModelEntry, ModelsResult, SavedImage

if TYPE_CHECKING:
    from siliconflow_images import AsyncGeneration

OFFLINE_NOTE: Final = (
    "These are placeholder images from the local SiliconFlow emulator (--offline): "
    "no real model ran and nothing was billed."
)
ECHO_LIMIT: Final = 300
"""Characters of any caller-given text echoed back in a result."""


def image_result(
    tool: str,
    generation: AsyncGeneration,
    previews: list[tuple[str, str] | None],
    parameters: dict[str, Any],
    notes: list[str],
    offline: bool,
) -> CallToolResult:
    # Only a save that kept every image gets here (the SDK raises otherwise), so the images,
    # their previews and their entries pair up one to one.
    result = ImageResult(
        model=generation.model,
        seed=generation.seed,
        inference_seconds=generation.inference_seconds,
        trace_id=generation.trace_id,
        images=[_saved(image) for image in generation.images],
        parameters={name: _short(value) for name, value in parameters.items()},
        offline=offline,
        notes=notes,
    )
    content: list[ContentBlock] = [TextContent(type="text", text=describe_images(tool, result))]
    for image, small, entry in zip(generation.images, previews, result.images, strict=True):
        if small is not None:
            content.append(ImageContent(type="image", data=small[0], mime_type=small[1]))
        content.append(
            ResourceLink(
                type="resource_link",
                uri=entry.uri,
                name=image.path.name if image.path else entry.uri,
                description=f"Full image, {entry.width}x{entry.height}, saved at {entry.path}.",
                mime_type=entry.mime_type,
                size=entry.bytes,
            )
        )
    return CallToolResult(content=content, structured_content=result.model_dump(mode="json"))


def _saved(image: GeneratedImage) -> SavedImage:
    assert image.path is not None and image.width is not None and image.height is not None
    return SavedImage(
        uri=PREFIX + image.path.name,
        path=str(image.path),
        url=image.url,
        width=image.width,
        height=image.height,
        bytes=image.path.stat().st_size,
        mime_type=image.mime_type or "image/png",
    )


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > ECHO_LIMIT:
        return value[: ECHO_LIMIT - 1] + "…"
    return value


def describe_images(tool: str, result: ImageResult) -> str:
    """The short text a model reads: what was made, where it is, and how to make it again."""
    verb = "Edited" if tool == "edit_image" else "Generated"
    n = len(result.images)
    trace = f", trace id {result.trace_id}" if result.trace_id else ""
    lines = [
        f"{verb} {n} image{'s' if n > 1 else ''} with {result.model} "
        f"(seed {result.seed}, inference {result.inference_seconds:.2f} s{trace})."
    ]
    for i, image in enumerate(result.images, 1):
        lines.append(
            f"{i}. {image.uri} ({image.width}x{image.height}, {human_size(image.bytes)}) at {image.path}"
        )
        lines.append(f"   URL (valid one hour): {image.url}")
    lines.extend(result.notes)
    return "\n".join(lines)


def table_entry(caps: ModelCapabilities, available: bool | None) -> ModelEntry:
    return ModelEntry(
        name=caps.name,
        known=True,
        available=available,
        task=caps.task,
        sites=list(caps.sites),
        options=list(caps.fields),
        defaults=dict(caps.defaults),
        sizes=[f"{s.size} ({s.aspect})" for s in caps.recommended_image_sizes],
        fixed_sizes=caps.fixed_sizes,
        description=caps.description,
    )


def unknown_entry(name: str) -> ModelEntry:
    return ModelEntry(
        name=name,
        known=False,
        available=True,
        description="Not in this server's table: its options are not checked here, the API decides.",
    )


def describe_models(result: ModelsResult) -> str:
    """One line per model, with what the model needs to fill in a call."""
    status = {True: "available now", False: "not offered to this account now", None: "availability unknown"}
    lines = []
    for entry in result.models:
        head = f"- {entry.name}: {entry.task or 'not in the table'}, {status[entry.available]}."
        if entry.known:
            defaults = ", ".join(f"{k}={v}" for k, v in entry.defaults.items()) or "none"
            head += f" Options: {', '.join(entry.options)}."
            head += f" Defaults: {defaults}."
            if entry.sizes:
                head += f" Sizes{' (only these)' if entry.fixed_sizes else ''}: {', '.join(entry.sizes)}."
        lines.append(head)
    if result.live_error:
        lines.append(f"Live list not available: {result.live_error}")
    return "\n".join(lines)
