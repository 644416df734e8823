"""The one HTTP stack: timeouts, connection limits, the retry policy and the scoped key.

Every client builds two httpx clients, over pools that `with_options()` copies share:

- the API client: the key (put on requests to the API's own origin only), the retry policy for POST and
  GET, and a response hook that turns any status but a success into its typed error;
- the download client: no key at all, redirects followed, GET retried on failures that cost
  nothing, for fetching images from wherever the API put them.

Each has a pool of its own unless the caller brings one (`http_client=` or `transport=`), which
both then use.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

import httpx
from httpx_retries import Retry, RetryTransport

from ._answers import malformed
from ._clock import SYSTEM_CLOCK, Clock
from ._messages import human_size
from .errors import MalformedResponseError

logger = logging.getLogger("siliconflow_images")

POOL_LIMITS: Final = httpx.Limits(max_connections=64, max_keepalive_connections=16)
MAX_BACKOFF: Final = 30.0
"""Longest wait between attempts without a Retry-After; a Retry-After is honoured up to the budget."""
ERROR_BODY_LIMIT: Final = 64 * 1024
"""Bytes of an error answer read: its message is cut to a line anyway, and a hostile body may never end."""
ANSWER_LIMIT: Final = 1024 * 1024
"""Bytes of any API answer read: real ones are JSON of a few KB (some URLs, the model list)."""
BACKOFF_FACTOR: Final = 0.5


@functools.cache
def user_agent() -> str:
    # Cached: a metadata lookup reads the installed distributions' files, on every client built.
    try:
        return f"siliconflow-images/{version('siliconflow-images')}"
    except PackageNotFoundError:
        return "siliconflow-images"


class SiliconFlowRetry(Retry):
    """httpx-retries' `Retry`, told which failures cost nothing to repeat, and given a clock.

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

    def __init__(
        self,
        *args: Any,
        clock: Clock = SYSTEM_CLOCK,
        max_uncertain: int = 1,
        uncertain_retries: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock
        self.max_uncertain = max_uncertain
        self.uncertain_retries = uncertain_retries

    def copy_with(self, *args: Any, **kwargs: Any) -> SiliconFlowRetry:
        # The library rebuilds the policy on every attempt: carry the clock and the counter across.
        new = super().copy_with(*args, **kwargs)
        assert isinstance(new, SiliconFlowRetry)
        new.clock = self.clock
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

    def sleep(self, response: httpx.Response | Exception) -> None:
        seconds = self._before_sleep(response)
        self.clock.sleep(seconds)
        self.elapsed_sleep += seconds

    async def asleep(self, response: httpx.Response | Exception) -> None:
        seconds = self._before_sleep(response)
        await self.clock.asleep(seconds)
        self.elapsed_sleep += seconds

    def _before_sleep(self, cause: httpx.Response | Exception) -> float:
        uncertain = (
            cause.status_code in self.UNCERTAIN_STATUS
            if isinstance(cause, httpx.Response)
            else isinstance(cause, self.UNCERTAIN_ERRORS)
        )
        if uncertain:
            self.uncertain_retries += 1
        seconds = self._calculate_sleep(cause.headers if isinstance(cause, httpx.Response) else {})
        what = f"HTTP {cause.status_code}" if isinstance(cause, httpx.Response) else type(cause).__name__
        logger.info("retry %d of %d after %s (waiting %.1f s)", self.attempts_made, self.total, what, seconds)
        return seconds


def retry_policy(
    *, max_retries: int, budget: float, clock: Clock, methods: tuple[str, ...]
) -> SiliconFlowRetry:
    """429/503/504 and transport failures, with backoff, jitter, `Retry-After` and a total budget.

    `budget` bounds the total time slept between attempts (a `Retry-After` longer than what
    is left is cut short, and the next failure is final). Every retry waits first, so a budget
    of 0 means no retries (httpx-retries reads a `total_timeout` of None as no limit at all).
    """
    return SiliconFlowRetry(
        total=max_retries if budget > 0 else 0,
        allowed_methods=list(methods),
        status_forcelist=[429, 503, 504],
        retry_on_exceptions=[
            httpx.ConnectError,
            httpx.ConnectTimeout,
            httpx.PoolTimeout,
            *SiliconFlowRetry.UNCERTAIN_ERRORS,
        ],
        backoff_factor=BACKOFF_FACTOR,
        backoff_jitter=0.5,
        # A Retry-After longer than a backoff would be is still worth waiting for, within the
        # budget: retrying sooner than asked only spends another attempt on a 429.
        max_backoff_wait=max(MAX_BACKOFF, budget),
        respect_retry_after_header=True,
        total_timeout=budget if budget > 0 else None,
        clock=clock,
    )


class ScopedKey:
    """The bearer key, put on requests to the API's own origin (scheme, host and port) only.

    Applied where a request enters the shared pool, after every redirect and retry decision,
    rather than as an httpx.Auth: the same check, without a generator per request.
    """

    def __init__(self, api_key: str, base_url: str) -> None:
        self._header = f"Bearer {api_key}"
        self._origin = origin(httpx.URL(base_url))

    def __repr__(self) -> str:
        return f"ScopedKey(origin={self._origin!r})"

    def apply(self, request: httpx.Request) -> None:
        if origin(request.url) == self._origin:
            request.headers["Authorization"] = self._header
        else:
            request.headers.pop("Authorization", None)


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default_port


class _Borrowed(httpx.BaseTransport):
    """Another client's pool, used but never closed (several httpx clients share one pool), with
    the scoped key on the API client's requests and its answers bounded."""

    def __init__(self, transport: httpx.BaseTransport, key: ScopedKey | None = None) -> None:
        self._transport = transport
        self._key = key

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._key is None:
            return self._transport.handle_request(request)
        self._key.apply(request)
        response = self._transport.handle_request(request)
        if (encoding := _encoding(response)) is not None:
            response.close()
            return _without_body(response, encoding)
        response.stream = _CappedAnswer(response.stream, response.status_code)  # type: ignore[arg-type]
        return response


class _AsyncBorrowed(httpx.AsyncBaseTransport):
    def __init__(self, transport: httpx.AsyncBaseTransport, key: ScopedKey | None = None) -> None:
        self._transport = transport
        self._key = key

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._key is None:
            return await self._transport.handle_async_request(request)
        self._key.apply(request)
        response = await self._transport.handle_async_request(request)
        if (encoding := _encoding(response)) is not None:
            await response.aclose()
            return _without_body(response, encoding)
        response.stream = _AsyncCappedAnswer(response.stream, response.status_code)  # type: ignore[arg-type]
        return response


def _encoding(response: httpx.Response) -> str | None:
    """The content encoding of an answer, if it is not identity (which the API client asks for)."""
    encoding = response.headers.get("content-encoding")
    if encoding is None or (encoding := encoding.strip().lower()) in ("", "identity"):
        return None
    # Named only if it is a known one: a server that echoes the Authorization header into this
    # one would otherwise put the key into the error.
    return encoding if encoding in _KNOWN_ENCODINGS else "unknown"


_KNOWN_ENCODINGS: Final = frozenset({"gzip", "x-gzip", "deflate", "br", "zstd", "compress"})


def _without_body(response: httpx.Response, encoding: str) -> httpx.Response:
    """An encoded answer, its body unread: httpx decodes whatever encoding arrives, asked for or
    not, and the caps count the bytes that travel, so a few KB of gzip could decode to gigabytes.

    A success is refused (its body is the answer); any other status keeps its meaning (a 429 is
    still retried, a 400 still a BadRequestError), without the message its body held.
    """
    if response.is_success:
        raise malformed(
            f"it came {encoding}-encoded, though only identity was asked", status_code=response.status_code
        )
    headers = [(name, value) for name, value in response.headers.raw if name.lower() != b"content-encoding"]
    return httpx.Response(
        response.status_code,
        headers=headers,
        stream=httpx.ByteStream(b""),
        extensions=response.extensions,
    )


def _too_large(status_code: int) -> MalformedResponseError:
    return malformed(f"it is larger than {human_size(ANSWER_LIMIT)}", status_code=status_code)


class _CappedAnswer(httpx.SyncByteStream):
    """An answer's body, refused past `ANSWER_LIMIT` bytes rather than read whole into memory."""

    def __init__(self, stream: httpx.SyncByteStream, status_code: int) -> None:
        self._stream = stream
        self._status_code = status_code

    def __iter__(self) -> Iterator[bytes]:
        read = 0
        for chunk in self._stream:
            read += len(chunk)
            if read > ANSWER_LIMIT:
                raise _too_large(self._status_code)
            yield chunk

    def close(self) -> None:
        self._stream.close()


class _AsyncCappedAnswer(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, status_code: int) -> None:
        self._stream = stream
        self._status_code = status_code

    async def __aiter__(self) -> AsyncIterator[bytes]:
        read = 0
        async for chunk in self._stream:
            read += len(chunk)
            if read > ANSWER_LIMIT:
                raise _too_large(self._status_code)
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


class _ThroughClient(httpx.BaseTransport):
    """A caller's own httpx.Client as the pool: its proxies, TLS settings, mounts and hooks apply."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._client.send(request, stream=True)


class _AsyncThroughClient(httpx.AsyncBaseTransport):
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._client.send(request, stream=True)


@dataclass(frozen=True, slots=True)
class Stack:
    """What one client's two httpx clients are built from."""

    api_key: str = field(repr=False)
    base_url: str
    timeout: httpx.Timeout
    max_retries: int
    retry_budget: float
    clock: Clock
    raise_for_status: Callable[[httpx.Response, bytes], None]


class _PathsResolved:
    """Absolute URLs for the generated client's paths, each worked out once.

    The generated client asks for "/images/generations" relative to the base URL, and httpx
    parses and merges the two on every call: two URL parses, a fifth of the SDK's own cost per
    call. There are two paths, so each is merged once, the way httpx merges it (appended to the
    base URL's path), and an absolute `httpx.URL` is handed on, which httpx takes as it is.
    """

    def __init__(self, base_url: httpx.URL) -> None:
        self._base = base_url
        self._resolved: dict[str, httpx.URL] = {}

    def __call__(self, url: httpx.URL | str) -> httpx.URL | str:
        if not isinstance(url, str) or not url.startswith("/") or not url.isascii():
            return url
        resolved = self._resolved.get(url)
        if resolved is None:
            resolved = self._base.copy_with(raw_path=self._base.raw_path + url.lstrip("/").encode("ascii"))
            if len(self._resolved) < 16:  # the generated client's paths; anything else is merged per call
                self._resolved[url] = resolved
        return resolved


class _ApiClient(httpx.Client):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._paths = _PathsResolved(self.base_url)

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:
        return super().build_request(method, self._paths(url), **kwargs)


class _AsyncApiClient(httpx.AsyncClient):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._paths = _PathsResolved(self.base_url)

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:
        return super().build_request(method, self._paths(url), **kwargs)


def pool(
    http_client: httpx.Client | None, transport: httpx.BaseTransport | None
) -> tuple[httpx.BaseTransport, bool]:
    """The sync pool to share, and whether the SDK owns (and so closes) it."""
    if http_client is not None:
        return _ThroughClient(http_client), False
    if transport is not None:
        return transport, False
    return httpx.HTTPTransport(limits=POOL_LIMITS), True


def async_pool(
    http_client: httpx.AsyncClient | None, transport: httpx.AsyncBaseTransport | None
) -> tuple[httpx.AsyncBaseTransport, bool]:
    if http_client is not None:
        return _AsyncThroughClient(http_client), False
    if transport is not None:
        return transport, False
    return httpx.AsyncHTTPTransport(limits=POOL_LIMITS), True


def _api_kwargs(stack: Stack) -> dict[str, Any]:
    return {
        "base_url": stack.base_url,
        "timeout": stack.timeout,
        # identity: ANSWER_LIMIT then counts what the answer holds, and no compressed bomb inflates.
        "headers": {"User-Agent": user_agent(), "Accept-Encoding": "identity"},
        "follow_redirects": False,  # a redirect is not followed with the key
    }


def _download_kwargs(stack: Stack) -> dict[str, Any]:
    return {
        "timeout": stack.timeout,
        # identity: the byte cap then counts what travels, and no compressed bomb inflates.
        "headers": {
            "User-Agent": user_agent(),
            "Accept": "image/png,image/jpeg",
            "Accept-Encoding": "identity",
        },
        "follow_redirects": True,
        "max_redirects": 5,
    }


def _policy(stack: Stack, methods: tuple[str, ...]) -> SiliconFlowRetry:
    return retry_policy(
        max_retries=stack.max_retries, budget=stack.retry_budget, clock=stack.clock, methods=methods
    )


def api_client(stack: Stack, shared: httpx.BaseTransport) -> httpx.Client:
    key = ScopedKey(stack.api_key, stack.base_url)
    retrying = RetryTransport(transport=_Borrowed(shared, key), retry=_policy(stack, ("GET", "POST")))

    def check(response: httpx.Response) -> None:
        if not response.is_success:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= ERROR_BODY_LIMIT:
                    break
            stack.raise_for_status(response, bytes(body[:ERROR_BODY_LIMIT]))

    return _ApiClient(transport=retrying, event_hooks={"response": [check]}, **_api_kwargs(stack))


def async_api_client(stack: Stack, shared: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    key = ScopedKey(stack.api_key, stack.base_url)
    retrying = RetryTransport(transport=_AsyncBorrowed(shared, key), retry=_policy(stack, ("GET", "POST")))

    async def check(response: httpx.Response) -> None:
        if not response.is_success:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) >= ERROR_BODY_LIMIT:
                    break
            stack.raise_for_status(response, bytes(body[:ERROR_BODY_LIMIT]))

    return _AsyncApiClient(transport=retrying, event_hooks={"response": [check]}, **_api_kwargs(stack))


def download_client(stack: Stack, shared: httpx.BaseTransport) -> httpx.Client:
    retrying = RetryTransport(transport=_Borrowed(shared), retry=_policy(stack, ("GET",)))
    return httpx.Client(transport=retrying, **_download_kwargs(stack))


def async_download_client(stack: Stack, shared: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    retrying = RetryTransport(transport=_AsyncBorrowed(shared), retry=_policy(stack, ("GET",)))
    return httpx.AsyncClient(transport=retrying, **_download_kwargs(stack))
