"""Downloads against a hostile image host: bounded in count, bytes, pixels and time, image bytes
only, and never with the key. Failures name each URL and how long it stays valid."""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from sdk_support import (
    CREATED,
    EXPIRY_TEXT,
    IMAGE_URL,
    KEY,
    FakeApi,
    answer,
    jpeg_bytes,
    png_bytes,
    png_head,
    trickle_server,
)

from siliconflow_images import (
    APIStatusError,
    AsyncSiliconFlow,
    DownloadError,
    ImageLimits,
    MalformedResponseError,
    SaveError,
    SiliconFlow,
    _http,
)

KOLORS = "Kwai-Kolors/Kolors"
QWEN = "Qwen/Qwen-Image"


def _urls(n: int) -> list[str]:
    return [f"https://images.example.net/out/{i}.png" for i in range(n)]


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


class Endless:
    """A body that never ends, each chunk freshly allocated; counts how many were pulled."""

    def __init__(self, head: bytes, chunk: int = 64 * 1024) -> None:
        self.head, self.chunk, self.pulled = head, chunk, 0

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        while True:
            self.pulled += 1
            yield bytes(self.chunk)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


# --- count ---------------------------------------------------------------------------------------------


def test_twenty_urls_for_one_image_is_refused_before_any_download(client: SiliconFlow, api: FakeApi) -> None:
    api.answers = [answer(_urls(20))]
    api.images.update({url: png_bytes() for url in _urls(20)})
    with pytest.raises(MalformedResponseError, match="20 image URLs for 1 image asked"):
        client.images.generate(model=QWEN, prompt="a fox")
    assert api.image_requests == []


@pytest.mark.anyio
async def test_twenty_urls_for_one_image_is_refused_async(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi
) -> None:
    api.answers = [answer(_urls(20))]
    async with make_async_client() as client:
        with pytest.raises(MalformedResponseError, match="20 image URLs"):
            await client.images.generate(model=KOLORS, prompt="a fox", batch_size=1)
    assert api.image_requests == []


# --- bytes and pixels ------------------------------------------------------------------------------------


def test_an_image_over_the_byte_cap_is_refused(make_client: Callable[..., SiliconFlow], api: FakeApi) -> None:
    big = png_bytes(300, 300)
    api.images[IMAGE_URL] = big
    client = make_client(limits=ImageLimits(max_download_bytes=len(big) - 1))
    with pytest.raises(DownloadError, match="larger than") as caught:
        client.images.generate(model=QWEN, prompt="a fox").download()
    assert caught.value.failures[0].url == IMAGE_URL


def test_an_endless_body_is_cut_at_the_byte_cap(
    make_client: Callable[..., SiliconFlow], api: FakeApi
) -> None:
    body = Endless(png_head(100, 100))
    api.images[IMAGE_URL] = httpx.Response(200, headers={"content-type": "image/png"}, content=body)
    client = make_client(limits=ImageLimits(max_download_bytes=1024 * 1024))
    with pytest.raises(DownloadError, match="larger than"):
        client.images.generate(model=QWEN, prompt="a fox").download()
    assert body.pulled <= 1024 * 1024 // body.chunk + 2


def test_a_header_claiming_12000_by_12000_is_refused_at_once_without_memory_growth(
    client: SiliconFlow, api: FakeApi
) -> None:
    body = Endless(png_head(12000, 12000))
    api.images[IMAGE_URL] = httpx.Response(200, headers={"content-type": "image/png"}, content=body)
    result = client.images.generate(model=QWEN, prompt="a fox")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(DownloadError, match="12000x12000 pixels, more than the 25,000,000 allowed"):
            result.download()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 1.0
    assert body.pulled <= 1  # refused on the header: the body after it is never read
    assert peak < 4 * 1024 * 1024
    assert result.images[0].data is None


def test_a_jpeg_header_over_the_pixel_cap_is_refused(
    make_client: Callable[..., SiliconFlow], api: FakeApi
) -> None:
    api.images[IMAGE_URL] = jpeg_bytes(300, 200)
    client = make_client(limits=ImageLimits(max_pixels=300 * 200 - 1))
    with pytest.raises(DownloadError, match="300x200 pixels"):
        client.images.generate(model=QWEN, prompt="a fox").download()


