"""The three tools. Each is a plain async method: the server registers them, tests call them directly.

Parameters are annotated with fields built in `schemas`, so the published input schemas carry
the generated model's ranges and the table's per-model defaults.

The HTTP side (httpx, the generated client) is imported on first use: a client that starts the
server only to list its tools, as many do at launch, should not wait for it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ContentBlock, ImageContent, ResourceLink, TextContent

from siliconflow_models import MODELS

from . import rules
from .config import Settings
from .inputs import ImageInput, load_image_input
from .progress import Ctx, Progress
from .results import (
    OFFLINE_NOTE,
    DownloadError,
    Kept,
    SavedFile,
    describe_images,
    describe_models,
    file_stem,
    preview_budget,
    save_and_preview,
)
from .schemas import (
    DEFAULT_EDIT_MODEL,
    DEFAULT_GENERATE_MODEL,
    IMAGE_FIELDS,
    ImageResult,
    ModelsResult,
    SavedImage,
    model_field,
    option,
    prompt_field,
    table_entry,
    unknown_entry,
)

if TYPE_CHECKING:
    from siliconflow_client import AuthenticatedClient

    from .api import Generation

logger = logging.getLogger(__name__)

_INPUT_HINT = "A local file path, an http(s) URL or a data:image/...;base64 URI."


@dataclass
class ImageTools:
    """The tools, bound to the settings and the one shared API client.

    The client is made on first use: building its TLS context would otherwise slow every
    start, including the many where a client only lists tools.
    """

    settings: Settings
    client: AuthenticatedClient | None = None

    def api_client(self) -> AuthenticatedClient:
        if self.client is None:
            from .http import client_for

            self.client = client_for(self.settings)
        return self.client

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.get_async_httpx_client().aclose()

    async def generate_image(
        self,
        prompt: Annotated[str, prompt_field("text-to-image")],
        model: Annotated[str, model_field("text-to-image", DEFAULT_GENERATE_MODEL)] = DEFAULT_GENERATE_MODEL,
        negative_prompt: Annotated[str | None, option("negative_prompt")] = None,
        image_size: Annotated[str | None, option("image_size")] = None,
        batch_size: Annotated[int | None, option("batch_size")] = None,
        seed: Annotated[int | None, option("seed")] = None,
        num_inference_steps: Annotated[int | None, option("num_inference_steps")] = None,
        guidance_scale: Annotated[float | None, option("guidance_scale")] = None,
        cfg: Annotated[float | None, option("cfg")] = None,
        ctx: Ctx | None = None,
    ) -> Annotated[CallToolResult, ImageResult]:
        options = {
            "negative_prompt": negative_prompt,
            "image_size": image_size,
            "batch_size": batch_size,
            "seed": seed,
            "num_inference_steps": num_inference_steps,
            "guidance_scale": guidance_scale,
            "cfg": cfg,
        }
        return await self._create("generate_image", model, prompt, options, Progress(ctx))

    async def edit_image(
        self,
        image: Annotated[str, option("image", _INPUT_HINT)],
        prompt: Annotated[str, prompt_field("edit")],
        model: Annotated[str, model_field("edit", DEFAULT_EDIT_MODEL)] = DEFAULT_EDIT_MODEL,
        image2: Annotated[str | None, option("image2", _INPUT_HINT)] = None,
        image3: Annotated[str | None, option("image3", _INPUT_HINT)] = None,
        negative_prompt: Annotated[str | None, option("negative_prompt")] = None,
        seed: Annotated[int | None, option("seed")] = None,
        num_inference_steps: Annotated[int | None, option("num_inference_steps")] = None,
        cfg: Annotated[float | None, option("cfg")] = None,
        ctx: Ctx | None = None,
    ) -> Annotated[CallToolResult, ImageResult]:
        options = {
            "image": image,
            "image2": image2,
            "image3": image3,
            "negative_prompt": negative_prompt,
            "seed": seed,
            "num_inference_steps": num_inference_steps,
            "cfg": cfg,
        }
        return await self._create("edit_image", model, prompt, options, Progress(ctx))

    async def list_models(self) -> Annotated[CallToolResult, ModelsResult]:
        live: list[str] | None = None
        error: str | None = None
        if self._key_missing():
            error = "SILICONFLOW_API_KEY is not set, so the account's list was not fetched."
        else:
            from . import api

            try:
                live = await api.image_model_ids(self.api_client())
            except ToolError as exc:
                error = self._redact(str(exc))
        entries = [table_entry(caps, None if live is None else caps.name in live) for caps in MODELS.values()]
        entries += [unknown_entry(name) for name in live or [] if name not in MODELS]
        result = ModelsResult(models=entries, live_checked=live is not None, live_error=error)
        return CallToolResult(
            content=[TextContent(type="text", text=describe_models(result))],
            structured_content=result.model_dump(mode="json"),
        )

    async def _create(
        self, tool: rules.ToolName, model: str, prompt: str, options: Mapping[str, Any], progress: Progress
    ) -> CallToolResult:
        try:
            return await self._create_unredacted(tool, model, prompt, options, progress)
        except ToolError as exc:
            raise ToolError(self._redact(str(exc))) from None

    async def _create_unredacted(
        self, tool: rules.ToolName, model: str, prompt: str, options: Mapping[str, Any], progress: Progress
    ) -> CallToolResult:
        rules.check_request(tool, model, prompt, options)
        if self._key_missing():
            raise ToolError(
                "SILICONFLOW_API_KEY is not set, so this server cannot call SiliconFlow. Ask the user to set it "
                "in the MCP client's configuration of siliconflow-images mcp (a key from cloud.siliconflow.cn for the "
                "default api.siliconflow.cn, or from cloud.siliconflow.com with SILICONFLOW_BASE_URL="
                "https://api.siliconflow.com/v1), or to start the server with --offline to try it out."
            )
        from . import api

        images = await self._load_images(options, progress)
        values = {**options, **{name: found.value for name, found in images.items()}}
        payload = rules.build_payload(model, prompt, values)
        logger.info("%s: %s", tool, _loggable(payload, images))
        await progress(f"sending the request to {model}")
        generation = await progress.while_waiting(
            f"waiting for {model}", functools.partial(api.create_images, self.api_client(), payload)
        )
        saved = await self._fetch_and_save(model, generation, progress)
        parameters = {k: v for k, v in payload.items() if k not in ("prompt", *IMAGE_FIELDS)}
        parameters.update({name: found.summary for name, found in images.items()})
        return self._result(tool, generation, saved, parameters)

    async def _load_images(self, options: Mapping[str, Any], progress: Progress) -> dict[str, ImageInput]:
        found: dict[str, ImageInput] = {}
        for name in IMAGE_FIELDS:
            raw = options.get(name)
            if raw is None:
                continue
            await progress(f"checking {name}")
            found[name] = await anyio.to_thread.run_sync(self._load_one, name, raw)
        return found

    def _load_one(self, name: str, raw: str) -> ImageInput:
        s = self.settings
        return load_image_input(
            name, raw, allowed_dirs=s.allowed_dirs, base_dir=s.output_dir, max_bytes=s.max_input_bytes
        )

    async def _fetch_and_save(
        self, model: str, generation: Generation, progress: Progress
    ) -> list[tuple[SavedFile, str, tuple[str, str] | None]]:
        """Download every image at once, save each that arrived, and fail if any did not."""
        from .api import MAYBE_BILLED, download_image

        count = len(generation.urls)
        fetched: list[bytes | DownloadError | None] = [None] * count
        http = self.api_client().get_async_httpx_client()
        await progress(f"downloading {count} image{'s' if count > 1 else ''}")

        async def fetch(i: int, url: str) -> None:
            try:
                fetched[i] = await download_image(http, url)
            except DownloadError as exc:
                fetched[i] = exc

        async with anyio.create_task_group() as group:
            for i, url in enumerate(generation.urls):
                group.start_soon(fetch, i, url)

        when = datetime.now()
        budget = preview_budget(self.settings.preview_bytes, count)
        outcomes: list[Kept | None] = [None] * count

        async def keep(i: int, data: bytes) -> None:
            stem = file_stem(model, generation.seed, when, i + 1 if count > 1 else None)
            outcomes[i] = await save_and_preview(data, self.settings.output_dir, stem, budget)

        # Every image of a batch at once: decoding, scaling and fsync leave the GIL, so they overlap.
        async with anyio.create_task_group() as group:
            for i, data in enumerate(fetched):
                if isinstance(data, bytes):
                    group.start_soon(keep, i, data)

        saved: list[tuple[SavedFile, str, tuple[str, str] | None]] = []
        failures: list[str] = []
        for i, (data, outcome) in enumerate(zip(fetched, outcomes, strict=True)):
            if not isinstance(data, bytes):
                failures.append(f"image {i + 1} of {count} could not be downloaded: {data}")
                continue
            assert outcome is not None  # every image that arrived went through keep()
            file, small = outcome
            if isinstance(file, DownloadError):
                failures.append(f"image {i + 1} of {count}: {file}")
                continue
            if isinstance(file, OSError):
                raise ToolError(
                    f"Could not save to {self.settings.output_dir} ({file.strerror}); set "
                    "SILICONFLOW_OUTPUT_DIR to a writable folder. " + MAYBE_BILLED
                ) from None
            if isinstance(file, Exception):
                raise file
            if isinstance(small, Exception):
                raise small
            saved.append((file, generation.urls[i], small))
        if failures:
            kept = "; ".join(str(file.path) for file, _, _ in saved) or "none"
            raise ToolError(
                f"SiliconFlow made the images but {'; '.join(failures)}. Saved: {kept}. "
                f"Trace id {generation.trace_id}."
                + ("" if self.settings.offline else " The call was billed; generating again costs again.")
            )
        await progress("saved")
        return saved

    def _result(
        self,
        tool: str,
        generation: Generation,
        saved: list[tuple[SavedFile, str, tuple[str, str] | None]],
        parameters: dict[str, Any],
    ) -> CallToolResult:
        model = str(parameters["model"])
        notes = [OFFLINE_NOTE] if self.settings.offline else []
        result = ImageResult(
            model=model,
            seed=generation.seed,
            inference_seconds=generation.inference_seconds,
            trace_id=generation.trace_id,
            images=[
                SavedImage(
                    path=str(file.path),
                    uri=file.path.as_uri(),
                    url=url,
                    width=file.width,
                    height=file.height,
                    bytes=file.size,
                    mime_type=file.mime_type,
                )
                for file, url, _ in saved
            ],
            parameters=parameters,
            offline=self.settings.offline,
            notes=notes,
        )
        content: list[ContentBlock] = [TextContent(type="text", text=describe_images(tool, result))]
        for file, _, small in saved:
            if small is not None:
                content.append(ImageContent(type="image", data=small[0], mime_type=small[1]))
            content.append(
                ResourceLink(
                    type="resource_link",
                    uri=file.path.as_uri(),
                    name=file.path.name,
                    description=f"Full-size image ({file.width}x{file.height}) saved by siliconflow-images mcp.",
                    mime_type=file.mime_type,
                    size=file.size,
                )
            )
        return CallToolResult(content=content, structured_content=result.model_dump(mode="json"))

    def _key_missing(self) -> bool:
        return not self.settings.offline and not self.settings.api_key

    def _redact(self, text: str) -> str:
        key = self.settings.api_key
        return text.replace(key, "[redacted]") if key else text


def _loggable(payload: Mapping[str, Any], images: Mapping[str, ImageInput]) -> dict[str, Any]:
    # Data URIs are megabytes of base64: log what they are, not what they hold.
    shown = dict(payload)
    shown.update({name: found.summary for name, found in images.items()})
    return shown
