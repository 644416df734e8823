"""Edges found in review: misspelt options, endless error bodies, reprs, unsafe stems, a caller's callback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sdk_support import FakeApi, answer, leaks

from siliconflow_images import AsyncSiliconFlow, BadRequestError, RequestRefusedError, SiliconFlow

QWEN = "Qwen/Qwen-Image"


@pytest.mark.parametrize("model", [QWEN, "example.invalid/never-a-model"])
def test_a_misspelt_option_is_refused_for_any_model(client: SiliconFlow, api: FakeApi, model: str) -> None:
    options: dict[str, Any] = {"sead": 42}
    with pytest.raises(RequestRefusedError) as caught:
        client.images.generate(model=model, prompt="a fox", **options)
    assert "`sead` is not a field of the request" in str(caught.value) and "seed" in str(caught.value)
    assert api.api_requests == []


def test_an_endless_error_body_is_read_only_so_far(
    make_client: Callable[..., SiliconFlow], api: FakeApi
) -> None:
    served = [0]

    def endless() -> Any:
        yield b'{"code": 20015, "message": "'
        while True:
            served[0] += 1
            yield b"x" * 65536

    api.answers = [httpx.Response(400, content=endless(), headers={"content-type": "application/json"})]
    with pytest.raises(BadRequestError) as caught:
        make_client().images.generate(model=QWEN, prompt="a fox")
    assert served[0] < 5 and len(str(caught.value)) < 1000


def test_no_repr_shows_the_key(client: SiliconFlow) -> None:
    shown = repr(client) + repr(client._stack()) + repr(client.with_options(max_retries=1))
    assert not leaks(shown)


def test_a_stem_cannot_leave_the_folder(client: SiliconFlow, api: FakeApi, tmp_path: Path) -> None:
    api.answers = [answer()]
    folder = tmp_path / "out"
    (path,) = client.images.generate(model=QWEN, prompt="a fox").save(folder, stem="../../escape/name")
    assert path.parent == folder and ".." not in path.name and "/" not in path.name


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
