"""`SiliconFlow` and `AsyncSiliconFlow`: the front door, in front of the generated client.

The generated `siliconflow_client` builds each request and parses each success body, used as
generated; this module adds what it cannot know: configuration, the per-model rules, typed
errors, and what to do with the images.
"""

from __future__ import annotations

import copy
from typing import Any, Self, Unpack

import httpx

from siliconflow_client import Client
from siliconflow_client.api.images import create_image_generation
from siliconflow_client.api.models import list_models
from siliconflow_client.models import ImageGenerationRequest, ModelList
from siliconflow_models import MODELS, RequestOptions
from siliconflow_models.capabilities import SiteName, Task

from . import _download, _http, _messages
from ._answers import check_generation, error_for, malformed
from ._clock import SYSTEM_CLOCK, Clock
from ._download import ChunkObserver, Fetched
from ._messages import SDK_WORDING, Wording
from ._requests import Prepared, prepare_request
from .config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_BUDGET,
    ImageLimits,
    api_key_from,
    base_url_from,
    site_from,
    timeout_from,
)
from .errors import APIConnectionError, APITimeoutError, SiliconFlowError
from .generation import AsyncGeneration, Generation
from .inputs import ImageInput
from .redaction import Redactor
from .types import GeneratedImage, Model

_PARSE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, RecursionError)
"""What the generated parsers raise on a body that breaks the spec (`json` raises RecursionError
on deeply nested arrays, e.g. a 200 body of 100,000 `[`)."""


def _retry_settings(max_retries: int, retry_budget: float) -> tuple[int, float]:
    # Checked for with_options() too: a negative budget would otherwise mean no limit at all.
    if max_retries < 0 or retry_budget < 0:
        raise SiliconFlowError("max_retries and retry_budget must not be negative.")
    return max_retries, retry_budget


class _Configured:
    """What both clients share: settings, the rules, and reading answers. No I/O here."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        site: SiteName | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        retry_budget: float,
        limits: ImageLimits | None,
        clock: Clock | None,
        wording: Wording | None,
    ) -> None:
        self.api_key = api_key_from(api_key)
        self.base_url = base_url_from(base_url)
        self.site = site_from(site, self.base_url)
        """The SiliconFlow site: `site=`, else SILICONFLOW_SITE, else the base URL's host (None for another host)."""
        self.timeout = timeout_from(timeout)
        self.max_retries, self.retry_budget = _retry_settings(max_retries, retry_budget)
        self.limits = limits if limits is not None else ImageLimits()
        self.clock = clock if clock is not None else SYSTEM_CLOCK
        self.wording = wording if wording is not None else SDK_WORDING
        """How refusals and errors name the caller's own actions (a front end passes its own)."""
        self.redact = Redactor([self.api_key])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _stack(self) -> _http.Stack:
        return _http.Stack(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            retry_budget=self.retry_budget,
            clock=self.clock,
            raise_for_status=self._raise_for_status,
        )

    def _raise_for_status(self, response: httpx.Response, body: bytes) -> None:
        raise error_for(
            response, body, base_url=self.base_url, site=self.site, redact=self.redact, wording=self.wording
        )

    def _reconfigured(
        self, timeout: float | httpx.Timeout | None, max_retries: int | None, budget: float | None
    ) -> Self:
        new = copy.copy(self)
        if timeout is not None:
            new.timeout = timeout_from(timeout)
        new.max_retries, new.retry_budget = _retry_settings(
            self.max_retries if max_retries is None else max_retries,
            self.retry_budget if budget is None else budget,
        )
        return new

    def _prepare(
        self,
        task: Task,
        model: str,
        prompt: str,
        options: RequestOptions,
        images: dict[str, ImageInput | None],
        aspect_ratio: str | None,
    ) -> tuple[Prepared, ImageGenerationRequest]:
        prepared = prepare_request(
            task,
            model,
            prompt,
            options,
            images,
            aspect_ratio=aspect_ratio,
            site=self.site,
            limits=self.limits,
        )
        return prepared, ImageGenerationRequest.from_dict(prepared.body)

    def _facts(self, prepared: Prepared, response: Any) -> dict[str, Any]:
        answered = check_generation(
            response.parsed, response.headers, asked=prepared.asked, redact=self.redact
        )
        return {
            "model": prepared.model,
            "prompt": prepared.prompt,
            "parameters": prepared.parameters,
            "images": tuple(GeneratedImage(url, i) for i, url in enumerate(answered.urls)),
            "seed": answered.seed,
            "inference_seconds": answered.inference_seconds,
            "trace_id": answered.trace_id,
            "created": answered.created,
            "expires_at": answered.expires_at,
            "site": self.site.name if self.site is not None else None,
        }

    def _models(self, response: Any) -> list[Model]:
        parsed = response.parsed
        if not isinstance(parsed, ModelList) or not all(isinstance(m.id, str) for m in parsed.data):
            raise malformed("the model list is not in the spec's shape")
        return [Model(info.id, MODELS.get(info.id)) for info in parsed.data]

    def _no_answer(self, exc: httpx.HTTPError, started: float) -> APIConnectionError:
        elapsed = self.clock.monotonic() - started
        name = type(exc).__name__
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            # A timeout, as openai-python users expect, but nothing reached a model.
            return APITimeoutError(_messages.could_not_connect(name, self.base_url, elapsed))
        if isinstance(exc, httpx.ConnectError):
            return APIConnectionError(_messages.could_not_connect(name, self.base_url, elapsed))
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(_messages.no_answer_in_time(name, elapsed), maybe_billed=True)
        return APIConnectionError(_messages.broke_mid_request(name), maybe_billed=True)


