"""End to end against the emulator: a real HTTP server on loopback speaking the spec, with its
faults. (It knows only the Chinese site's models for now: FLUX rules are tested on MockTransport.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sdk_support import KEY, FakeClock, png_bytes

from siliconflow_emulator import EmulatorSettings, RunningEmulator, run_in_thread
from siliconflow_images import (
    AsyncSiliconFlow,
    AuthenticationError,
    DownloadError,
    GatewayTimeoutError,
    InternalServerError,
    MalformedResponseError,
    RateLimitError,
    SiliconFlow,
)
from siliconflow_images.files import read_record

KOLORS = "Kwai-Kolors/Kolors"
QWEN = "Qwen/Qwen-Image"
EDIT_2509 = "Qwen/Qwen-Image-Edit-2509"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    # One per test (it starts in a few milliseconds): faults set by one test never reach another.
    with run_in_thread(EmulatorSettings(api_keys=frozenset({KEY}))) as running:
        yield running


@pytest.fixture
def client(emulator: RunningEmulator, clock: FakeClock) -> Iterator[SiliconFlow]:
    with SiliconFlow(api_key=KEY, base_url=emulator.base_url, clock=clock) as client:
        yield client


def test_generate_and_save_end_to_end(client: SiliconFlow, tmp_path: Path) -> None:
    result = client.images.generate(
        model=KOLORS, prompt="a lighthouse", image_size="256x192", batch_size=2, seed=9
    )
    assert result.seed == 9 and result.trace_id and len(result.images) == 2
    assert result.created is not None and result.expires_at == result.created + 3600
    paths = result.save(tmp_path)
    for path in paths:
        with Image.open(path) as picture:
            assert (picture.format, picture.size) == ("PNG", (256, 192))
            assert "Seed: 9" in picture.text["parameters"]
        record = read_record(path)
        assert record is not None and record["trace_id"] == result.trace_id
    assert [image.size for image in result.images] == ["256x192", "256x192"]


def test_the_same_seed_and_prompt_give_the_same_bytes(client: SiliconFlow) -> None:
    first = client.images.generate(model=QWEN, prompt="a fox", image_size="128x128", seed=3).download()
    second = client.images.generate(model=QWEN, prompt="a fox", image_size="128x128", seed=3).download()
    assert first[0].data == second[0].data


def test_edit_end_to_end_with_two_inputs(client: SiliconFlow, tmp_path: Path) -> None:
    (tmp_path / "scene.png").write_bytes(png_bytes(96, 64, "green"))
    result = client.images.edit(
        model=EDIT_2509,
        prompt="put the fox in the scene",
        image=png_bytes(96, 64),
        image2=tmp_path / "scene.png",
    )
    (image,) = result.download()
    assert image.mime_type == "image/png" and image.width and image.height


def test_models_list_end_to_end(client: SiliconFlow) -> None:
    models = {model.id: model for model in client.models.list()}
    assert QWEN in models and models[QWEN].capabilities is not None


def test_a_wrong_key_is_an_authentication_error(emulator: RunningEmulator) -> None:
    with (
        SiliconFlow(api_key="sk-wrong", base_url=emulator.base_url) as client,
        pytest.raises(AuthenticationError, match="SILICONFLOW_API_KEY"),
    ):
        client.images.generate(model=QWEN, prompt="a fox")


def test_rate_limits_are_waited_out_on_the_clock(
    client: SiliconFlow, emulator: RunningEmulator, clock: FakeClock
) -> None:
    emulator.settings.faults.rate_limit = 2
    emulator.settings.faults.retry_after = 4
    assert client.images.generate(model=QWEN, prompt="a fox", image_size="64x64").images
    assert clock.sleeps == [4.0, 4.0]


def test_too_many_rate_limits_raise_rate_limit_error(emulator: RunningEmulator, clock: FakeClock) -> None:
    emulator.settings.faults.rate_limit = 10
    with (
        SiliconFlow(api_key=KEY, base_url=emulator.base_url, clock=clock, max_retries=2) as client,
        pytest.raises(RateLimitError) as caught,
    ):
        client.images.generate(model=QWEN, prompt="a fox")
    assert (caught.value.retries, caught.value.retry_after) == (2, 1.0)
    assert emulator.settings.faults.rate_limit == 7


def test_overload_then_success(client: SiliconFlow, emulator: RunningEmulator, clock: FakeClock) -> None:
    emulator.settings.faults.overload = 1
    assert client.images.generate(model=QWEN, prompt="a fox", image_size="64x64").images
    assert clock.sleeps == [1.0]


def test_persistent_overload_is_an_internal_server_error(emulator: RunningEmulator, clock: FakeClock) -> None:
    emulator.settings.faults.overload = 5
    with (
        SiliconFlow(api_key=KEY, base_url=emulator.base_url, clock=clock, max_retries=1) as client,
        pytest.raises(InternalServerError) as caught,
    ):
        client.images.generate(model=QWEN, prompt="a fox")
    assert caught.value.code == 50505


def test_a_gateway_timeout_is_retried_once(client: SiliconFlow, emulator: RunningEmulator) -> None:
    emulator.settings.faults.gateway_timeout = 3
    with pytest.raises(GatewayTimeoutError):
        client.images.generate(model=QWEN, prompt="a fox")
    assert emulator.settings.faults.gateway_timeout == 1


def test_a_malformed_answer_is_a_malformed_response_error(
    client: SiliconFlow, emulator: RunningEmulator
) -> None:
    emulator.settings.faults.malformed = 1
    with pytest.raises(MalformedResponseError):
        client.images.generate(model=QWEN, prompt="a fox")
    assert client.images.generate(
        model=QWEN, prompt="a fox", image_size="64x64"
    ).images  # the next one is fine


def test_an_expired_image_url_is_a_download_error_naming_it(
    client: SiliconFlow, emulator: RunningEmulator
) -> None:
    emulator.settings.image_ttl = 0.0
    result = client.images.generate(model=QWEN, prompt="a fox", image_size="64x64")
    with pytest.raises(DownloadError, match="HTTP 404") as caught:
        result.download()
    assert result.images[0].url in str(caught.value)


@pytest.mark.anyio
async def test_async_end_to_end(emulator: RunningEmulator, clock: FakeClock, tmp_path: Path) -> None:
    emulator.settings.faults.rate_limit = 1
    async with AsyncSiliconFlow(api_key=KEY, base_url=emulator.base_url, clock=clock) as client:
        result = await client.images.generate(
            model=KOLORS, prompt="a lighthouse", image_size="64x64", batch_size=3
        )
        paths = await result.save(tmp_path)
        models = await client.models.list()
    assert clock.sleeps == [1.0]
    assert len(paths) == 3 and all(path.exists() for path in paths)
    assert KOLORS in {model.id for model in models}
