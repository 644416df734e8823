"""Calls to SiliconFlow through the generated client, and what each failure means for the caller.

Every failure becomes a `ToolError` whose text says what happened and what to try; the API key
never appears in one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from siliconflow_client import AuthenticatedClient
from siliconflow_client.api.images import create_image_generation
from siliconflow_client.api.models import list_models
from siliconflow_client.models import ErrorBody, ModelList, RateLimitBody
from siliconflow_client.models import ImageGenerationRequest as RequestBody
from siliconflow_models import ImageGenerationResponse

from .http import last_response, reset_last_response
from .results import DownloadError

TRACE_HEADER = "x-siliconcloud-trace-id"
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
MAYBE_BILLED = (
    "The generation may still have run and been billed: check your SiliconFlow usage before trying again."
)


@dataclass(frozen=True, slots=True)
class Generation:
    """A successful answer of POST /images/generations."""

    urls: list[str]
    seed: int
    inference_seconds: float
    trace_id: str | None


async def create_images(client: AuthenticatedClient, payload: Mapping[str, Any]) -> Generation:
    """POST /images/generations; raises `ToolError` with an explanation on any failure."""
    base_url = str(client.get_async_httpx_client().base_url)
    reset_last_response()
    started = time.monotonic()
    try:
        response = await create_image_generation.asyncio_detailed(
            client=client, body=RequestBody.from_dict(dict(payload))
        )
    except httpx.HTTPError as exc:
        raise ToolError(transport_failure(exc, base_url, time.monotonic() - started)) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ToolError(body_failure(exc, base_url, time.monotonic() - started)) from None
    trace_id = response.headers.get(TRACE_HEADER)
    if response.status_code != 200:
        raise ToolError(
            explain_status(
                int(response.status_code), response.parsed, response.headers, base_url, _retries(), trace_id
            )
        )
    try:
        body = ImageGenerationResponse.model_validate_json(response.content)
    except ValidationError as exc:
        raise ToolError(body_failure(exc, base_url, time.monotonic() - started)) from None
    if not body.images:
        raise ToolError(f"SiliconFlow answered without any image (trace id {trace_id}). {MAYBE_BILLED}")
    return Generation([image.url for image in body.images], body.seed, body.timings.inference, trace_id)


async def image_model_ids(client: AuthenticatedClient) -> list[str]:
    """The ids of GET /models?type=image; raises `ToolError` with an explanation on failure."""
    base_url = str(client.get_async_httpx_client().base_url)
    reset_last_response()
    started = time.monotonic()
    try:
        response = await list_models.asyncio_detailed(client=client, type_="image")
    except httpx.HTTPError as exc:
        raise ToolError(transport_failure(exc, base_url, time.monotonic() - started)) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ToolError(body_failure(exc, base_url, time.monotonic() - started)) from None
    if response.status_code == 200 and isinstance(response.parsed, ModelList):
        return [model.id for model in response.parsed.data]
    raise ToolError(
        explain_status(
            int(response.status_code),
            response.parsed,
            response.headers,
            base_url,
            _retries(),
            response.headers.get(TRACE_HEADER),
        )
    )


async def download_image(
    client: httpx.AsyncClient, url: str, *, max_bytes: int = MAX_DOWNLOAD_BYTES
) -> bytes:
    """Fetch one generated image (the API's URLs expire, so this happens at once)."""
    try:
        async with client.stream("GET", url, follow_redirects=True) as response:
            if response.status_code != 200:
                expired = response.status_code in (403, 404, 410)
                hint = " (the link may have expired: they last one hour)" if expired else ""
                raise DownloadError(f"HTTP {response.status_code}{hint}")
            chunks: list[bytes] = []
            received = 0
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise DownloadError(f"larger than {max_bytes // (1024 * 1024)} MB")
                chunks.append(chunk)
    except httpx.TimeoutException:
        raise DownloadError("timed out") from None
    except httpx.HTTPError as exc:
        raise DownloadError(f"{type(exc).__name__}: {exc}") from None
    return b"".join(chunks)


def transport_failure(exc: httpx.HTTPError, base_url: str, elapsed: float) -> str:
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError | httpx.PoolTimeout):
        return (
            f"Could not connect to SiliconFlow at {base_url} ({type(exc).__name__}), "
            f"giving up after {elapsed:.0f} s of retries. Check the network, a proxy, or SILICONFLOW_BASE_URL."
        )
    if isinstance(exc, httpx.TimeoutException):
        return (
            f"SiliconFlow did not answer in time ({type(exc).__name__} after {elapsed:.0f} s, retried at most "
            f"once). {MAYBE_BILLED} Fewer num_inference_steps or a smaller image_size finish sooner; "
            "SILICONFLOW_TIMEOUT sets how long to wait."
        )
    return f"The connection to SiliconFlow failed mid-request ({type(exc).__name__}). {MAYBE_BILLED}"