class SiliconFlow(_Configured):
    """A client of SiliconFlow's image API.

        client = SiliconFlow()  # SILICONFLOW_API_KEY, SILICONFLOW_BASE_URL
        result = client.images.generate(model="Qwen/Qwen-Image", prompt="a neon sign saying OPEN")
        paths = result.save("out")

    `timeout` is on by default (120 s to answer, 10 s to connect); 429, 503 and failures to
    connect are retried up to `max_retries` times within `retry_budget` seconds of waiting,
    504 and read timeouts at most once (the image may have been made and billed). Bring your
    own `http_client` (its proxies, TLS and limits apply) or `transport` (e.g. a MockTransport).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        site: SiteName | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_budget: float = DEFAULT_RETRY_BUDGET,
        limits: ImageLimits | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        wording: Wording | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            site=site,
            timeout=timeout,
            max_retries=max_retries,
            retry_budget=retry_budget,
            limits=limits,
            clock=clock,
            wording=wording,
        )
        self._pool, self._owns_pool = _http.pool(http_client, transport)
        self._downloads = _http.download_client(self._stack(), self._pool)
        self._connect()

    def _connect(self) -> None:
        self._api = _http.api_client(self._stack(), self._pool)
        self._generated = Client(base_url=self.base_url).set_httpx_client(self._api)
        self.images = Images(self)
        self.models = Models(self)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry_budget: float | None = None,
    ) -> SiliconFlow:
        """A client that differs only in these settings and shares this one's connections."""
        new = self._reconfigured(timeout, max_retries, retry_budget)
        new._owns_pool = False
        new._connect()
        return new

    def close(self) -> None:
        self._api.close()
        if self._owns_pool:
            self._downloads.close()
            self._pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fetch(self, url: str, observe: ChunkObserver | None) -> Fetched:
        return _download.fetch(self._downloads, url, self.limits, self.clock, observe)

    def _generate(self, prepared: Prepared, body: ImageGenerationRequest) -> Generation:
        started = self.clock.monotonic()
        try:
            response = create_image_generation.sync_detailed(client=self._generated, body=body)
        except httpx.HTTPError as exc:
            raise self._no_answer(exc, started) from None
        except _PARSE_ERRORS as exc:
            raise malformed(type(exc).__name__) from None
        return Generation(fetch=self._fetch, **self._facts(prepared, response))


