"""Fetching one generated image, bounded in bytes, pixels and time, image bytes only.

The image host is whoever the API's answer names: it gets no key, and whatever it sends is
checked as it arrives (`ImageScan`). A deadline covers the whole download, so a host that
trickles a byte every few seconds is cut off however patient each single read is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import anyio
import httpx

from ._imagescan import ImageRejected, ImageScan, ScannedImage
from .config import ImageLimits

ChunkObserver = Callable[[bytes], None]
"""Called with each chunk as it arrives (progress bars, a decoder fed while downloading)."""


class FetchFailed(Exception):
    """One image could not be fetched; the message says why, in words."""


@dataclass(frozen=True, slots=True)
class Fetched:
    data: bytes
    image: ScannedImage


def _check_status(response: httpx.Response) -> None:
    if response.status_code != 200:
        expired = response.status_code in (403, 404, 410)
        hint = " (the link may have expired: they last one hour)" if expired else ""
        raise FetchFailed(f"the image host answered HTTP {response.status_code}{hint}")
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and not kind.startswith("image/") and kind != "application/octet-stream":
        raise FetchFailed(f"the image host sent {kind[:60]}, not an image")
    # httpx decodes any encoding that comes, asked for or not, before the byte cap counts:
    # one 64 KB chunk of gzip could decode to 64 MB at once.
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise FetchFailed(f"the image host sent it {encoding[:30]}-encoded, though only identity was asked")


def _timeout(limits: ImageLimits, timeout: httpx.Timeout) -> httpx.Timeout:
    # No single wait may outlast the whole download's deadline.
    cap = limits.download_deadline
    return httpx.Timeout(
        connect=min(timeout.connect or cap, cap),
        read=min(timeout.read or cap, cap),
        write=min(timeout.write or cap, cap),
        pool=min(timeout.pool or cap, cap),
    )


_UNUSABLE_URL: Final = (httpx.InvalidURL, ValueError)
"""What httpx raises for a URL it cannot fetch, its own checks passed: an unclosed IPv6 bracket
(InvalidURL), a host such as xn--zz that is no IDNA name (idna's errors are ValueErrors)."""


def _unusable(exc: Exception) -> FetchFailed:
    return FetchFailed(f"its URL is not one that can be fetched ({type(exc).__name__})")


def _send(client: httpx.Client, url: str, limits: ImageLimits) -> httpx.Response:
    # Only the request and the sending: a caller's `observe` raising ValueError stays theirs.
    try:
        request = client.build_request("GET", url, timeout=_timeout(limits, client.timeout))
        return client.send(request, stream=True)  # a redirect's target is built in here too
    except _UNUSABLE_URL as exc:
        raise _unusable(exc) from None


async def _asend(client: httpx.AsyncClient, url: str, limits: ImageLimits) -> httpx.Response:
    try:
        request = client.build_request("GET", url, timeout=_timeout(limits, client.timeout))
        return await client.send(request, stream=True)
    except _UNUSABLE_URL as exc:
        raise _unusable(exc) from None


def fetch(
    client: httpx.Client,
    url: str,
    limits: ImageLimits,
    observe: ChunkObserver | None = None,
) -> Fetched:
    """`_fetch` in a worker thread, waited for at most the deadline.

    A sync httpx request has no overall deadline, only one per read: a host that trickles its
    status line and headers a byte at a time never trips it, and the check between body chunks
    comes too late. At the deadline the caller gets FetchFailed and the worker (a daemon
    thread) is told to stop: it does at its next body chunk, or when the host stops sending.
    """
    outcome: list[Fetched | BaseException] = []
    stop = threading.Event()

    def work() -> None:
        try:
            outcome.append(_fetch(client, url, limits, observe, stop))
        except BaseException as exc:  # handed to the waiting caller
            outcome.append(exc)

    worker = threading.Thread(target=work, name="siliconflow-images-download", daemon=True)
    worker.start()
    worker.join(limits.download_deadline)
    if not outcome:
        stop.set()
        raise FetchFailed(f"it took longer than {limits.download_deadline:g} s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _fetch(
    client: httpx.Client,
    url: str,
    limits: ImageLimits,
    observe: ChunkObserver | None,
    stop: threading.Event,
) -> Fetched:
    scan = ImageScan(max_bytes=limits.max_download_bytes, max_pixels=limits.max_pixels)
    chunks: list[bytes] = []
    try:
        response = _send(client, url, limits)
        try:
            _check_status(response)
            for chunk in response.iter_bytes():
                if stop.is_set():
                    raise FetchFailed(f"it took longer than {limits.download_deadline:g} s")
                scan.feed(chunk)
                chunks.append(chunk)
                if observe is not None:
                    observe(chunk)
        finally:
            response.close()
    except ImageRejected as exc:
        raise FetchFailed(f"what came is not an acceptable image: {exc}") from None
    except httpx.TimeoutException:
        raise FetchFailed("the image host did not send it in time") from None
    except httpx.HTTPError as exc:
        raise FetchFailed(f"the download failed ({type(exc).__name__})") from None
    return _done(scan, chunks)


async def afetch(
    client: httpx.AsyncClient,
    url: str,
    limits: ImageLimits,
    observe: ChunkObserver | None = None,
) -> Fetched:
    scan = ImageScan(max_bytes=limits.max_download_bytes, max_pixels=limits.max_pixels)
    chunks: list[bytes] = []
    try:
        with anyio.fail_after(limits.download_deadline):
            response = await _asend(client, url, limits)
            try:
                _check_status(response)
                async for chunk in response.aiter_bytes():
                    scan.feed(chunk)
                    chunks.append(chunk)
                    if observe is not None:
                        observe(chunk)
            finally:
                await response.aclose()
    except TimeoutError:
        raise FetchFailed(f"it took longer than {limits.download_deadline:g} s") from None
    except ImageRejected as exc:
        raise FetchFailed(f"what came is not an acceptable image: {exc}") from None
    except httpx.TimeoutException:
        raise FetchFailed("the image host did not send it in time") from None
    except httpx.HTTPError as exc:
        raise FetchFailed(f"the download failed ({type(exc).__name__})") from None
    return _done(scan, chunks)


def _done(scan: ImageScan, chunks: list[bytes]) -> Fetched:
    try:
        image = scan.finish()
    except ImageRejected as exc:
        raise FetchFailed(f"what came is not an acceptable image: {exc}") from None
    return Fetched(b"".join(chunks), image)
