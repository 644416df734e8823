"""Shared by the command line's tests: a fake clock, a counting transport, and a way to run the command."""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import httpx
from PIL import Image

SECRET_KEY = "sk-cli-test-never-print-7d3e1b5a9c"
"""The key the tests' environment holds; no output may contain it, whole or in part."""


class FakeClock:
    """Time that passes only when someone waits: nothing really sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        self.slept += max(seconds, 0.0)

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await anyio.lowlevel.checkpoint()


class Killed(KeyboardInterrupt):
    """What a kill looks like from inside: the process stops mid-batch (raised like Ctrl-C)."""


@dataclass
class CountingTransport(httpx.AsyncBaseTransport):
    """Counts generation requests on their way to the emulator, and how many overlap.

    `kill_after=N` stops the whole run (as a kill would) when request N+1 is about to go out.
    """

    kill_after: int | None = None
    generations: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    sent_before_first_answer: int = 0
    """Requests out before any came back: all of them when they go at once, 1 when one waits for another."""
    answered: int = 0
    prompts: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not (request.method == "POST" and request.url.path.endswith("/images/generations")):
            return await self._inner.handle_async_request(request)
        if self.kill_after is not None and self.generations >= self.kill_after:
            raise Killed
        self.generations += 1
        self.prompts[json.loads(request.content)["prompt"]] += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.sent_before_first_answer += not self.answered
        try:
            response = await self._inner.handle_async_request(request)
        finally:
            self.in_flight -= 1
            self.answered += 1
        self.statuses[response.status_code] += 1
        return response

    async def aclose(self) -> None:
        # The command closes its transport after each run; the counts carry on to the next run.
        await self._inner.aclose()
        self._inner = httpx.AsyncHTTPTransport()


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def png_file(
    path: Path, size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 80, 40)
) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def image_size(path: str | Path) -> tuple[int, int]:
    with Image.open(path) as picture:
        return picture.size


def batch_file(path: Path, lines: list[dict[str, Any] | str]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def manifest_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
