"""Input images given as URLs: the emulator's own are read from its store, every other one is
refused without being tried (and in words that say nothing about it), unless loopback fetching
is turned on."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import httpx
import pytest
from emulator_support import TOKEN
from PIL import Image

from siliconflow_emulator import EmulatorSettings, RunningEmulator, run_in_thread
from siliconflow_models import ErrorBody

Generate = Callable[..., httpx.Response]
Download = Callable[[str], Image.Image]
EDIT = "Qwen/Qwen-Image-Edit"


def made(generate: Generate, **body: object) -> str:
    response = generate(**{"model": "Kwai-Kolors/Kolors", "prompt": "x", "image_size": "200x120", **body})
    assert response.status_code == 200, response.text
    url: str = response.json()["images"][0]["url"]
    return url


def edited_size(response: httpx.Response, download: Download) -> tuple[int, int]:
    assert response.status_code == 200, response.text
    return download(response.json()["images"][0]["url"]).size


def refusal(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    error = ErrorBody.model_validate(response.json())
    assert (error.code, error.data) == (20015, "image")
    return error.message


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback port that accepts connections and records them, answering nothing."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.setblocking(False)
        yield sock


def connections(listener: socket.socket) -> int:
    count = 0
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def other_server() -> Iterator[RunningEmulator]:
    """Another HTTP server on loopback, serving images of its own: not this emulator's URLs."""
    with run_in_thread(EmulatorSettings()) as running:
        yield running


def test_own_urls_are_read_from_the_store_not_fetched(
    emulator: RunningEmulator, generate: Generate, download: Download
) -> None:
    url = made(generate)
    assert url.startswith(f"{emulator.origin}/files/") and url.endswith(".png")
    # A fetch over HTTP would be a download and get the HTML page; reading the store does not.
    emulator.settings.faults.not_an_image = 1
    by_ip = generate(model=EDIT, prompt="y", image=url)
    by_name = generate(model=EDIT, prompt="y", image=url.replace("127.0.0.1", "localhost"))
    assert emulator.settings.faults.not_an_image == 1
    emulator.settings.faults.not_an_image = 0
    assert edited_size(by_ip, download) == edited_size(by_name, download) == (200, 120)


def test_own_jpeg_urls_are_inputs_too(
    emulator: RunningEmulator, generate: Generate, download: Download
) -> None:
    # FLUX.2-pro makes JPEGs on the international site; the store outlives a change of site.
    emulator.settings.site = "com"
    url = made(generate, model="black-forest-labs/FLUX.2-pro", image_size="768x1024", output_format="jpeg")
    assert url.endswith(".jpg")
    emulator.settings.site = "cn"
    assert edited_size(generate(model=EDIT, prompt="y", image=url), download) == (768, 1024)


@pytest.mark.parametrize("change", [(".png", ".jpg"), (".png", ""), ("/files/", "/files/0")])
def test_own_urls_that_name_no_image(generate: Generate, change: tuple[str, str]) -> None:
    url = made(generate).replace(*change)
    assert "no image at that URL" in refusal(generate(model=EDIT, prompt="y", image=url))


def test_other_urls_are_refused_without_a_connection_and_alike(
    emulator: RunningEmulator, generate: Generate, listener: socket.socket, other_server: RunningEmulator
) -> None:
    port = listener.getsockname()[1]
    urls = [
        f"http://127.0.0.1:{port}/cat.png",
        f"http://localhost:{port}/files/0123.png",
        f"http://127.0.0.1:{closed_port()}/cat.png",
        made(generate).replace(emulator.origin, other_server.origin),
        f"{emulator.base_url}/models",
        "https://inews.gtimg.com/om_bt/Os3eJ8u3SgB3Kd-zrRRhgfR5hUvdwcVPKUTNO6O7sZfUwAA/641",
        "http://10.0.0.1/cat.png",
        "http://[2001:db8::1]/cat.png",
        "http://127.0.0.1.example.com/cat.png",
        "just some text",
    ]
    messages = {refusal(generate(model=EDIT, prompt="x", image=url)) for url in urls}
    assert connections(listener) == 0
    # One sentence for all: nothing in it tells an open port from a closed one, or says what answered.
    (message,) = messages
    assert "data URI" in message and f"{emulator.origin}/files/" in message and "--fetch-loopback" in message
    assert str(port) not in message


def test_fetch_loopback_fetches_loopback_urls(
    emulator: RunningEmulator, generate: Generate, download: Download, other_server: RunningEmulator
) -> None:
    theirs = httpx.post(
        other_server.base_url + "/images/generations",
        json={"model": "Kwai-Kolors/Kolors", "prompt": "x", "image_size": "160x96"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        trust_env=False,
    ).json()["images"][0]["url"]
    assert "--fetch-loopback" in refusal(generate(model=EDIT, prompt="y", image=theirs))
    emulator.settings.fetch_loopback = True
    assert edited_size(generate(model=EDIT, prompt="y", image=theirs), download) == (160, 96)
    missing = f"{other_server.origin}/files/0123.png"
    assert "HTTP 404" in refusal(generate(model=EDIT, prompt="y", image=missing))
    other_server.settings.faults.not_an_image = 1
    assert "not an image" in refusal(generate(model=EDIT, prompt="y", image=theirs))
    # Off the machine stays off.
    assert "loopback" in refusal(generate(model=EDIT, prompt="y", image="http://example.com/cat.png"))