class Images:
    """`client.images`: make images from a prompt, or edit given ones."""

    def __init__(self, client: SiliconFlow) -> None:
        self._client = client

    def generate(
        self, *, model: str, prompt: str, aspect_ratio: str | None = None, **options: Unpack[RequestOptions]
    ) -> Generation:
        """Make images from `prompt`. Only the options given are sent; the model's rules are checked first.

        `aspect_ratio` (e.g. "16:9") picks the model's recommended size nearest to it.
        Raises `RequestRefusedError` (nothing sent) or an `APIStatusError` subclass.
        """
        prepared, body = self._client._prepare("text-to-image", model, prompt, options, {}, aspect_ratio)
        return self._client._generate(prepared, body)

    def edit(
        self,
        *,
        model: str,
        prompt: str,
        image: ImageInput,
        image2: ImageInput | None = None,
        image3: ImageInput | None = None,
        aspect_ratio: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Generation:
        """Edit `image` (and combine `image2`, `image3` where the model takes them) following `prompt`.

        Each image is bytes, a `pathlib.Path`, an http(s) URL (sent as is) or a data URI.
        """
        images = {"image": image, "image2": image2, "image3": image3}
        prepared, body = self._client._prepare("edit", model, prompt, options, images, aspect_ratio)
        return self._client._generate(prepared, body)


class Models:
    """`client.models`: the image models the account offers now."""

    def __init__(self, client: SiliconFlow) -> None:
        self._client = client

    def list(self) -> list[Model]:
        """`GET /models?type=image`, each model with what the spec's table says of it."""
        client = self._client
        started = client.clock.monotonic()
        try:
            response = list_models.sync_detailed(client=client._generated, type_="image")
        except httpx.HTTPError as exc:
            raise client._no_answer(exc, started) from None
        except _PARSE_ERRORS as exc:
            raise malformed(type(exc).__name__) from None
        return client._models(response)


class AsyncSiliconFlow(_Configured):
    """The async client: the same as `SiliconFlow`, with `await` (asyncio or trio, through anyio)."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        site: SiteName | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_budget: float = DEFAULT_RETRY_BUDGET,
        limits: ImageLimits | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        wording: Wording | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            site=site,
            timeout=timeout,
            max_retries=max_retries,
            retry_budget=retry_budget,
            limits=limits,
            clock=clock,
            wording=wording,
        )
        self._pool, self._owns_pool = _http.async_pool(http_client, transport)
        self._downloads = _http.async_download_client(self._stack(), self._pool)
        self._connect()

    def _connect(self) -> None:
        self._api = _http.async_api_client(self._stack(), self._pool)
        self._generated = Client(base_url=self.base_url).set_async_httpx_client(self._api)
        self.images = AsyncImages(self)
        self.models = AsyncModels(self)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry_budget: float | None = None,
    ) -> AsyncSiliconFlow:
        """A client that differs only in these settings and shares this one's connections."""
        new = self._reconfigured(timeout, max_retries, retry_budget)
        new._owns_pool = False
        new._connect()
        return new

    async def aclose(self) -> None:
        await self._api.aclose()
        if self._owns_pool:
            await self._downloads.aclose()
            await self._pool.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _fetch(self, url: str, observe: ChunkObserver | None) -> Fetched:
        return await _download.afetch(self._downloads, url, self.limits, observe)

    async def _generate(self, prepared: Prepared, body: ImageGenerationRequest) -> AsyncGeneration:
        started = self.clock.monotonic()
        try:
            response = await create_image_generation.asyncio_detailed(client=self._generated, body=body)
        except httpx.HTTPError as exc:
            raise self._no_answer(exc, started) from None
        except _PARSE_ERRORS as exc:
            raise malformed(type(exc).__name__) from None
        return AsyncGeneration(fetch=self._fetch, **self._facts(prepared, response))


class AsyncImages:
    """`client.images` of the async client."""

    def __init__(self, client: AsyncSiliconFlow) -> None:
        self._client = client

    async def generate(
        self, *, model: str, prompt: str, aspect_ratio: str | None = None, **options: Unpack[RequestOptions]
    ) -> AsyncGeneration:
        """As `SiliconFlow.images.generate`."""
        prepared, body = self._client._prepare("text-to-image", model, prompt, options, {}, aspect_ratio)
        return await self._client._generate(prepared, body)

    async def edit(
        self,
        *,
        model: str,
        prompt: str,
        image: ImageInput,
        image2: ImageInput | None = None,
        image3: ImageInput | None = None,
        aspect_ratio: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncGeneration:
        """As `SiliconFlow.images.edit`."""
        images = {"image": image, "image2": image2, "image3": image3}
        prepared, body = self._client._prepare("edit", model, prompt, options, images, aspect_ratio)
        return await self._client._generate(prepared, body)


class AsyncModels:
    """`client.models` of the async client."""

    def __init__(self, client: AsyncSiliconFlow) -> None:
        self._client = client

    async def list(self) -> list[Model]:
        """As `SiliconFlow.models.list`."""
        client = self._client
        started = client.clock.monotonic()
        try:
            response = await list_models.asyncio_detailed(client=client._generated, type_="image")
        except httpx.HTTPError as exc:
            raise client._no_answer(exc, started) from None
        except _PARSE_ERRORS as exc:
            raise malformed(type(exc).__name__) from None
        return client._models(response)
