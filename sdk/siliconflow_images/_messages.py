"""Every sentence the SDK says to a person or a model, in one place.

Each says what happened and what to try. Front ends (the MCP tools, the command line) name
their own verbs through a `Wording`, so a refusal reads "call edit_image" to an agent and
"use client.images.edit()" to a Python developer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from siliconflow_models import Site

from .config import API_KEY_VARIABLE, BASE_URL_VARIABLE
from .errors import NOTHING_SENT, ImageFailure

MAYBE_BILLED: Final = (
    "The generation may still have run and been billed: check your SiliconFlow usage before trying again."
)


@dataclass(frozen=True, slots=True)
class Wording:
    """How a front end names its own actions, for sentences that tell what to do instead."""

    generate: str = "client.images.generate()"
    edit: str = "client.images.edit()"
    list_models: str = "client.models.list()"


SDK_WORDING: Final = Wording()


def human_size(n: int) -> str:
    """`n` bytes as people read sizes: 812 bytes, 14 KB, 1.6 MB."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def console(base_url: str, site: Site | None) -> str:
    if site is not None:
        return site.console.removeprefix("https://")
    return "cloud.siliconflow.com" if "siliconflow.com" in base_url else "cloud.siliconflow.cn"


def _said(message: str | None) -> str:
    return (message or "no message").rstrip(".") or "no message"


def status(
    status_code: int,
    *,
    message: str | None,
    code: int | None,
    trace_id: str | None,
    retries: int,
    retry_after: float | None,
    base_url: str,
    site: Site | None,
    wording: Wording = SDK_WORDING,
) -> str:
    """One status of the API, in words: what happened and what to try."""
    said = _said(message)
    trace = f" Trace id {trace_id}." if trace_id else ""
    tried = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
    where = console(base_url, site)
    if status_code == 400:
        hint = (
            f" That model name is unknown to SiliconFlow here: {wording.list_models} lists the account's."
            if code == 20012
            else ""
        )
        return (
            f"SiliconFlow refused the request (400{f', code {code}' if code else ''}): {said}.{hint}{trace}"
        )
    if status_code == 401:
        return (
            f"SiliconFlow did not accept the API key (401: {said}). Check {API_KEY_VARIABLE}: keys of "
            f"api.siliconflow.cn and api.siliconflow.com are not interchangeable, and this client talks to "
            f"{base_url} ({BASE_URL_VARIABLE}).{trace}"
        )
    if status_code == 403:
        return (
            f"SiliconFlow refused this key access (403: {said}). The account may lack access to this model, "
            f"have an empty balance, or need identity verification; check {API_KEY_VARIABLE} and the "
            f"account at {where}.{trace}"
        )
    if status_code == 404:
        return (
            f"SiliconFlow has no such path (404: {said}). Check {BASE_URL_VARIABLE} (now {base_url}); "
            "it ends in /v1."
        )
    if status_code == 429:
        asked = f" It asks to wait {retry_after:g} s." if retry_after is not None else ""
        return (
            f"SiliconFlow is rate limiting this account (429{tried}): {said}.{asked} Image models are limited "
            f"in images per minute and per day: wait a minute, make fewer images per call, or raise the "
            f"limits at {where}.{trace}"
        )
    if status_code == 503:
        return (
            f"SiliconFlow's model service is overloaded (503{tried}): {said}. Try again in a few minutes, "
            f"or another model.{trace}"
        )
    if status_code == 504:
        return f"SiliconFlow's gateway timed out waiting for the model (504{tried}). {MAYBE_BILLED}{trace}"
    if status_code >= 500:
        return f"SiliconFlow failed on its side ({status_code}): {said}. Try again later.{trace}"
    return f"SiliconFlow answered an unexpected {status_code}: {said}.{trace}"


def could_not_connect(error: str, base_url: str, elapsed: float) -> str:
    return (
        f"Could not connect to SiliconFlow at {base_url} ({error}), giving up after {elapsed:.0f} s of "
        f"retries. Check the network, a proxy, or {BASE_URL_VARIABLE}."
    )


def no_answer_in_time(error: str, elapsed: float) -> str:
    return (
        f"SiliconFlow did not answer in time ({error} after {elapsed:.0f} s, retried at most once). "
        f"{MAYBE_BILLED} Fewer num_inference_steps or a smaller image_size finish sooner; a longer timeout "
        "waits more."
    )


def broke_mid_request(error: str) -> str:
    return f"The connection to SiliconFlow failed mid-request ({error}). {MAYBE_BILLED}"


def malformed(reason: str, status_code: int, trace_id: str | None) -> str:
    trace = f", trace id {trace_id}" if trace_id else ""
    return (
        f"SiliconFlow answered {status_code} with a body that does not match its API ({reason}{trace}). "
        f"No image was saved. {MAYBE_BILLED}"
    )


def unsendable(field: str) -> str:
    return f"`{field}` holds a lone surrogate, which is not text that can be sent."


def refused(model: str, problems: Sequence[str]) -> str:
    lead = "The request was refused before sending" + (f" ({model})" if model.strip() else "")
    return f"{lead}:\n- " + "\n- ".join(problems) + f"\n{NOTHING_SENT}"


def when(expires_at: float | None) -> str:
    if expires_at is None:
        return "within the hour"
    moment = dt.datetime.fromtimestamp(expires_at, dt.UTC)
    return f"until {moment:%Y-%m-%d %H:%M:%S} UTC"


def images_lost(
    what: str, failures: Sequence[ImageFailure], saved: Sequence[object], expires_at: float | None, count: int
) -> str:
    """A failure after the images were made: which ones, why, and where to fetch them still."""
    lines = [f"SiliconFlow made {count} image{'s' if count != 1 else ''}, but {what}:"]
    for failure in failures:
        lines.append(
            f"- image {failure.index + 1}: {failure.reason}; fetch it {when(expires_at)} at {failure.url}"
        )
    if saved:
        lines.append("Saved: " + ", ".join(str(path) for path in saved) + ".")
    lines.append("The call was billed; generating again costs again.")
    return "\n".join(lines)


def save_failed(folder: object, reason: str) -> str:
    return f"could not write to {folder} ({reason}): set another output folder, or free space"