# --- what is and is not an image -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "words"),
    [
        (png_bytes() + b"\x00", "image/png", "bytes follow the end of the image"),
        (png_bytes() + png_bytes(), "image/png", "bytes follow the end of the image"),
        (jpeg_bytes() + b"<script>", "image/jpeg", "bytes follow the end of the image"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "text/html", "text/html, not an image"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "image/png", "a web page, not an image"),
        (b'{"error": "expired"}', "application/octet-stream", "JSON, not an image"),
        (b"GIF89a" + b"\x00" * 40, "image/gif", "not a PNG or JPEG"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", "not a PNG or JPEG"),
        (png_bytes()[:-20], "image/png", "cut short"),
        (b"", "image/png", "it is empty"),
    ],
    ids=[
        "png-trailing-byte",
        "two-pngs",
        "jpeg-trailing",
        "html",
        "html-as-png",
        "json",
        "gif",
        "webp",
        "truncated",
        "empty",
    ],
)
def test_what_is_not_an_acceptable_image_is_refused(
    client: SiliconFlow, api: FakeApi, content: bytes, content_type: str, words: str
) -> None:
    api.images[IMAGE_URL] = httpx.Response(200, content=content, headers={"content-type": content_type})
    result = client.images.generate(model=QWEN, prompt="a fox")
    with pytest.raises(DownloadError, match=words):
        result.download()
    assert result.images[0].data is None


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_an_encoded_image_is_refused_before_it_is_decoded(
    make_client: Callable[..., SiliconFlow], api: FakeApi, encoding: str
) -> None:
    # 8 KB of gzip that decodes past the 1 MB cap: the cap counted decoded bytes, each chunk inflated whole.
    inflated = png_bytes() + bytes(8 * 1024 * 1024)
    packed = gzip.compress(inflated) if encoding == "gzip" else zlib.compress(inflated)
    api.images[IMAGE_URL] = httpx.Response(
        200, content=packed, headers={"content-type": "image/png", "content-encoding": encoding}
    )
    result = make_client(limits=ImageLimits(max_download_bytes=1024 * 1024)).images.generate(
        model=QWEN, prompt="a fox"
    )
    with pytest.raises(DownloadError, match=f"{encoding}-encoded, though only identity was asked"):
        result.download()
    assert api.image_requests[0].headers["accept-encoding"] == "identity"


