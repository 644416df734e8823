"""`SiliconFlow` and `AsyncSiliconFlow`: the front door, in front of the generated client.

The generated `siliconflow_client` builds each request and parses each success body, used as
generated; this module adds what it cannot know: configuration, the per-model rules, typed
errors, and what to do with the images.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Self, Unpack

import httpx

from siliconflow_client import Client
from siliconflow_client.api.images import create_image_generation
from siliconflow_client.api.models import list_models
from siliconflow_client.models import ImageGenerationRequest
from siliconflow_models import RequestOptions
from siliconflow_models.capabilities import SiteName

from . import _download, _http
from ._answers import malformed
from ._base import Configured
from ._clock import Clock
from ._download import ChunkObserver, Fetched
from ._messages import Wording
from ._requests import Prepared
from .config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_BUDGET,
    ImageLimits,
)
from .generation import AsyncGeneration, Generation
from .inputs import ImageInput
from .types import Model

_PARSE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, RecursionError)
"""What the generated parsers raise on a body that breaks the spec (`json` raises RecursionError
on deeply nested arrays, e.g. a 200 body of 100,000 `[`)."""

# Each generated endpoint's `sync_detailed` is `_get_kwargs`, the request, `_build_response`: the
# SDK makes the same three steps so that only an error of parsing the answer reads "answered 200
# ... may be billed"; one raised building the request (or by a caller's http_client hook) stays
# what it was, since nothing was sent or answered.


def _parsed(endpoint: ModuleType, client: Client, response: httpx.Response) -> Any:
    try:
        return endpoint._build_response(client=client, response=response)
    except _PARSE_ERRORS as exc:
        raise malformed(type(exc).__name__) from None


class SiliconFlow(Configured):
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
        # A sync download abandoned at its deadline holds its connection until the image host
        # lets go: in a pool of their own, enough of those cannot starve the API calls.
        self._download_pool = _http.pool(None, None)[0] if self._owns_pool else self._pool
        self._connect()

    def _connect(self) -> None:
        stack = self._stack()
        self._api = _http.api_client(stack, self._pool)
        self._downloads = _http.download_client(stack, self._download_pool)
        self._generated = Client(base_url=self.base_url).set_httpx_client(self._api)
        self.images = Images(self)
        self.models = Models(self)

    def close(self) -> None:
        self._api.close()
        self._downloads.close()
        if self._owns_pool:
            self._download_pool.close()
            self._pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fetch(self, url: str, observe: ChunkObserver | None) -> Fetched:
        return _download.fetch(self._downloads, url, self.limits, observe)

    def _generate(self, prepared: Prepared, body: ImageGenerationRequest) -> Generation:
        request = create_image_generation._get_kwargs(body=body)
        started = self.clock.monotonic()
        try:
            answer = self._api.request(**request)
        except httpx.HTTPError as exc:
            raise self._no_answer(exc, started) from None
        response = _parsed(create_image_generation, self._generated, answer)
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
        request = list_models._get_kwargs(type_="image")
        started = client.clock.monotonic()
        try:
            answer = client._api.request(**request)
        except httpx.HTTPError as exc:
            raise client._no_answer(exc, started) from None
        return client._models(_parsed(list_models, client._generated, answer))


class AsyncSiliconFlow(Configured):
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
        # As SiliconFlow's: downloads cannot starve the API calls of connections.
        self._download_pool = _http.async_pool(None, None)[0] if self._owns_pool else self._pool
        self._connect()

    def _connect(self) -> None:
        stack = self._stack()
        self._api = _http.async_api_client(stack, self._pool)
        self._downloads = _http.async_download_client(stack, self._download_pool)
        self._generated = Client(base_url=self.base_url).set_async_httpx_client(self._api)
        self.images = AsyncImages(self)
        self.models = AsyncModels(self)

    async def aclose(self) -> None:
        await self._api.aclose()
        await self._downloads.aclose()
        if self._owns_pool:
            await self._download_pool.aclose()
            await self._pool.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _fetch(self, url: str, observe: ChunkObserver | None) -> Fetched:
        return await _download.afetch(self._downloads, url, self.limits, observe)

    async def _generate(self, prepared: Prepared, body: ImageGenerationRequest) -> AsyncGeneration:
        request = create_image_generation._get_kwargs(body=body)
        started = self.clock.monotonic()
        try:
            answer = await self._api.request(**request)
        except httpx.HTTPError as exc:
            raise self._no_answer(exc, started) from None
        response = _parsed(create_image_generation, self._generated, answer)
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
        request = list_models._get_kwargs(type_="image")
        started = client.clock.monotonic()
        try:
            answer = await client._api.request(**request)
        except httpx.HTTPError as exc:
            raise client._no_answer(exc, started) from None
        return client._models(_parsed(list_models, client._generated, answer))
