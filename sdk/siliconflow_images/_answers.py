"""Reading SiliconFlow's answers: a failure status becomes its typed error, a success its checked facts.

The generated client parses each success body once (into its attrs models); those models do not
check types, so the facts the SDK relies on are checked here. Failure bodies never reach the
generated parsers: the response hook in `_http` raises from the raw answer, whatever its shape.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import httpx

from siliconflow_client.models import ImageGenerationResponse
from siliconflow_client.types import Unset
from siliconflow_models import IMAGE_URL_LIFETIME, TRACE_HEADER, ImageGenerationRequest, Site

from . import _messages
from ._urls import http_host
from .errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    GatewayTimeoutError,
    InternalServerError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from .redaction import Redactor, clip

MESSAGE_LIMIT: Final = 300
"""Characters of an API message kept in an error (after redaction): enough to read, never a flood."""
TRACE_ID_LIMIT: Final = 120
"""Characters of a trace id kept (real ones are about 30)."""
CREATED_END: Final = 2**32
"""`created` is taken as Unix seconds below this (the year 2106); above it, as absent."""


def _bound(field: str, name: str) -> int | None:
    """A bound (`ge`, `le`) the spec puts on a request field, as the generated model holds it."""
    found = [
        getattr(m, name) for m in ImageGenerationRequest.model_fields[field].metadata if hasattr(m, name)
    ]
    return int(found[0]) if found else None


SEED_MIN: Final = _bound("seed", "ge")
SEED_MAX: Final = _bound("seed", "le")
_SEED_RANGE: Final = " and ".join(
    [f"at least {SEED_MIN}"] * (SEED_MIN is not None) + [f"at most {SEED_MAX}"] * (SEED_MAX is not None)
)

logger = logging.getLogger("siliconflow_images")

_BY_STATUS: Final[dict[int, type[APIStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
    504: GatewayTimeoutError,
}


@dataclass(frozen=True, slots=True)
class Answered:
    """The facts of a successful generation the SDK uses, checked."""

    urls: tuple[str, ...]
    seed: int
    inference_seconds: float
    created: int | None
    trace_id: str | None

    @property
    def expires_at(self) -> float:
        return (self.created if self.created is not None else time.time()) + IMAGE_URL_LIFETIME


def retries_of(response: httpx.Response) -> int:
    attempts = getattr(response.extensions.get("retry"), "attempts_made", 0)
    return attempts if isinstance(attempts, int) else 0


def error_for(
    response: httpx.Response,
    body: bytes,
    *,
    base_url: str,
    site: Site | None,
    redact: Callable[[str], str],
    wording: _messages.Wording = _messages.SDK_WORDING,
) -> APIStatusError:
    """The typed error for a response that is not a success, from (the start of) its body."""
    said, code = _what_it_said(body, response.encoding or "utf-8")
    message = clip(redact(said), MESSAGE_LIMIT) if said else None
    status_code = response.status_code
    retry_after = retry_after_seconds(response) if status_code == 429 else None  # only a 429's error says it
    trace_id = _trace_id(response.headers, redact)
    retries = retries_of(response)
    explanation = _messages.status(
        status_code,
        message=message,
        code=code,
        trace_id=trace_id,
        retries=retries,
        retry_after=retry_after,
        base_url=base_url,
        site=site,
        wording=wording,
    )
    fields: dict[str, Any] = {
        "status_code": status_code,
        "code": code,
        "message": message,
        "trace_id": trace_id,
        "retries": retries,
    }
    kind = _BY_STATUS.get(status_code) or (InternalServerError if status_code >= 500 else APIStatusError)
    if kind is RateLimitError:
        return RateLimitError(explanation, retry_after=retry_after, **fields)
    return kind(explanation, **fields)


def _trace_id(headers: httpx.Headers, redact: Callable[[str], str]) -> str | None:
    # Redacted like the body: a server (or a proxy) that echoes the Authorization header back
    # into its headers must not put the key into an error's text. Then cut: a header may be
    # as long as a server likes, and this one goes into every error's text.
    trace_id: str | None = headers.get(TRACE_HEADER)
    if not trace_id:
        return trace_id
    trace_id = redact(trace_id)
    return trace_id if len(trace_id) <= TRACE_ID_LIMIT else clip(trace_id, TRACE_ID_LIMIT)


def _what_it_said(content: bytes, encoding: str) -> tuple[str, int | None]:
    """The message and code of an error body: `{code, message, data}`, a bare JSON string, or text."""
    try:
        text = content.decode(encoding, "replace")
    except LookupError:  # an encoding Python does not know
        text = content.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than Python recurses
        return text, None
    if isinstance(body, str):
        return body, None
    if isinstance(body, dict):
        code = body.get("code")
        message = body.get("message")
        return (
            message if isinstance(message, str) else text,
            code if isinstance(code, int) and not isinstance(code, bool) else None,
        )
    return text, None


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds (the API sends a number), or None for none or nonsense."""
    raw = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(raw)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def check_generation(
    parsed: object, headers: httpx.Headers, *, asked: int, redact: Redactor, max_url_chars: int
) -> Answered:
    """The checked facts of a 200 answer, or MalformedResponseError (the call may have been billed)."""
    trace_id = _trace_id(headers, redact)

    def broken(reason: str) -> MalformedResponseError:
        text = clip(redact(reason), MESSAGE_LIMIT)
        return MalformedResponseError(
            _messages.malformed(text, 200, trace_id), status_code=200, trace_id=trace_id
        )

    if not isinstance(parsed, ImageGenerationResponse):
        raise broken(f"expected an image generation answer, got {type(parsed).__name__}")
    urls: list[str] = []
    for image in parsed.images:
        url = getattr(image, "url", None)
        if not isinstance(url, str) or len(url) > max_url_chars or not url.isascii() or not http_host(url):
            raise broken(_unusable_url(url, max_url_chars))
        if redact.found_in(url):
            # Fetching it would hand the key to the image host, and showing it would print it.
            raise broken("an image URL holds the API key, or part of it; it was not fetched")
        urls.append(url)
    if not urls:
        raise broken("the answer holds no image")
    if len(urls) > asked:
        raise broken(f"{len(urls)} image URLs for {asked} image{'s' if asked != 1 else ''} asked")
    seed, inference = parsed.seed, getattr(parsed.timings, "inference", None)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise broken(f"`seed` is not an integer: {seed!r:.60}")
    if (SEED_MIN is not None and seed < SEED_MIN) or (SEED_MAX is not None and seed > SEED_MAX):
        # A seed the API would refuse to be given back reproduces nothing; it also went into
        # each file name, where 300 digits made every save fail as "File name too long".
        raise broken(f"`seed` {str(seed)[:40]} is outside the spec's range: {_SEED_RANGE}")
    if not isinstance(inference, int | float) or isinstance(inference, bool) or not math.isfinite(inference):
        raise broken(f"`timings.inference` is not a number: {inference!r:.60}")
    created = None if isinstance(parsed.created, Unset) else parsed.created
    if created is not None and (not isinstance(created, int) or isinstance(created, bool)):
        raise broken(f"`created` is not a Unix time: {created!r:.60}")
    if created is not None and not 0 <= created < CREATED_END:
        # `created` is optional and only dates the record and the URLs' expiry, which work without
        # it: refusing the answer for it would throw away images already paid for. Milliseconds
        # (or any number past 2106) would break every date made from it.
        logger.warning("ignoring `created` %.30s: not a Unix time in seconds", created)
        created = None
    return Answered(tuple(urls), seed, float(inference), created, trace_id)


def _unusable_url(url: object, max_url_chars: int) -> str:
    # The URL is shown in errors and fetched: cut short, and in ASCII escapes, so that neither
    # a flood nor bidi or zero-width characters reach a reader, and httpx never chokes on it.
    if isinstance(url, str) and len(url) > max_url_chars:
        return f"an image URL is {len(url):,} characters long, more than the {max_url_chars:,} accepted"
    if isinstance(url, str) and not url.isascii():
        return f"an image URL holds characters other than ASCII: {ascii(url)[:120]}"
    return f"an image URL is not an http(s) URL: {ascii(url)[:120]}"


def malformed(reason: str, *, status_code: int = 200) -> MalformedResponseError:
    return MalformedResponseError(_messages.malformed(reason, status_code, None), status_code=status_code)