@pytest.mark.parametrize("content_type", ["image/png", "application/octet-stream", None])
def test_png_and_jpeg_are_accepted_with_any_image_or_binary_type(
    client: SiliconFlow, api: FakeApi, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    api.images[IMAGE_URL] = httpx.Response(200, content=jpeg_bytes(20, 10), headers=headers)
    (image,) = client.images.generate(model=QWEN, prompt="a fox").download()
    assert (image.mime_type, image.width, image.height) == ("image/jpeg", 20, 10)


# --- failures name the URL and its expiry -------------------------------------------------------------------


def test_a_404_image_url_gives_a_download_error_with_the_url_and_its_expiry(
    client: SiliconFlow, api: FakeApi
) -> None:
    api.images[IMAGE_URL] = httpx.Response(404, text="404 page not found")
    result = client.images.generate(model=QWEN, prompt="a fox")
    with pytest.raises(DownloadError) as caught:
        result.download()
    error = caught.value
    assert IMAGE_URL in str(error)
    assert EXPIRY_TEXT in str(error)
    assert "HTTP 404" in str(error) and "expired" in str(error)
    assert error.expires_at == CREATED + 3600 == result.expires_at
    assert [(f.index, f.url) for f in error.failures] == [(0, IMAGE_URL)]
    assert error.maybe_billed
    assert error.saved == ()


def test_a_partial_failure_saves_what_arrived(client: SiliconFlow, api: FakeApi, tmp_path: Path) -> None:
    urls = _urls(3)
    api.answers = [answer(urls)]
    api.images.update({urls[0]: png_bytes(), urls[1]: httpx.Response(410), urls[2]: jpeg_bytes()})
    result = client.images.generate(model=KOLORS, prompt="a fox", batch_size=3)
    with pytest.raises(DownloadError) as caught:
        result.save(tmp_path)
    error = caught.value
    assert [f.url for f in error.failures] == [urls[1]]
    assert sorted(p.name for p in error.saved) == _names(tmp_path)
    assert len(error.saved) == 2
    assert "image 2:" in str(error) and urls[1] in str(error) and EXPIRY_TEXT in str(error)
    assert "Saved: " in str(error)
    assert result.images[1].data is None and result.images[0].data is not None


def test_a_failed_save_lists_each_url_and_keeps_the_images(
    client: SiliconFlow, api: FakeApi, tmp_path: Path
) -> None:
    urls = _urls(2)
    api.answers = [answer(urls)]
    api.images.update({url: png_bytes() for url in urls})
    result = client.images.generate(model=KOLORS, prompt="a fox", batch_size=2)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(SaveError) as caught:
        result.save(blocker / "out")  # cannot be created: a file stands in the way
    error = caught.value
    assert [f.url for f in error.failures] == urls
    for url in urls:
        assert url in str(error)
    assert str(error).count(EXPIRY_TEXT) == 2
    assert "could not write to" in str(error)
    assert error.saved == ()
    # The images stay in memory: saving elsewhere needs no second download.
    fetched = len(api.image_requests)
    paths = result.save(tmp_path / "good")
    assert len(paths) == 2 and all(p.exists() for p in paths)
    assert len(api.image_requests) == fetched


# An IDNA name that is no name (idna raises ValueError), and an IPv6 bracket closed too soon
# (httpx raises InvalidURL): both pass the answer's checks, and only httpx finds them out.
UNUSABLE_URLS = ["https://xn--zz.example/a.png", "https://[::1]x/a.png"]


@pytest.mark.parametrize("bad", UNUSABLE_URLS)
def test_an_image_url_httpx_cannot_use_fails_that_image_only(
    client: SiliconFlow, api: FakeApi, tmp_path: Path, bad: str
) -> None:
    api.answers = [answer([IMAGE_URL, bad])]
    result = client.images.generate(model=KOLORS, prompt="a fox", batch_size=2)
    with pytest.raises(DownloadError, match="its URL is not one that can be fetched") as caught:
        result.save(tmp_path)
    assert [failure.index for failure in caught.value.failures] == [1]
    assert len(caught.value.saved) == 1 and caught.value.saved[0].exists()


@pytest.mark.anyio
@pytest.mark.parametrize("bad", UNUSABLE_URLS)
async def test_an_image_url_httpx_cannot_use_fails_that_image_only_async(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi, tmp_path: Path, bad: str
) -> None:
    api.answers = [answer([IMAGE_URL, bad])]
    async with make_async_client() as client:
        result = await client.images.generate(model=KOLORS, prompt="a fox", batch_size=2)
        with pytest.raises(DownloadError, match="its URL is not one that can be fetched") as caught:
            await result.save(tmp_path)
    assert [failure.index for failure in caught.value.failures] == [1]
    assert len(caught.value.saved) == 1


def test_a_redirect_to_a_url_httpx_cannot_use_is_a_download_error(client: SiliconFlow, api: FakeApi) -> None:
    api.images[IMAGE_URL] = httpx.Response(302, headers={"Location": UNUSABLE_URLS[0]})
    result = client.images.generate(model=QWEN, prompt="a fox")
    with pytest.raises(DownloadError, match="its URL is not one that can be fetched"):
        result.download()


@pytest.mark.anyio
async def test_async_failures_name_the_url_and_save_what_arrived(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi, tmp_path: Path
) -> None:
    urls = _urls(2)
    api.answers = [answer(urls)]
    api.images.update({urls[0]: httpx.Response(404), urls[1]: png_bytes()})
    async with make_async_client() as client:
        result = await client.images.generate(model=KOLORS, prompt="a fox", batch_size=2)
        with pytest.raises(DownloadError) as caught:
            await result.save(tmp_path)
    assert [f.index for f in caught.value.failures] == [0]
    assert urls[0] in str(caught.value) and EXPIRY_TEXT in str(caught.value)
    assert [p.name for p in caught.value.saved] == _names(tmp_path)


# --- the key stays with the API ------------------------------------------------------------------------------

API_BASE = "http://127.0.0.1:9000/v1"
SAME_HOST_OTHER_PORT = "http://127.0.0.1:9001/files/a.png"


def _key_scoping_api() -> FakeApi:
    """Images on another port of the API's host, and links that redirect, even to the API itself."""
    return FakeApi(
        answers=[
            answer(
                [
                    SAME_HOST_OTHER_PORT,
                    "https://127.0.0.1:9000/files/b.png",  # the API's host and port, but https
                    "http://127.0.0.1:9001/redirect-to-api",
                    "https://images.example.net/redirect-away",
                ]
            )
        ],
        images={
            SAME_HOST_OTHER_PORT: png_bytes(),
            "https://127.0.0.1:9000/files/b.png": png_bytes(),
            "http://127.0.0.1:9001/redirect-to-api": httpx.Response(
                302, headers={"Location": "http://127.0.0.1:9000/v1/files/c.png"}
            ),
            "http://127.0.0.1:9000/v1/files/c.png": png_bytes(),
            "https://images.example.net/redirect-away": httpx.Response(
                307, headers={"Location": "https://cdn.example.org/d.png"}
            ),
            "https://cdn.example.org/d.png": png_bytes(),
        },
    )


def _authorizations(api: FakeApi) -> dict[str, str | None]:
    return {str(r.url): r.headers.get("Authorization") for r in api.requests}


EXPECTED_AUTH = {
    f"{API_BASE}/images/generations": f"Bearer {KEY}",
    SAME_HOST_OTHER_PORT: None,
    "https://127.0.0.1:9000/files/b.png": None,
    "http://127.0.0.1:9001/redirect-to-api": None,
    "http://127.0.0.1:9000/v1/files/c.png": None,
    "https://images.example.net/redirect-away": None,
    "https://cdn.example.org/d.png": None,
}


def test_the_key_goes_to_the_api_and_never_to_an_image_host(tmp_path: Path) -> None:
    api = _key_scoping_api()
    with SiliconFlow(api_key=KEY, base_url=API_BASE, transport=api.transport) as client:
        result = client.images.generate(model=KOLORS, prompt="a fox", batch_size=4)
        assert len(result.save(tmp_path)) == 4
    assert _authorizations(api) == EXPECTED_AUTH


@pytest.mark.anyio
async def test_the_key_goes_to_the_api_and_never_to_an_image_host_async(tmp_path: Path) -> None:
    api = _key_scoping_api()
    async with AsyncSiliconFlow(api_key=KEY, base_url=API_BASE, transport=api.transport) as client:
        result = await client.images.generate(model=KOLORS, prompt="a fox", batch_size=4)
        assert len(await result.save(tmp_path)) == 4
    assert _authorizations(api) == EXPECTED_AUTH


def test_the_key_is_not_sent_through_a_callers_http_client_to_an_image_host(tmp_path: Path) -> None:
    api = _key_scoping_api()
    with (
        httpx.Client(transport=api.transport, follow_redirects=True) as http,
        SiliconFlow(api_key=KEY, base_url=API_BASE, http_client=http) as client,
    ):
        client.images.generate(model=KOLORS, prompt="a fox", batch_size=4).save(tmp_path)
    assert _authorizations(api) == EXPECTED_AUTH


def test_a_redirect_from_the_api_is_not_followed_with_the_key(client: SiliconFlow, api: FakeApi) -> None:
    api.answers = [httpx.Response(307, headers={"Location": "https://collector.example/steal"})]
    with pytest.raises(APIStatusError, match="307"):
        client.images.generate(model=QWEN, prompt="a fox")
    assert [r.url.host for r in api.requests] == ["api.siliconflow.cn"]


def test_a_callers_client_that_follows_redirects_drops_the_key_off_origin(api: FakeApi) -> None:
    api.answers = [httpx.Response(307, headers={"Location": "https://collector.example/steal"}), answer()]
    with (
        httpx.Client(transport=api.transport, follow_redirects=True) as http,
        SiliconFlow(api_key=KEY, http_client=http) as client,
    ):
        client.images.generate(model=QWEN, prompt="a fox").download()
    carried = {r.url.host for r in api.requests if r.headers.get("Authorization")}
    assert carried == {"api.siliconflow.cn"}
    assert "collector.example" in {r.url.host for r in api.requests}


# --- all at once ---------------------------------------------------------------------------------------------


def test_the_images_are_downloaded_at_once(client: SiliconFlow, api: FakeApi, tmp_path: Path) -> None:
    urls = _urls(4)
    everyone_in = threading.Barrier(4, timeout=5)  # one at a time would never get past it

    def image(request: httpx.Request) -> httpx.Response:
        everyone_in.wait()
        return httpx.Response(200, content=png_bytes(), headers={"content-type": "image/png"})

    api.answers = [answer(urls)]
    api.images.update(dict.fromkeys(urls, image))
    assert len(client.images.generate(model=KOLORS, prompt="a fox", batch_size=4).save(tmp_path)) == 4


@pytest.mark.anyio
async def test_the_images_are_downloaded_at_once_async(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi
) -> None:
    urls = _urls(3)
    arrived: list[str] = []
    all_in = anyio.Event()

    async def image(request: httpx.Request) -> httpx.Response:
        arrived.append(str(request.url))
        if len(arrived) == len(urls):
            all_in.set()
        with anyio.fail_after(5):
            await all_in.wait()
        return httpx.Response(200, content=png_bytes(), headers={"content-type": "image/png"})

    api.answers = [answer(urls)]
    api.images.update(dict.fromkeys(urls, image))  # type: ignore[arg-type]
    async with make_async_client() as client:
        images = await (await client.images.generate(model=KOLORS, prompt="a fox", batch_size=3)).download()
    assert [i.size for i in images] == ["16x12"] * 3


def test_observe_sees_every_chunk_of_every_image(client: SiliconFlow, api: FakeApi) -> None:
    urls = _urls(2)
    api.answers = [answer(urls)]
    api.images.update({urls[0]: png_bytes(), urls[1]: jpeg_bytes()})
    seen: dict[int, int] = {}
    lock = threading.Lock()

    def observe(index: int, chunk: bytes) -> None:
        with lock:
            seen[index] = seen.get(index, 0) + len(chunk)

    images = client.images.generate(model=KOLORS, prompt="a fox", batch_size=2).download(observe=observe)
    assert seen == {0: images[0].bytes, 1: images[1].bytes}


# --- the deadline, against a real socket ------------------------------------------------------------------------

DEADLINE = 0.5


def _download_workers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "siliconflow-images-download"]


