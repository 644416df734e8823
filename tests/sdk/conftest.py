"""Fixtures of the SDK tests: each test gets its own fake API, clock and clients."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sdk_support import CN, KEY, FakeApi, FakeClock

from siliconflow_images import AsyncSiliconFlow, SiliconFlow


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may reach the network beyond this machine: every other host name is refused
    # before a connection is tried (MockTransport never resolves a name at all).
    resolve = socket.getaddrinfo

    def loopback(host: bytes | str | None, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in (None, "127.0.0.1", "::1", "localhost"):
            raise OSError(f"the SDK tests reach loopback only, not {name!r}")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def make_client(api: FakeApi, clock: FakeClock) -> Iterator[Callable[..., SiliconFlow]]:
    """`make_client(**settings)`: a SiliconFlow over the fake API (key, CN site, fake clock)."""
    made: list[SiliconFlow] = []

    def make(**settings: Any) -> SiliconFlow:
        settings = {"api_key": KEY, "base_url": CN, "transport": api.transport, "clock": clock, **settings}
        client = SiliconFlow(**settings)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., SiliconFlow]) -> SiliconFlow:
    return make_client()


@pytest.fixture
def make_async_client(api: FakeApi, clock: FakeClock) -> Callable[..., AsyncSiliconFlow]:
    """`make_async_client(**settings)`: an AsyncSiliconFlow over the fake API; use it in `async with`."""

    def make(**settings: Any) -> AsyncSiliconFlow:
        settings = {"api_key": KEY, "base_url": CN, "transport": api.transport, "clock": clock, **settings}
        return AsyncSiliconFlow(**settings)

    return make
