"""One emulator for the whole directory, its settings reset around every test."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from emulator_support import TOKEN
from PIL import Image

from siliconflow_emulator import EmulatorSettings, Faults, RunningEmulator, run_in_thread


@pytest.fixture(scope="session")
def running_emulator() -> Iterator[RunningEmulator]:
    with run_in_thread(EmulatorSettings(api_keys=frozenset({TOKEN}))) as emulator:
        yield emulator


@pytest.fixture
def emulator(running_emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    settings = running_emulator.settings
    yield running_emulator
    # The app reads these on every request, so putting them back isolates the next test.
    settings.faults = Faults()
    settings.api_keys = frozenset({TOKEN})
    settings.image_ttl = 3600.0


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
    def fetch(url: str) -> Image.Image:
        response = client.get(url)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/png"
        picture = Image.open(io.BytesIO(response.content))
        assert picture.format == "PNG"
        picture.load()
        return picture

    return fetch
