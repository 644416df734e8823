"""The ASGI app: routes, authentication, and the trace id every response carries."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from typing import Final

from anyio import CapacityLimiter
from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from siliconflow_models import TRACE_HEADER, ModelSubType, ModelType

from . import responses
from .catalogue import served_models
from .downloads import serve_file
from .encoding import FORMATS, FileFormat, format_of
from .faults import add_request_latency, take_extra_urls, take_fault
from .hosts import LoopbackHostMiddleware
from .images import Finish
from .inference import choose_seed, infer
from .inputs import FILES_PREFIX, InputSources, load_input
from .responses import ApiError
from .settings import EmulatorSettings
from .storage import ImageStore
from .validation import GenerationPlan, parse_generation

logger = logging.getLogger("siliconflow_emulator")

MAX_BODY_BYTES: Final = 96 * 1024 * 1024
"""Room for three 20 MiB input images as base64, with the rest of the request."""


def create_app(settings: EmulatorSettings | None = None, *, loopback_only: bool = True) -> Starlette:
    """The emulator as a Starlette app; `settings` stays shared, so changing it takes effect live.

    `loopback_only` answers 400 to any request whose Host header is not a loopback address
    (hosts.py says why); turn it off only for an app served beyond loopback, with `api_keys`.
    """
    emulator = _Emulator(settings if settings is not None else EmulatorSettings())
    middleware = [Middleware(TraceIdMiddleware)]
    if loopback_only:
        middleware.append(Middleware(LoopbackHostMiddleware))
    app = Starlette(
        routes=[
            Route("/v1/images/generations", emulator.generate, methods=["POST"]),
            Route("/v1/models", emulator.list_models, methods=["GET"]),
            Route(FILES_PREFIX + "{name}", emulator.download, methods=["GET"]),
        ],
        middleware=middleware,
        exception_handlers={404: _not_found, 405: _method_not_allowed},
    )
    # Exact paths only: `/v1/models/` is another, unknown path (404), not a redirect.
    app.router.redirect_slashes = False
    return app


class TraceIdMiddleware:
    """Stamps `x-siliconcloud-trace-id` on every response, errors and 404s included, as the API does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = "ti_" + secrets.token_hex(8)

        async def send_with_trace(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(TRACE_HEADER, trace_id)
            await send(message)

        await self.app(scope, receive, send_with_trace)


class _Emulator:
    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self.store = ImageStore(
            ttl=lambda: settings.image_ttl,
            max_bytes=settings.max_stored_bytes,
            clock=lambda: settings.clock(),
        )
        self.pillow_threads = CapacityLimiter(settings.render_threads)

    async def generate(self, request: Request) -> Response:
        if not _authorized(request, self.settings.api_keys):
            return responses.invalid_token()
        faults = self.settings.faults
        await add_request_latency(faults)
        fault = take_fault(faults)
        if fault is not None:
            logger.info("generation answered %s by an injected fault", fault.status_code)
            return fault
        try:
            plan = parse_generation(await _read_body(request), site=self.settings.site)
            sources = InputSources(_origin(request), self.own_file, self.settings.fetch_loopback)
            inputs = [
                await load_input(field, value, sources, self.pillow_threads) for field, value in plan.inputs
            ]
            return await self._answer(request, plan, inputs)
        except ApiError as error:
            logger.info("generation refused: %s", error.message)
            return error.response()
        except Exception:
            # A bug here must still answer in the API's shape (and with a trace id).
            logger.exception("generation failed")
            return responses.internal_error()

    async def _answer(self, request: Request, plan: GenerationPlan, inputs: list[Image.Image]) -> Response:
        req = plan.request
        seed = req.seed if isinstance(req.seed, int) else choose_seed(plan.capabilities)
        faults = self.settings.faults
        count = take_extra_urls(faults) or plan.count
        finish = Finish(FORMATS[plan.output_format], self.settings.photo_like)
        started = time.perf_counter()
        pictures = await infer(plan, seed, inputs, count, finish, faults, self.pillow_threads)
        inference = time.perf_counter() - started
        origin = _origin(request)
        suffix = finish.file_format.suffix
        images = [{"url": f"{origin}{FILES_PREFIX}{self.store.put(data)}{suffix}"} for data in pictures]
        logger.info("generated %d image(s) with %s in %.3fs", len(images), req.model, inference)
        return JSONResponse(
            {
                "images": images,
                "timings": {"inference": round(inference, 4)},
                "seed": seed,
                "shared_id": secrets.token_hex(8),
                "data": images,
                "created": int(time.time()),
            }
        )

    async def list_models(self, request: Request) -> Response:
        if not _authorized(request, self.settings.api_keys):
            return responses.invalid_token()
        try:
            kind = _enum_query(request, "type", [member.value for member in ModelType])
            task = _enum_query(request, "sub_type", [member.value for member in ModelSubType])
        except ApiError as error:
            return error.response()
        # Every model of the spec's table is an image model: this is the image API's table.
        listed = [
            {"id": capabilities.name, "object": "model", "created": 0, "owned_by": ""}
            for capabilities in served_models(self.settings.site)
            if kind in (None, ModelType.image.value) and task in (None, capabilities.sub_type)
        ]
        return JSONResponse({"object": "list", "data": listed})

    async def download(self, request: Request) -> Response:
        found = self._find(request.path_params["name"])
        if found is None:
            return responses.not_found()
        return serve_file(*found, self.settings.faults)

    def own_file(self, name: str) -> bytes | None:
        """An image file by its name under /files/, read from the store: no HTTP, no download fault."""
        found = self._find(name)
        return None if found is None else found[0]

    def _find(self, name: str) -> tuple[bytes, FileFormat] | None:
        image_id, dot, suffix = name.partition(".")
        data = self.store.get(image_id) if dot else None
        file_format = None if data is None else format_of(data)
        if data is None or file_format is None or file_format.suffix != dot + suffix:
            return None
        return data, file_format


def _origin(request: Request) -> str:
    # The origin the client reached: the one its image URLs must carry to work for it.
    return f"{request.url.scheme}://{request.url.netloc}"


def _authorized(request: Request, keys: frozenset[str]) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return False
    if not keys:
        return True
    return any(hmac.compare_digest(token.encode(), key.encode()) for key in keys)


def _enum_query(request: Request, name: str, allowed: list[str]) -> str | None:
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(f"Invalid query parameter `{name}`: give it once.", data=name)
    if values[0] not in allowed:
        raise ApiError(f"Invalid query parameter `{name}`: expected one of {', '.join(allowed)}.", data=name)
    return values[0]


async def _read_body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(f"The request body is over {MAX_BODY_BYTES // 2**20} MiB.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _not_found(request: Request, exc: Exception) -> Response:
    return responses.not_found()


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    allow = exc.headers.get("Allow", "") if isinstance(exc, HTTPException) and exc.headers else ""
    return responses.method_not_allowed(allow)
