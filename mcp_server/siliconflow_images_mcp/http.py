"""The one httpx client everything goes through: timeouts, the retry policy and the scoped API key.

SDK users get the same behaviour as the MCP server with::

    from siliconflow_images_mcp.http import build_client
    client = build_client(api_key)                  # an AuthenticatedClient of siliconflow_client
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from contextvars import ContextVar
from typing import Any, Final

import httpx
from httpx_retries import Retry, RetryTransport

from siliconflow_client import AuthenticatedClient

from .config import (
    DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_BUDGET,
    DEFAULT_TIMEOUT,
    Settings,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ApiKeyAuth",
    "SiliconFlowRetry",
    "build_client",
    "client_for",
    "default_timeout",
    "last_response",
    "retry_policy",
    "retry_transport",
]

logger = logging.getLogger(__name__)

USER_AGENT: Final = "siliconflow-images/0.1"


class SiliconFlowRetry(Retry):
    """httpx-retries' `Retry`, told which failures cost nothing to repeat.

    429, 503 and failures to connect never reached a model, so they are retried up to `total`
    times with backoff and `Retry-After`. A 504 or a failure after the request was sent may
    mean the image was generated (and billed) anyway: those are retried at most
    `max_uncertain` times.
    """

    UNCERTAIN_STATUS: Final = frozenset({504})
    UNCERTAIN_ERRORS: Final = (
        httpx.ReadTimeout,
        httpx.WriteTimeout,
        httpx.ReadError,
        httpx.WriteError,
        httpx.RemoteProtocolError,
    )

    def __init__(self, *args: Any, max_uncertain: int = 1, uncertain_retries: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_uncertain = max_uncertain
        self.uncertain_retries = uncertain_retries

    def copy_with(self, *args: Any, **kwargs: Any) -> SiliconFlowRetry:
        # The library rebuilds the policy on every attempt; carry our counter across.
        new = super().copy_with(*args, **kwargs)
        assert isinstance(new, SiliconFlowRetry)
        new.max_uncertain = self.max_uncertain
        new.uncertain_retries = self.uncertain_retries
        return new

    def is_retryable_status_code(self, status_code: int) -> bool:
        if status_code in self.UNCERTAIN_STATUS and self.uncertain_retries >= self.max_uncertain:
            return False
        return super().is_retryable_status_code(status_code)

    def is_retryable_exception(self, exception: Exception) -> bool:
        if isinstance(exception, self.UNCERTAIN_ERRORS) and self.uncertain_retries >= self.max_uncertain:
            return False
        return super().is_retryable_exception(exception)

    def _record(self, cause: httpx.Response | Exception) -> str:
        uncertain = (
            cause.status_code in self.UNCERTAIN_STATUS
            if isinstance(cause, httpx.Response)
            else isinstance(cause, self.UNCERTAIN_ERRORS)
        )
        if uncertain:
            self.uncertain_retries += 1
        if isinstance(cause, httpx.Response):
            # Transport-level responses carry no request yet: the status is what there is to say.
            return f"HTTP {cause.status_code}"
        return type(cause).__name__

    def sleep(self, response: httpx.Response | Exception) -> None:
        what, before = self._record(response), self.elapsed_sleep
        super().sleep(response)
        self._log(what, before)

    async def asleep(self, response: httpx.Response | Exception) -> None:
        what, before = self._record(response), self.elapsed_sleep
        await super().asleep(response)
        self._log(what, before)

    def _log(self, what: str, before: float) -> None:
        logger.info(
            "retry %d of %d after %s (waited %.1f s)",
            self.attempts_made,
            self.total,
            what,
            self.elapsed_sleep - before,
        )


def retry_policy(
    *,
    max_retries: int = DEFAULT_MAX_RETRIES,
    budget: float = DEFAULT_RETRY_BUDGET,
    backoff_factor: float = 0.5,
    max_wait: float = 30.0,
) -> SiliconFlowRetry:
    """The retry policy of the server: 429/503/504 and transport errors, GET and POST.

    `budget` bounds the total time slept between attempts (a `Retry-After` longer than what
    is left is cut short, and the next failure is final); `max_wait` bounds one sleep.
    """
    return SiliconFlowRetry(
        total=max_retries,
        allowed_methods=["GET", "POST"],
        status_forcelist=[429, 503, 504],
        retry_on_exceptions=[
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            *SiliconFlowRetry.UNCERTAIN_ERRORS,
        ],
        backoff_factor=backoff_factor,
        backoff_jitter=0.5,
        max_backoff_wait=max_wait,
        respect_retry_after_header=True,
        total_timeout=budget if budget > 0 else None,
    )


def retry_transport(
    retry: Retry | None = None,
    *,
    transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None = None,
) -> RetryTransport:
    """A transport (sync and async) that retries like the server does; wraps `transport` if given."""
    return RetryTransport(transport=transport, retry=retry or retry_policy())


def default_timeout(read: float = DEFAULT_TIMEOUT, connect: float = DEFAULT_CONNECT_TIMEOUT) -> httpx.Timeout:
    # The generated client passes timeout=None (no timeout at all) unless told otherwise.
    return httpx.Timeout(read, connect=connect)


class ApiKeyAuth(httpx.Auth):
    """Bearer auth sent only to the API's own origin.

    The same client downloads images from other hosts (a CDN): the key must never go there.
    """

    def __init__(self, api_key: str, base_url: str) -> None:
        self._header = f"Bearer {api_key}"
        self._origin = _origin(httpx.URL(base_url))

    def __repr__(self) -> str:
        return f"ApiKeyAuth(origin={self._origin!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if _origin(request.url) == self._origin:
            request.headers["Authorization"] = self._header
        yield request


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default_port


_last_response: ContextVar[httpx.Response | None] = ContextVar("siliconflow_last_response", default=None)


async def _remember(response: httpx.Response) -> None:
    _last_response.set(response)


def last_response() -> httpx.Response | None:
    """The last response the current task received through a `build_client` client.

    The generated client raises while parsing a body that breaks the spec, and the status is
    lost with it; this keeps it (and the retry count in `extensions["retry"]`) for the message.
    """
    return _last_response.get()


def reset_last_response() -> None:
    _last_response.set(None)


def build_client(
    api_key: str,
    base_url: str = DEFAULT_BASE_URL,
    *,
    timeout: httpx.Timeout | float | None = None,
    transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None = None,
) -> AuthenticatedClient:
    """The generated `AuthenticatedClient`, on an httpx client with timeouts and the retry transport.

    Its async httpx client (`client.get_async_httpx_client()`) is the one the server shares
    between API calls and image downloads; the key goes only to `base_url`'s origin.
    `transport` defaults to `retry_transport()` (sync and async); pass your own to change the
    policy or the connection limits.
    """
    transport = transport if transport is not None else retry_transport()
    if timeout is None:
        timeout = default_timeout()
    elif not isinstance(timeout, httpx.Timeout):
        timeout = httpx.Timeout(timeout)
    headers = {"User-Agent": USER_AGENT}
    client = AuthenticatedClient(
        base_url=base_url,
        token=api_key,
        timeout=timeout,
        headers=headers,
        httpx_args={"transport": transport},
    )
    async_transport = transport if isinstance(transport, httpx.AsyncBaseTransport) else None
    return client.set_async_httpx_client(
        httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            timeout=timeout,
            transport=async_transport,
            auth=ApiKeyAuth(api_key, base_url),
            event_hooks={"response": [_remember]},
        )
    )


def client_for(settings: Settings) -> AuthenticatedClient:
    """The generated client exactly as the MCP server builds it from its settings (async only)."""
    policy = retry_policy(max_retries=settings.max_retries, budget=settings.retry_budget)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
    return build_client(
        settings.api_key or "",
        settings.base_url,
        timeout=default_timeout(settings.timeout, settings.connect_timeout),
        transport=retry_transport(policy, transport=httpx.AsyncHTTPTransport(limits=limits)),
    )
