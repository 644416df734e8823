"""What both clients share: settings, the per-model rules, and reading answers. No I/O here."""

from __future__ import annotations

import copy
from typing import Any, Self

import httpx

from siliconflow_client.models import ImageGenerationRequest, ModelList
from siliconflow_models import MODELS, RequestOptions
from siliconflow_models.capabilities import SiteName, Task

from . import _http, _messages
from ._answers import check_generation, error_for, malformed
from ._clock import SYSTEM_CLOCK, Clock
from ._messages import SDK_WORDING, Wording
from ._requests import Prepared, prepare_request
from .config import (
    ImageLimits,
    api_key_from,
    base_url_from,
    site_from,
    timeout_from,
)
from .errors import APIConnectionError, APITimeoutError, SiliconFlowError
from .inputs import ImageInput
from .redaction import Redactor
from .types import GeneratedImage, Model


def _retry_settings(max_retries: int, retry_budget: float) -> tuple[int, float]:
    # Checked for with_options() too: a negative budget would otherwise mean no limit at all.
    if max_retries < 0 or retry_budget < 0:
        raise SiliconFlowError("max_retries and retry_budget must not be negative.")
    return max_retries, retry_budget


class Configured:
    """The base of `SiliconFlow` and `AsyncSiliconFlow`: the settings (argument, environment,
    default), `with_options()`, and turning a call into a request and an answer into facts."""

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

    _owns_pool: bool

    def _connect(self) -> None:
        """Build the API and download clients (over the pools) from the settings, and the resources."""
        raise NotImplementedError

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry_budget: float | None = None,
    ) -> Self:
        """A client that differs only in these settings (for its downloads too) and shares this one's connections."""
        new = copy.copy(self)
        if timeout is not None:
            new.timeout = timeout_from(timeout)
        new.max_retries, new.retry_budget = _retry_settings(
            self.max_retries if max_retries is None else max_retries,
            self.retry_budget if retry_budget is None else retry_budget,
        )
        new._owns_pool = False  # the original closes the connections it shares
        new._connect()
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
            wording=self.wording,
        )
        return prepared, ImageGenerationRequest.from_dict(prepared.body)

    def _facts(self, prepared: Prepared, response: Any) -> dict[str, Any]:
        answered = check_generation(
            response.parsed,
            response.headers,
            asked=prepared.asked,
            redact=self.redact,
            max_url_chars=self.limits.max_url_chars,
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
