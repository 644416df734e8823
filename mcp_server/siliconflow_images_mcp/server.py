"""The MCP server: three tools, the saved images as resources, and running it over stdio or HTTP."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final, Literal

import anyio
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.server.mcpserver.tools import Tool
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE
from mcp.types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    ListResourcesResult,
    PaginatedRequestParams,
    PromptReference,
    Resource,
    ResourceTemplate,
    ResourceTemplateReference,
    ToolAnnotations,
)
from pydantic import AnyUrl

from siliconflow_images.files import remove_stale_parts, unwritable

from . import descriptions, icons
from .config import Settings
from .http_access import BearerTokenMiddleware, Exposure
from .library import IMAGE_TEMPLATE, METADATA_TEMPLATE, PREFIX, Library, NotInLibrary, split_uri
from .schemas import IMAGE_FORMS, offered, published
from .tools import ImageTools

logger = logging.getLogger(__name__)

Transport = Literal["stdio", "streamable-http"]
PAGE_SIZE: Final = 50
SHUTDOWN_GRACE: Final = 5
"""Seconds a stopping HTTP server waits for requests under way."""

# They make new files and cost money each time, but never change or delete anything. Hints left
# out take the specification's defaults (not read-only, not idempotent, open world).
CREATES_IMAGES = ToolAnnotations(destructive_hint=False)
READS_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True)

INSTRUCTIONS = (
    "Create and edit images with SiliconFlow. generate_image makes pictures from a prompt; edit_image "
    f"changes or combines images, each given as {IMAGE_FORMS} list_models says which models and options "
    "exist. Image calls cost money. Saved images are resources: siliconflow://images/<id> (and /metadata)."
)


class ImageServer(MCPServer[Any]):
    """An MCPServer whose resources are the saved images, listed newest first, page by page."""

    def __init__(self, library: Library, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.library = library
        # MCPServer lists only resources registered up front; the images change with every call.
        self._lowlevel_server.add_request_handler("resources/list", PaginatedRequestParams, self._list_images)
        self.completion()(self._complete)  # type: ignore[no-untyped-call]

    async def _list_images(self, ctx: Any, params: PaginatedRequestParams | None) -> ListResourcesResult:
        cursor = params.cursor if params is not None else None
        try:
            page, next_cursor = await anyio.to_thread.run_sync(self.library.page, cursor, PAGE_SIZE)
        except NotInLibrary as exc:
            raise ResourceError(str(exc)) from None
        resources = [
            Resource(uri=entry.uri, name=entry.id, mime_type=entry.mime_type, size=entry.bytes)
            for entry in page
        ]
        return ListResourcesResult(resources=resources, next_cursor=next_cursor)

    async def list_resource_templates(self) -> list[ResourceTemplate]:
        return [
            ResourceTemplate(
                uri_template=IMAGE_TEMPLATE,
                name="image",
                description="A saved image, whole (PNG or JPEG). id: its file name; `last` is the newest.",
            ),
            ResourceTemplate(
                uri_template=METADATA_TEMPLATE,
                name="image-metadata",
                description="How a saved image was made: prompt, model, parameters, seed, trace id, size, time.",
                mime_type="application/json",
            ),
            *await super().list_resource_templates(),
        ]

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[Any, Any] | None = None
    ) -> Iterable[ReadResourceContents]:
        text = str(uri)
        named = split_uri(text)
        if named is None:
            raise ResourceNotFoundError(
                f"{text[:120]!r} is not served here: this server serves {PREFIX}<id> only."
            )
        image_id, wants_metadata = named
        try:
            # A look at the disk, like listing and completion: in a worker thread, off the event loop.
            return [await anyio.to_thread.run_sync(self._read, image_id, wants_metadata)]
        except NotInLibrary as exc:
            raise ResourceNotFoundError(str(exc)) from None
        except OSError:
            raise ResourceNotFoundError(f"{image_id[:120]} cannot be read now") from None

    def _read(self, image_id: str, wants_metadata: bool) -> ReadResourceContents:
        entry = self.library.resolve(image_id) or self.library.get(image_id)
        if wants_metadata:
            metadata = json.dumps(self.library.metadata(entry), ensure_ascii=False)
            return ReadResourceContents(content=metadata, mime_type="application/json")
        return ReadResourceContents(content=self.library.read(entry), mime_type=entry.mime_type)

    async def _complete(
        self,
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        if not isinstance(ref, ResourceTemplateReference) or argument.name != "id":
            return None
        ids = await anyio.to_thread.run_sync(self.library.complete, argument.value)
        return Completion(values=ids, total=len(ids), has_more=False)


def _tool(
    fn: Any,
    name: str,
    title: str,
    description: str,
    annotations: ToolAnnotations,
    icon: Any,
    keep: Iterable[str] | None,
) -> Tool:
    """A tool whose published schemas carry only what an agent needs (and only the fields it offers)."""
    tool = Tool.from_function(
        fn,
        name=name,
        title=title,
        description=description,
        annotations=annotations,
        icons=icon,
        structured_output=True,
    )
    parameters = published(tool.parameters, output=False)
    if keep is not None:
        allowed = set(keep)
        parameters["properties"] = {k: v for k, v in parameters["properties"].items() if k in allowed}
    tool.parameters = parameters
    if tool.fn_metadata.output_schema is not None:
        tool.fn_metadata.output_schema = published(tool.fn_metadata.output_schema, output=True)
    return tool


def build_server(settings: Settings, tools: ImageTools | None = None) -> ImageServer:
    tools = tools if tools is not None else ImageTools(settings)
    site = settings.described_site
    generate_fields = ("prompt", "model", "aspect_ratio", *offered("text-to-image", site))
    # `image` is required whatever the site's models take; image2 and image3 come with the models that do.
    edit_fields = ("image", "prompt", "model", "aspect_ratio", *offered("edit", site))
    registered = [
        _tool(tools.generate_image, "generate_image", "Generate images",
              descriptions.generate_image(settings), CREATES_IMAGES, icons.GENERATE, generate_fields),
        _tool(tools.edit_image, "edit_image", "Edit images",
              descriptions.edit_image(settings), CREATES_IMAGES, icons.EDIT, edit_fields),
        _tool(tools.list_models, "list_models", "List image models",
              descriptions.list_models(settings), READS_ONLY, icons.LIST, None),
    ]  # fmt: skip
    return ImageServer(
        tools.library,
        name="siliconflow-images",
        title="SiliconFlow images",
        instructions=INSTRUCTIONS,
        version=_version(),
        icons=icons.SERVER,
        log_level=settings.log_level,
        tools=registered,
    )


def prepare_output_folder(settings: Settings) -> str | None:
    """Make the output folder, clear what crashed runs left in it; why it cannot be written, if so."""
    folder = settings.output_dir
    problem = unwritable(folder)
    if problem:
        return problem
    for part in remove_stale_parts(folder):
        logger.info("removed %s, left by an interrupted save", part.name)
    return None


async def serve(settings: Settings, exposure: Exposure | None = None) -> None:
    """Over stdio until the client disconnects; given the policy of an HTTP bind, over HTTP until stopped."""
    transport: Transport = "stdio" if exposure is None else "streamable-http"
    problem = prepare_output_folder(settings)
    if problem:
        logger.warning(
            "the output folder %s cannot be written (%s): image calls will be refused until it can; "
            "set SILICONFLOW_OUTPUT_DIR to a writable folder",
            settings.output_dir,
            problem,
        )
    tools = ImageTools(settings)
    # One SDK client for the whole run, closed here rather than per session: HTTP serves many.
    try:
        server = build_server(settings, tools)
        where = settings.base_url + (" (offline emulator)" if settings.offline else "")
        logger.info(
            "siliconflow-images %s MCP over %s; API %s; saving to %s",
            _version(),
            transport,
            where,
            settings.output_dir,
        )
        if exposure is None:
            await server.run_stdio_async()
            return
        app: Any = server.streamable_http_app(
            transport_security=exposure.security,
            host=exposure.host,
            max_request_body_size=request_body_limit(settings),
        )
        if exposure.token:
            app = BearerTokenMiddleware(app, exposure.token)
        logger.info(
            "serving %s (%s)", exposure.url, "bearer token required" if exposure.token else "loopback only"
        )
        if exposure.advice:
            logger.info("%s", exposure.advice)
        # log_config=None: uvicorn's records go through this process's redacting handler. A stopped
        # server waits a while for calls under way (their images are paid for), not for ever for
        # streams a client left open.
        import uvicorn  # only for HTTP: a stdio server never loads it

        config = uvicorn.Config(
            app,
            host=exposure.host,
            port=exposure.port,
            log_config=None,
            log_level=settings.log_level.lower(),
            timeout_graceful_shutdown=SHUTDOWN_GRACE,
        )
        await uvicorn.Server(config).serve()
    finally:
        await tools.aclose()


def request_body_limit(settings: Settings) -> int:
    """Room for three input images sent as data URIs: the mcp package's 4 MiB default fits barely one."""
    base64_image = settings.max_input_bytes * 4 // 3 + 1024
    return max(DEFAULT_MAX_REQUEST_BODY_SIZE, 3 * base64_image + 1024 * 1024)


def _version() -> str:
    try:
        return version("siliconflow-images")
    except PackageNotFoundError:
        return "0"
