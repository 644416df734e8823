"""Image URLs expire like the API's, and the store's memory stays bounded."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from siliconflow_emulator import RunningEmulator
from siliconflow_emulator.storage import ImageStore

Generate = Callable[..., httpx.Response]


def test_urls_answer_404_after_the_ttl(
    emulator: RunningEmulator, client: httpx.Client, generate: Generate
) -> None:
    emulator.settings.image_ttl = 0.3
    url = generate(model="Kwai-Kolors/Kolors", prompt="x", image_size="64x64").json()["images"][0]["url"]
    assert client.get(url).status_code == 200
    time.sleep(0.4)
    expired = client.get(url)
    assert expired.status_code == 404
    assert expired.text == "404 page not found"
    assert expired.headers["content-type"].startswith("text/plain")


def test_the_default_ttl_is_an_hour(emulator: RunningEmulator) -> None:
    assert emulator.settings.image_ttl == 3600.0


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
