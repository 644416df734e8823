"""Image URLs expire like the API's (an hour by default), and the store's memory stays bounded.

Time is the emulator's injected clock, moved by the tests: no test sleeps.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from emulator_support import ManualClock

from siliconflow_emulator import EmulatorSettings, RunningEmulator
from siliconflow_emulator.storage import ImageStore

Generate = Callable[..., httpx.Response]


def made(generate: Generate) -> str:
    response = generate(model="Kwai-Kolors/Kolors", prompt="x", image_size="64x64")
    assert response.status_code == 200, response.text
    url: str = response.json()["images"][0]["url"]
    return url


def assert_expired(response: httpx.Response) -> None:
    assert response.status_code == 404
    assert response.text == "404 page not found"
    assert response.headers["content-type"].startswith("text/plain")


def test_the_default_ttl_is_an_hour(
    emulator: RunningEmulator, client: httpx.Client, generate: Generate, clock: ManualClock
) -> None:
    assert EmulatorSettings().image_ttl == emulator.settings.image_ttl == 3600.0
    url = made(generate)
    clock.advance(3599)
    assert client.get(url).status_code == 200
    clock.advance(1)
    assert_expired(client.get(url))


@pytest.mark.parametrize("ttl", [0.5, 30.0])
def test_a_shorter_ttl_is_honoured(
    emulator: RunningEmulator, client: httpx.Client, generate: Generate, clock: ManualClock, ttl: float
) -> None:
    emulator.settings.image_ttl = ttl
    url = made(generate)
    clock.advance(ttl * 0.9)
    assert client.get(url).status_code == 200
    clock.advance(ttl * 0.1)
    assert_expired(client.get(url))


def test_an_expired_url_is_no_input_either(
    emulator: RunningEmulator, generate: Generate, clock: ManualClock
) -> None:
    url = made(generate)
    clock.advance(3600)
    response = generate(model="Qwen/Qwen-Image-Edit", prompt="x", image=url)
    assert response.status_code == 400
    assert "no image at that URL" in response.json()["message"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_expired_images_leave_memory() -> None:
    clock = Clock()
    store = ImageStore(ttl=lambda: 10.0, max_bytes=1 << 20, clock=clock)
    first = store.put(b"a" * 100)
    clock.now += 5
    second = store.put(b"b" * 100)
    assert (store.get(first), len(store)) == (b"a" * 100, 2)
    clock.now += 6  # the first is 11 s old, the second 6 s
    assert store.get(first) is None
    assert store.get(second) == b"b" * 100
    assert (len(store), store.total_bytes) == (1, 100)
    clock.now += 10
    store.put(b"c")
    assert (len(store), store.total_bytes) == (1, 1)


def test_the_byte_cap_drops_the_oldest_first() -> None:
    store = ImageStore(ttl=lambda: 3600.0, max_bytes=250, clock=Clock())
    ids = [store.put(bytes([n]) * 100) for n in range(3)]
    assert store.get(ids[0]) is None
    assert store.get(ids[1]) == bytes([1]) * 100
    assert store.get(ids[2]) == bytes([2]) * 100
    assert store.total_bytes == 200


def test_ids_are_unguessable_and_unique() -> None:
    store = ImageStore(ttl=lambda: 3600.0, max_bytes=1 << 20, clock=Clock())
    ids = {store.put(b"same bytes") for _ in range(50)}
    assert len(ids) == 50
    assert all(len(image_id) == 32 for image_id in ids)
