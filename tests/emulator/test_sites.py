"""The two sites: each serves its own models, with their per-model rules from the spec's table."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import httpx
import pytest
from PIL import Image, ImageChops, ImageStat

from siliconflow_emulator import EmulatorSettings, RunningEmulator
from siliconflow_emulator.responses import ApiError
from siliconflow_emulator.validation import parse_generation
from siliconflow_models import MODELS, SITES, ErrorBody, ModelList
from siliconflow_models.capabilities import SiteName

Generate = Callable[..., httpx.Response]
Download = Callable[[str], Image.Image]
PRO = "black-forest-labs/FLUX.2-pro"
SCHNELL = "black-forest-labs/FLUX.1-schnell"


@pytest.fixture
def com(emulator: RunningEmulator) -> RunningEmulator:
    emulator.settings.site = "com"
    return emulator


def refused(response: httpx.Response, code: int = 20015) -> ErrorBody:
    assert response.status_code == 400, response.text
    error = ErrorBody.model_validate(response.json())
    assert error.code == code
    return error


def first_url(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    url: str = response.json()["images"][0]["url"]
    return url


def served(site: str, sub_type: str | None = None) -> list[str]:
    """What the table says a site serves, in the table's order (read, never typed: a model may be added)."""
    return [name for name, caps in MODELS.items() if site in caps.sites and sub_type in (None, caps.sub_type)]


@pytest.mark.parametrize(
    ("site", "query", "sub_type"),
    [
        ("com", {}, None),
        ("com", {"type": "image", "sub_type": "text-to-image"}, "text-to-image"),
        ("com", {"sub_type": "image-to-image"}, "image-to-image"),
        ("cn", {"sub_type": "text-to-image"}, "text-to-image"),
    ],
)
def test_each_site_lists_its_own_models(
    emulator: RunningEmulator,
    client: httpx.Client,
    site: SiteName,
    query: dict[str, str],
    sub_type: str | None,
) -> None:
    emulator.settings.site = site
    listed = ModelList.model_validate(client.get("/models", params=query).json())
    assert [model.id for model in listed.data] == served(site, sub_type)
    assert {PRO, SCHNELL} <= set(served("com")) and "Kwai-Kolors/Kolors" in served("cn", "text-to-image")


@pytest.mark.parametrize("site", list(SITES))
def test_the_other_sites_models_are_unknown(
    emulator: RunningEmulator, generate: Generate, site: SiteName
) -> None:
    emulator.settings.site = site
    others = [name for name, capabilities in MODELS.items() if site not in capabilities.sites]
    assert others
    for name in [*others, "no/such-model"]:
        error = refused(generate(model=name, prompt="x"), code=20012)
        assert error.message == "Model does not exist. Please check it carefully."


def test_flux2_pro_defaults_to_a_512_png(
    com: RunningEmulator, generate: Generate, download: Download
) -> None:
    url = first_url(generate(model=PRO, prompt="a lighthouse"))
    assert url.endswith(".png")
    assert download(url).size == (512, 512)


@pytest.mark.parametrize("size", [recommended.size for recommended in MODELS[PRO].recommended_image_sizes])
def test_flux2_pro_serves_each_of_its_sizes(com: RunningEmulator, generate: Generate, size: str) -> None:
    assert generate(model=PRO, prompt="x", image_size=size).status_code == 200


@pytest.mark.parametrize("size", ["1024x1024", "64x64", "512x513"])
def test_flux2_pro_refuses_other_sizes_and_lists_its_own(
    com: RunningEmulator, generate: Generate, size: str
) -> None:
    message = refused(generate(model=PRO, prompt="x", image_size=size)).message
    assert "`image_size`" in message and size in message
    for recommended in MODELS[PRO].recommended_image_sizes:
        assert recommended.size in message


def test_flux2_pro_seeds_start_at_zero(com: RunningEmulator, generate: Generate) -> None:
    error = refused(generate(model=PRO, prompt="x", seed=-1))
    assert "`seed`" in error.message and "0 to 9999999999" in error.message
    assert error.data == "seed"
    assert generate(model=PRO, prompt="x", seed=0).json()["seed"] == 0
    # Without a seed, the one chosen is in the model's range.
    assert 0 <= generate(model=PRO, prompt="x").json()["seed"] <= 9999999999


def test_output_format_jpeg_makes_a_jpeg(
    com: RunningEmulator, client: httpx.Client, generate: Generate, download: Download
) -> None:
    url = first_url(generate(model=PRO, prompt="x", image_size="768x1024", output_format="jpeg", seed=3))
    assert url.endswith(".jpg")
    picture = download(url)  # checks image/jpeg and the JPEG signature
    assert picture.size == (768, 1024)
    # The same picture as the PNG of the same request, only encoded otherwise.
    png = first_url(generate(model=PRO, prompt="x", image_size="768x1024", output_format="png", seed=3))
    assert png.endswith(".png")
    assert client.get(url.removesuffix(".jpg") + ".png").status_code == 404
    assert client.get(png.removesuffix(".png") + ".jpg").status_code == 404
    same = Image.open(io.BytesIO(client.get(png).content)).convert("RGB")
    assert ImageStat.Stat(ImageChops.difference(same, picture.convert("RGB"))).mean[0] < 4


def test_output_format_is_for_the_models_that_take_it(generate: Generate, download: Download) -> None:
    error = refused(
        generate(model="Kwai-Kolors/Kolors", prompt="x", image_size="64x64", output_format="jpeg")
    )
    assert "`output_format`" in error.message
    # Restating the spec's default is accepted, as for every option.
    url = first_url(generate(model="Kwai-Kolors/Kolors", prompt="x", image_size="64x64", output_format="png"))
    assert download(url).format == "PNG"
    assert "`output_format`" in refused(generate(model=PRO, prompt="x", output_format="gif")).message


def test_prompt_enhancement_is_taken_where_the_table_says(
    com: RunningEmulator, client: httpx.Client, generate: Generate
) -> None:
    def picture(enhance: bool) -> bytes:
        url = first_url(
            generate(model=SCHNELL, prompt="x", image_size="512x1024", seed=1, prompt_enhancement=enhance)
        )
        return client.get(url).content

    assert picture(True) != picture(False)
    assert "`prompt_enhancement`" in refused(generate(model=PRO, prompt="x", prompt_enhancement=True)).message
    assert generate(model=PRO, prompt="x", prompt_enhancement=False).status_code == 200


def test_parse_generation_defaults_to_the_chinese_site() -> None:
    body = json.dumps({"model": PRO, "prompt": "x", "output_format": "jpeg"}).encode()
    with pytest.raises(ApiError) as refusal:
        parse_generation(body)
    assert refusal.value.code == 20012
    plan = parse_generation(body, site="com")
    assert (plan.size, plan.output_format, plan.count) == ((512, 512), "jpeg", 1)
    kolors = parse_generation(b'{"model": "Kwai-Kolors/Kolors", "prompt": "x"}')
    assert (kolors.size, kolors.output_format, kolors.prompt_enhancement) == ((1024, 1024), "png", False)


def test_an_unknown_site_is_refused() -> None:
    with pytest.raises(ValueError, match="cn, com"):
        EmulatorSettings(site="xx")  # type: ignore[arg-type]
