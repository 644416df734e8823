"""One emulator for the whole directory, put back as it started around every test."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from emulator_support import TOKEN, ManualClock
from PIL import Image

from siliconflow_emulator import EmulatorSettings, RunningEmulator, run_in_thread


@pytest.fixture(scope="session")
def clock() -> ManualClock:
    """The emulator's clock: a test moves it instead of sleeping. It only ever goes forward."""
    return ManualClock()


@pytest.fixture(scope="session")
def running_emulator(clock: ManualClock) -> Iterator[RunningEmulator]:
    with run_in_thread(EmulatorSettings(api_keys=frozenset({TOKEN}), clock=clock)) as emulator:
        yield emulator


@pytest.fixture
def emulator(running_emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    # Before as well as after: a test never depends on the one before it having cleaned up.
    running_emulator.reset()
    yield running_emulator
    running_emulator.reset()


@pytest.fixture
def client(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=30, trust_env=False) as http:
        yield http


@pytest.fixture
def generate(client: httpx.Client) -> Callable[..., httpx.Response]:
    def post(**body: Any) -> httpx.Response:
        return client.post("/images/generations", json=body)

    return post


@pytest.fixture
def download(client: httpx.Client) -> Callable[[str], Image.Image]:
    """Fetch an image URL and open it, checking that the bytes are what the URL and header say."""

    def fetch(url: str) -> Image.Image:
        response = client.get(url)
        assert response.status_code == 200, response.text
        expected = ("image/jpeg", "JPEG") if url.endswith(".jpg") else ("image/png", "PNG")
        picture = Image.open(io.BytesIO(response.content))
        assert (response.headers["content-type"], picture.format) == expected
        picture.load()
        return picture

    return fetch