def body_failure(exc: Exception, base_url: str, elapsed: float) -> str:
    response = last_response()
    if response is not None and response.status_code != 200:
        # The status says more than the broken body does.
        return explain_status(
            response.status_code, _raw_text(response), response.headers, base_url, _retries(), None
        )
    trace = response.headers.get(TRACE_HEADER) if response is not None else None
    return (
        f"SiliconFlow answered with a body this server cannot read ({type(exc).__name__}; trace id {trace}). "
        f"No image was saved. {MAYBE_BILLED}"
    )


def explain_status(
    status: int,
    parsed: object,
    headers: Mapping[str, str],
    base_url: str,
    retries: int | None,
    trace_id: str | None,
) -> str:
    """One status of the API, in words: what happened and what to try."""
    said = _what_it_said(parsed)
    trace = f" Trace id {trace_id}." if trace_id else ""
    tried = f" after {retries} retries" if retries else ""
    if status == 400:
        code = parsed.code if isinstance(parsed, ErrorBody) else None
        hint = " That model name is unknown to SiliconFlow: call list_models." if code == 20012 else ""
        return (
            f"SiliconFlow refused the request (400{f', code {code}' if code else ''}): {said}.{hint}{trace}"
        )
    if status == 401:
        return (
            f"SiliconFlow did not accept the API key (401: {said}). Check SILICONFLOW_API_KEY: keys of "
            f"api.siliconflow.cn and api.siliconflow.com are not interchangeable, and this server talks to "
            f"{base_url} (SILICONFLOW_BASE_URL).{trace}"
        )
    if status == 403:
        return (
            f"SiliconFlow refused this key access (403: {said}). The account may lack access to this model, "
            f"have an empty balance, or need identity verification; check SILICONFLOW_API_KEY and the "
            f"account at {_site(base_url)}.{trace}"
        )
    if status == 404:
        return f"SiliconFlow has no such path (404: {said}). Check SILICONFLOW_BASE_URL (now {base_url}); it ends in /v1."
    if status == 429:
        wait = headers.get("retry-after")
        asked = f" It asks to wait {wait} s." if wait else ""
        return (
            f"SiliconFlow is rate limiting this account (429{tried}): {said}.{asked} Image models are limited "
            f"in images per minute and per day: wait a minute, make fewer images per call, or raise the "
            f"limits at {_site(base_url)}.{trace}"
        )
    if status == 503:
        return (
            f"SiliconFlow's model service is overloaded (503{tried}): {said}. Try again in a few minutes, "
            f"or another model.{trace}"
        )
    if status == 504:
        return f"SiliconFlow's gateway timed out waiting for the model (504{tried}). {MAYBE_BILLED}{trace}"
    if status >= 500:
        return f"SiliconFlow failed on its side ({status}): {said}. Try again later.{trace}"
    return f"SiliconFlow answered an unexpected {status}: {said}.{trace}"


def _what_it_said(parsed: object) -> str:
    if isinstance(parsed, ErrorBody | RateLimitBody):
        text = parsed.message
    elif isinstance(parsed, str):
        text = parsed
    elif isinstance(parsed, bytes):
        text = parsed.decode("utf-8", "replace")
    else:
        text = "no message"
    text = " ".join(text.split()).rstrip(".") or "no message"
    return text if len(text) <= 300 else text[:297] + "..."


def _raw_text(response: httpx.Response) -> str:
    try:
        body = json.loads(response.content)
    except ValueError:
        return response.text
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return body if isinstance(body, str) else response.text


def _retries() -> int | None:
    response = last_response()
    retry = response.extensions.get("retry") if response is not None else None
    attempts = getattr(retry, "attempts_made", None)
    return attempts if isinstance(attempts, int) else None


def _site(base_url: str) -> str:
    host = httpx.URL(base_url).host
    return "cloud.siliconflow.com" if host.endswith("siliconflow.com") else "cloud.siliconflow.cn"