@pytest.mark.parametrize("mode", ["body", "headers"])
def test_a_trickling_image_host_is_cut_off_at_the_deadline(mode: str) -> None:
    # A byte every 0.1 s never trips a read timeout; before the fix a host trickling its headers
    # held a sync download for as long as it liked.
    before = set(_download_workers())
    limits = ImageLimits(download_deadline=DEADLINE)
    # max_retries=0: once the server hangs up, the abandoned worker ends instead of retrying.
    with (
        trickle_server(mode) as server,
        SiliconFlow(api_key=KEY, base_url=server.base_url, limits=limits, max_retries=0) as client,
    ):
        result = client.images.generate(model=QWEN, prompt="a fox")
        started = time.monotonic()
        with pytest.raises(DownloadError, match=f"took longer than {DEADLINE:g} s"):
            result.download()
        elapsed = time.monotonic() - started
    assert DEADLINE * 0.9 <= elapsed < DEADLINE + 0.5
    for worker in set(_download_workers()) - before:  # nothing outlives the test
        worker.join(timeout=2)
        assert not worker.is_alive()


def test_an_abandoned_download_does_not_starve_the_api_of_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An abandoned sync download keeps its connection until the host lets go. One connection a
    # pool makes one such download enough to show it; in real use it took 64.
    monkeypatch.setattr(_http, "POOL_LIMITS", httpx.Limits(max_connections=1))
    limits = ImageLimits(download_deadline=DEADLINE)
    with (
        trickle_server("headers") as server,
        SiliconFlow(api_key=KEY, base_url=server.base_url, limits=limits, max_retries=0, timeout=2) as client,
    ):
        result = client.images.generate(model=QWEN, prompt="a fox")
        with pytest.raises(DownloadError, match="took longer"):
            result.download()
        # With one pool for both, this waited for the download's connection: PoolTimeout.
        assert client.images.generate(model=QWEN, prompt="a fox").urls


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["body", "headers"])
async def test_a_trickling_image_host_is_cut_off_at_the_deadline_async(mode: str) -> None:
    with trickle_server(mode) as server:
        limits = ImageLimits(download_deadline=DEADLINE)
        async with AsyncSiliconFlow(api_key=KEY, base_url=server.base_url, limits=limits) as client:
            result = await client.images.generate(model=QWEN, prompt="a fox")
            started = time.monotonic()
            with pytest.raises(DownloadError, match=f"took longer than {DEADLINE:g} s"):
                await result.download()
            elapsed = time.monotonic() - started
    assert DEADLINE * 0.9 <= elapsed < DEADLINE + 0.5


@pytest.mark.anyio
async def test_an_observer_that_raises_is_the_callers_error_not_a_group(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi, tmp_path: Path
) -> None:
    api.answers = [answer()]

    def broken(index: int, chunk: bytes) -> None:
        raise LookupError("the caller's own bug")

    async with make_async_client() as client:
        result = await client.images.generate(model=QWEN, prompt="a fox")
        with pytest.raises(LookupError, match="the caller's own bug"):
            await result.save(tmp_path, observe=broken)
