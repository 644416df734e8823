"""The three tools: thin, on the SDK. Each is a plain async method: the server registers them, tests call them.

A call is checked before anything is sent (the model table, the account's live list, the
output folder), and once SiliconFlow has answered, the images are paid for: the ledger says
so first, then the downloads, saves and previews run shielded from cancellation, bounded in
time, so a client that gives up still finds its images on disk.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent

from siliconflow_images import Clock, DownloadError, SaveError, SystemClock, rules
from siliconflow_images.catalog import default_model
from siliconflow_images.config import timeouts
from siliconflow_images.files import unwritable
from siliconflow_images.redaction import Redactor, clip
from siliconflow_models import MODELS
from siliconflow_models.capabilities import Task

from .account import AccountModels
from .config import Settings
from .inputs import ResolvedInput, resolve
from .ledger import Ledger
from .library import Library
from .previews import StreamingPreview, preview_budget
from .progress import Ctx, Progress
from .results import OFFLINE_NOTE, describe_models, image_result, table_entry, unknown_entry
from .schemas import ImageResult, ModelsResult
from .schemas import field as arg
from .tool_errors import NO_KEY, WORDING, as_tool_errors, no_default_model, unwritable_folder

if TYPE_CHECKING:
    from siliconflow_images import AsyncGeneration, AsyncSiliconFlow

logger = logging.getLogger(__name__)

AspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3"]
KEEP_DEADLINE_EXTRA = 60.0
"""Seconds past the download deadline allowed for writing files and previews, cancelled or not."""


@dataclass
class ImageTools:
    """The tools, bound to the settings, the saved images and one shared SDK client.

    The client is made on first use: building its TLS context would otherwise slow every
    start, including the many where a client only lists tools.
    """

    settings: Settings
    client: AsyncSiliconFlow | None = None
    clock: Clock = field(default_factory=SystemClock)
    """Time for the SDK's retries and the account list's freshness: tests pass one that never waits."""
    library: Library = field(init=False)
    ledger: Ledger = field(init=False)
    account: AccountModels = field(init=False)

    def __post_init__(self) -> None:
        self.library = Library(self.settings.output_dir)
        self.ledger = Ledger(self.settings.output_dir)
        self.account = AccountModels(self.clock)
        self.redact = Redactor(self.settings.secrets)

    def api(self) -> AsyncSiliconFlow:
        if self.client is None:
            if not self.settings.api_key:
                raise ToolError(NO_KEY)
            # Imported on the first call, not at start: the HTTP client is a tenth of a second to load.
            from siliconflow_images import AsyncSiliconFlow

            s = self.settings
            self.client = AsyncSiliconFlow(
                api_key=s.api_key,
                base_url=s.base_url,
                site=s.site.name if s.site is not None else None,
                timeout=timeouts(s.timeout, s.connect_timeout),
                max_retries=s.max_retries,
                retry_budget=s.retry_budget,
                limits=s.limits,
                clock=self.clock,
                wording=WORDING,
            )
        return self.client

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def generate_image(
        self,
        prompt: Annotated[str, arg("prompt")],
        model: Annotated[str | None, arg("model")] = None,
        aspect_ratio: Annotated[AspectRatio | None, arg("aspect_ratio")] = None,
        image_size: Annotated[str | None, arg("image_size")] = None,
        negative_prompt: Annotated[str | None, arg("negative_prompt")] = None,
        batch_size: Annotated[int | None, arg("batch_size")] = None,
        seed: Annotated[int | None, arg("seed")] = None,
        num_inference_steps: Annotated[int | None, arg("num_inference_steps")] = None,
        guidance_scale: Annotated[float | None, arg("guidance_scale")] = None,
        cfg: Annotated[float | None, arg("cfg")] = None,
        output_format: Annotated[Literal["png", "jpeg"] | None, arg("output_format")] = None,
        prompt_enhancement: Annotated[bool | None, arg("prompt_enhancement")] = None,
        ctx: Ctx | None = None,
    ) -> Annotated[CallToolResult, ImageResult]:
        options = {
            "image_size": image_size,
            "negative_prompt": negative_prompt,
            "batch_size": batch_size,
            "seed": seed,
            "num_inference_steps": num_inference_steps,
            "guidance_scale": guidance_scale,
            "cfg": cfg,
            "output_format": output_format,
            "prompt_enhancement": prompt_enhancement,
        }
        return await self._create("generate_image", model, prompt, options, {}, aspect_ratio, ctx)

    async def edit_image(
        self,
        image: Annotated[str, arg("image")],
        prompt: Annotated[str, arg("prompt")],
        model: Annotated[str | None, arg("model")] = None,
        image2: Annotated[str | None, arg("image2")] = None,
        image3: Annotated[str | None, arg("image3")] = None,
        aspect_ratio: Annotated[AspectRatio | None, arg("aspect_ratio")] = None,
        image_size: Annotated[str | None, arg("image_size")] = None,
        negative_prompt: Annotated[str | None, arg("negative_prompt")] = None,
        batch_size: Annotated[int | None, arg("batch_size")] = None,
        seed: Annotated[int | None, arg("seed")] = None,
        num_inference_steps: Annotated[int | None, arg("num_inference_steps")] = None,
        guidance_scale: Annotated[float | None, arg("guidance_scale")] = None,
        cfg: Annotated[float | None, arg("cfg")] = None,
        ctx: Ctx | None = None,
    ) -> Annotated[CallToolResult, ImageResult]:
        options = {
            "image_size": image_size,
            "negative_prompt": negative_prompt,
            "batch_size": batch_size,
            "seed": seed,
            "num_inference_steps": num_inference_steps,
            "guidance_scale": guidance_scale,
            "cfg": cfg,
        }
        images = {"image": image, "image2": image2, "image3": image3}
        return await self._create("edit_image", model, prompt, options, images, aspect_ratio, ctx)

    async def list_models(self) -> Annotated[CallToolResult, ModelsResult]:
        site = self.settings.site
        live: frozenset[str] | None = None
        error: str | None = NO_KEY
        if self.settings.api_key:
            live, error = await self.account.available(self.api(), fresh=True)
        shown = [
            caps
            for caps in MODELS.values()
            if site is None or site.name in caps.sites or (live is not None and caps.name in live)
        ]
        entries = [table_entry(caps, None if live is None else caps.name in live) for caps in shown]
        entries += [unknown_entry(name) for name in sorted(live or ()) if name not in MODELS]
        result = ModelsResult(
            site=site.name if site is not None else None,
            models=entries,
            live_checked=live is not None,
            live_error=self.redact(error) if error else None,
        )
        return CallToolResult(
            content=[TextContent(type="text", text=describe_models(result))],
            structured_content=result.model_dump(mode="json"),
        )

    async def _create(
        self,
        tool: str,
        model: str | None,
        prompt: str,
        options: Mapping[str, Any],
        images: Mapping[str, str | None],
        aspect_ratio: str | None,
        ctx: Ctx | None,
    ) -> CallToolResult:
        task: Task = "edit" if tool == "edit_image" else "text-to-image"
        progress = Progress(ctx)
        with as_tool_errors(self.redact, self.ledger.path):
            client = self.api()
            available, _ = await self.account.available(client)
            model = model if model is not None else self._default(task, available)
            sent, notes = self._check(task, model, prompt, options, images, aspect_ratio, available)
            await anyio.to_thread.run_sync(self._check_output_folder)
            inputs = {
                name: await resolve(name, raw, self.settings, self.library)
                for name, raw in images.items()
                if raw
            }
            logger.info("%s: %s %s %r", tool, model, sent, clip(prompt, 200))
            await progress(f"sending the request to {model}")
            call = self._call(client, task, model, prompt, sent, inputs)
            generation = await progress.while_waiting(f"waiting for {model}", call)
            # From here the images are paid for.
            self.ledger.answered(tool, generation)
            previews = await self._keep_in_time(generation, progress)
        parameters = {**generation.parameters, **{name: found.summary for name, found in inputs.items()}}
        if self.settings.offline:
            notes.append(OFFLINE_NOTE)
        return image_result(tool, generation, previews, parameters, notes, self.settings.offline)

    def _default(self, task: Task, available: frozenset[str] | None) -> str:
        chosen = default_model(task, self.settings.site, available)
        if chosen is None:
            raise no_default_model(task)
        return chosen

    def _check(
        self,
        task: Task,
        model: str,
        prompt: str,
        options: Mapping[str, Any],
        images: Mapping[str, str | None],
        aspect_ratio: str | None,
        available: frozenset[str] | None,
    ) -> tuple[dict[str, Any], list[str]]:
        """The options to send (the aspect ratio turned into a size), or ToolError: nothing sent."""
        sent = rules.given(options)
        notes: list[str] = []
        problems = rules.apply_aspect_ratio(model, aspect_ratio, sent) if aspect_ratio is not None else []
        if aspect_ratio is not None and not problems:
            notes.append(
                f"aspect_ratio {aspect_ratio}: used image_size {sent['image_size']}, {model}'s nearest listed size."
            )
        present = {name: "given" for name, raw in images.items() if raw}
        problems += rules.problems(
            task,
            model,
            prompt,
            {**sent, **present},
            site=self.settings.site,
            available=available,
            limits=self.settings.limits,
            wording=WORDING,
        )
        if problems:
            raise rules.refusal(model, problems)
        return sent, notes

    def _check_output_folder(self) -> None:
        """Refuse before spending when the images could not be kept."""
        problem = unwritable(self.settings.output_dir)
        if problem:
            raise unwritable_folder(self.settings.output_dir, problem)

    def _call(
        self,
        client: AsyncSiliconFlow,
        task: Task,
        model: str,
        prompt: str,
        sent: dict[str, Any],
        inputs: Mapping[str, ResolvedInput],
    ) -> Callable[[], Awaitable[AsyncGeneration]]:
        images: dict[str, Any] = {name: found.value for name, found in inputs.items()}
        create = client.images.edit if task == "edit" else client.images.generate
        return functools.partial(create, model=model, prompt=prompt, **images, **sent)

    def _keep_deadline(self) -> float:
        return self.settings.limits.download_deadline + KEEP_DEADLINE_EXTRA

    async def _keep_in_time(
        self, generation: AsyncGeneration, progress: Progress
    ) -> list[tuple[str, str] | None]:
        """`_keep`, shielded from the client's cancel but not past the deadline; a late save is a failed one."""
        deadline = self._keep_deadline()
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(deadline):
                return await self._keep(generation, progress)
            # The images are billed: the ledger and the model learn where they still are, as for
            # any other failed save, rather than an exception no one catches.
            late = generation.cut_short(f"not saved within the {deadline:g} s this server allows")
            await anyio.to_thread.run_sync(self.ledger.failed, generation, str(late))
        raise late

    async def _keep(self, generation: AsyncGeneration, progress: Progress) -> list[tuple[str, str] | None]:
        """Download, save and preview every image at once; the ledger says how it ended."""
        count = len(generation.images)
        budget = preview_budget(self.settings.preview_bytes, count)
        jobs = [StreamingPreview(budget) for _ in range(count)]
        made: list[tuple[str, str] | None] = [None] * count
        await progress(f"downloading {count} image{'s' if count > 1 else ''}")

        async def preview_one(index: int) -> None:
            made[index] = await jobs[index].make()

        def feed(index: int, chunk: bytes) -> None:
            jobs[index].feed(chunk)

        paths: list[Path] = []
        failure: DownloadError | SaveError | None = None
        async with anyio.create_task_group() as group:
            for index in range(count):
                group.start_soon(preview_one, index)
            try:
                paths = await generation.save(self.settings.output_dir, observe=feed if budget > 0 else None)
            except (DownloadError, SaveError) as exc:
                failure = exc  # raised below, outside the group, so not wrapped in an ExceptionGroup
            finally:
                for job in jobs:
                    job.finish()
        if failure is not None:
            await anyio.to_thread.run_sync(self.ledger.failed, generation, str(failure))
            raise failure
        await anyio.to_thread.run_sync(self.ledger.saved, generation, paths)
        await progress("saved")
        return made
