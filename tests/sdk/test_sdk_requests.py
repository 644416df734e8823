"""What reaches the wire: only the fields a caller gave, after the model table's checks; a refused
request sends nothing. Also the input image forms, aspect_ratio and models.list()."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sdk_support import CN, COM, KEY, FakeApi, jpeg_bytes, png_bytes

from siliconflow_images import (
    AsyncSiliconFlow,
    ImageLimits,
    MalformedResponseError,
    Model,
    RequestRefusedError,
    SiliconFlow,
    Wording,
)
from siliconflow_images.inputs import InputRefused, InputTooLarge, check_image, decode_data_uri, prepare
from siliconflow_models import MODELS

KOLORS = "Kwai-Kolors/Kolors"
QWEN = "Qwen/Qwen-Image"
QWEN_EDIT = "Qwen/Qwen-Image-Edit"
QWEN_EDIT_2509 = "Qwen/Qwen-Image-Edit-2509"
FLUX2 = "black-forest-labs/FLUX.2-pro"
SCHNELL = "black-forest-labs/FLUX.1-schnell"
EMULATOR = "http://127.0.0.1:8765/v1"  # no site: the table's per-model rules apply, not its sites


def _data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


# --- only what was given --------------------------------------------------------------------------


def test_only_model_and_prompt_are_sent_when_nothing_else_is_given(client: SiliconFlow, api: FakeApi) -> None:
    client.images.generate(model=QWEN, prompt="a neon sign saying OPEN")
    assert api.bodies() == [{"model": QWEN, "prompt": "a neon sign saying OPEN"}]
    request = api.requests[0]
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"


def test_exactly_the_given_options_are_sent(client: SiliconFlow, api: FakeApi) -> None:
    result = client.images.generate(
        model=KOLORS,
        prompt="a red fox",
        negative_prompt="blurry",
        image_size="960x1280",
        batch_size=1,
        seed=7,
        num_inference_steps=25,
        guidance_scale=5.5,
    )
    expected = {
        "negative_prompt": "blurry",
        "image_size": "960x1280",
        "batch_size": 1,
        "seed": 7,
        "num_inference_steps": 25,
        "guidance_scale": 5.5,
    }
    assert api.bodies() == [{"model": KOLORS, "prompt": "a red fox", **expected}]
    assert result.parameters == expected


def test_options_set_to_none_are_not_sent(client: SiliconFlow, api: FakeApi) -> None:
    client.images.generate(model=QWEN, prompt="a fox", seed=None, cfg=4.0)  # type: ignore[arg-type]
    assert api.bodies() == [{"model": QWEN, "prompt": "a fox", "cfg": 4.0}]


def test_falsy_values_that_were_given_are_sent(make_client: Callable[..., SiliconFlow], api: FakeApi) -> None:
    client = make_client(base_url=COM)
    client.images.generate(model=SCHNELL, prompt="a fox", seed=0, prompt_enhancement=False)
    assert api.bodies() == [{"model": SCHNELL, "prompt": "a fox", "seed": 0, "prompt_enhancement": False}]


def test_flux2_options_on_the_international_site(
    make_client: Callable[..., SiliconFlow], api: FakeApi
) -> None:
    client = make_client(base_url=COM)
    client.images.generate(model=FLUX2, prompt="a fox", image_size="1024x576", seed=0, output_format="jpeg")
    body = {"image_size": "1024x576", "seed": 0, "output_format": "jpeg"}
    assert api.bodies() == [{"model": FLUX2, "prompt": "a fox", **body}]


@pytest.mark.anyio
async def test_the_async_client_sends_exactly_the_given_options(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi
) -> None:
    async with make_async_client() as client:
        await client.images.generate(model=QWEN, prompt="a fox", seed=3, image_size="1328x1328")
        await client.images.edit(model=QWEN_EDIT, prompt="make it blue", image="https://example.com/in.png")
    assert api.bodies() == [
        {"model": QWEN, "prompt": "a fox", "seed": 3, "image_size": "1328x1328"},
        {"model": QWEN_EDIT, "prompt": "make it blue", "image": "https://example.com/in.png"},
    ]


# --- refusals: named, and nothing sent --------------------------------------------------------------

REFUSALS: list[tuple[str, str, dict[str, Any], list[str]]] = [
    # (base URL, model, options, words the refusal must hold: field, model, what is allowed)
    (EMULATOR, KOLORS, {"cfg": 4.0}, ["`cfg`", KOLORS, "guidance_scale"]),
    (EMULATOR, QWEN, {"guidance_scale": 7.5}, ["`guidance_scale`", QWEN, "cfg"]),
    (EMULATOR, QWEN, {"batch_size": 2}, ["`batch_size`", QWEN, "takes:"]),
    (EMULATOR, KOLORS, {"batch_size": 5}, ["`batch_size`", KOLORS, "less than or equal to 4"]),
    (
        EMULATOR,
        KOLORS,
        {"num_inference_steps": 0},
        ["`num_inference_steps`", KOLORS, "greater than or equal to 1"],
    ),
    (EMULATOR, QWEN, {"cfg": 30.0}, ["`cfg`", QWEN, "less than or equal to 20"]),
    (EMULATOR, QWEN, {"image_size": "big"}, ["`image_size`", QWEN, "pattern"]),
    (EMULATOR, QWEN, {"seed": "42"}, ["`seed`", QWEN, "valid integer"]),
    (EMULATOR, QWEN, {"seed": True}, ["`seed`", QWEN, "valid integer"]),
    (EMULATOR, QWEN, {"num_inference_steps": 20.5}, ["`num_inference_steps`", QWEN, "valid integer"]),
    (EMULATOR, FLUX2, {"seed": -1}, ["`seed`", FLUX2, "0 to 9999999999"]),
    (COM, FLUX2, {"seed": -1}, ["`seed`", FLUX2, "0 to 9999999999"]),
    (COM, FLUX2, {"image_size": "1024x1024"}, ["`image_size`", FLUX2, "512x512, 768x1024, 1024x768"]),
    (COM, FLUX2, {"output_format": "webp"}, ["`output_format`", FLUX2, "'png' or 'jpeg'"]),
    (
        COM,
        FLUX2,
        {"num_inference_steps": 20},
        ["`num_inference_steps`", FLUX2, "image_size, seed, output_format"],
    ),
    (COM, SCHNELL, {"output_format": "png"}, ["`output_format`", SCHNELL, "prompt_enhancement"]),
    (EMULATOR, QWEN_EDIT, {}, ["needs `image`", QWEN_EDIT, "client.images.edit()"]),
    (CN, FLUX2, {}, [FLUX2, "api.siliconflow.com", "Qwen/Qwen-Image"]),
    (COM, QWEN, {}, [QWEN, "documented on api.siliconflow.cn", FLUX2]),
]


@pytest.mark.parametrize(
    ("base_url", "model", "options", "words"),
    REFUSALS,
    ids=[
        f"{model.split('/')[1]}-{','.join(options) or 'site'}-{base_url.split('//')[1][:18]}"
        for base_url, model, options, _ in REFUSALS
    ],
)
def test_a_refused_generation_names_the_problem_and_sends_nothing(
    make_client: Callable[..., SiliconFlow],
    api: FakeApi,
    base_url: str,
    model: str,
    options: dict[str, Any],
    words: list[str],
) -> None:
    client = make_client(base_url=base_url)
    with pytest.raises(RequestRefusedError) as caught:
        client.images.generate(model=model, prompt="a fox", **options)
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} missing from {message!r}"
    assert "Nothing was sent" in message
    assert caught.value.model == model
    assert caught.value.problems
    assert not caught.value.maybe_billed
    assert api.requests == []


EDIT_REFUSALS: list[tuple[str, dict[str, Any], list[str]]] = [
    (QWEN_EDIT, {"image": None}, ["`image` is required", QWEN_EDIT]),
    (
        QWEN_EDIT,
        {"image": "https://e.com/a.png", "image2": "https://e.com/b.png"},
        ["`image2`", QWEN_EDIT, "takes:"],
    ),
    (QWEN_EDIT, {"image": "https://e.com/a.png", "image_size": "1024x1024"}, ["`image_size`", QWEN_EDIT]),
    (QWEN, {"image": "https://e.com/a.png"}, [QWEN, "takes no `image`", "client.images.generate()"]),
    (FLUX2, {"image": "https://e.com/a.png"}, [FLUX2, "takes no `image`"]),
]


@pytest.mark.parametrize(("model", "options", "words"), EDIT_REFUSALS)
def test_a_refused_edit_names_the_problem_and_sends_nothing(
    make_client: Callable[..., SiliconFlow],
    api: FakeApi,
    model: str,
    options: dict[str, Any],
    words: list[str],
) -> None:
    client = make_client(base_url=EMULATOR)
    with pytest.raises(RequestRefusedError) as caught:
        client.images.edit(model=model, prompt="make it blue", **options)
    for word in words:
        assert word in str(caught.value)
    assert api.requests == []


def test_a_refusal_names_the_front_ends_own_actions(
    make_client: Callable[..., SiliconFlow], api: FakeApi
) -> None:
    client = make_client(wording=Wording(generate="call generate_image", edit="call edit_image"))
    with pytest.raises(RequestRefusedError) as caught:
        client.images.generate(model=QWEN_EDIT, prompt="a fox")
    assert "use call edit_image instead" in str(caught.value)
    assert "client.images" not in str(caught.value)
    with pytest.raises(RequestRefusedError) as caught:
        client.images.edit(model=QWEN, prompt="make it blue", image="https://e.com/a.png")
    assert "use call generate_image" in str(caught.value)
    assert api.requests == []


def test_every_problem_is_named_at_once(client: SiliconFlow, api: FakeApi) -> None:
    with pytest.raises(RequestRefusedError) as caught:
        client.images.generate(model=KOLORS, prompt=" ", cfg=2.0, batch_size=9)
    assert len(caught.value.problems) == 3
    assert api.requests == []


def test_a_lone_surrogate_in_the_prompt_is_refused_before_sending(client: SiliconFlow, api: FakeApi) -> None:
    # It cannot be encoded as UTF-8: httpx used to fail while building the body, and the SDK
    # reported that as a malformed answer that "may have been billed".
    with pytest.raises(RequestRefusedError, match="`prompt` holds a lone surrogate"):
        client.images.generate(model=QWEN, prompt="a fox \ud83e")
    with pytest.raises(RequestRefusedError, match="`negative_prompt` holds a lone surrogate"):
        client.images.generate(model=QWEN, prompt="a fox", negative_prompt="\udc00")
    with pytest.raises(RequestRefusedError, match="`image` holds a lone surrogate"):
        client.images.edit(model=QWEN_EDIT, prompt="a fox", image="https://example.com/\ud800.png")
    assert api.requests == []


def test_an_overlong_prompt_is_refused(make_client: Callable[..., SiliconFlow], api: FakeApi) -> None:
    client = make_client(limits=ImageLimits(max_prompt_chars=100))
    with pytest.raises(RequestRefusedError, match="`prompt` is 101 characters long; at most 100"):
        client.images.generate(model=QWEN, prompt="x" * 101)
    assert api.requests == []


# --- models the table does not know -------------------------------------------------------------------


def test_an_unknown_model_passes_through_with_its_options(client: SiliconFlow, api: FakeApi) -> None:
    client.images.generate(model="acme/NewModel-2", prompt="a fox", cfg=3.5, batch_size=2, seed=-5)
    assert api.bodies() == [
        {"model": "acme/NewModel-2", "prompt": "a fox", "cfg": 3.5, "batch_size": 2, "seed": -5}
    ]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"num_inference_steps": 101}, "num_inference_steps"),
        ({"seed": 10**11}, "seed"),
        ({"cfg": "high"}, "cfg"),
        ({"guidance_scale": float("nan")}, "not a JSON value"),
        ({"image_size": "1024*1024"}, "image_size"),
    ],
)
def test_an_unknown_model_still_gets_type_and_range_checks(
    client: SiliconFlow, api: FakeApi, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(RequestRefusedError, match=field):
        client.images.generate(model="acme/NewModel-2", prompt="a fox", **options)
    assert api.requests == []


# --- input images ------------------------------------------------------------------------------------


def test_input_images_as_bytes_path_url_and_data_uri(
    make_client: Callable[..., SiliconFlow], api: FakeApi, tmp_path: Path
) -> None:
    client = make_client(base_url=EMULATOR)
    png, jpeg = png_bytes(), jpeg_bytes()
    (tmp_path / "in.jpg").write_bytes(jpeg)
    result = client.images.edit(
        model=QWEN_EDIT_2509,
        prompt="put the fox in the garden",
        image=png,
        image2=tmp_path / "in.jpg",
        image3="https://example.com/garden.webp?sig=1",
    )
    client.images.edit(model=QWEN_EDIT, prompt="blue", image=_data_uri(png).replace("image/png", "image/PNG"))
    first, second = api.bodies()
    assert first == {
        "model": QWEN_EDIT_2509,
        "prompt": "put the fox in the garden",
        "image": _data_uri(png),
        "image2": _data_uri(jpeg, "image/jpeg"),
        "image3": "https://example.com/garden.webp?sig=1",
    }
    assert second["image"] == _data_uri(png)
    # What results show instead of the bytes: a summary, never the data.
    assert result.parameters["image"].startswith("bytes (image/png,")
    assert "in.jpg (image/jpeg," in result.parameters["image2"]
    assert len(str(result.parameters)) < 1000


def test_an_image_given_to_generate_is_encoded_like_an_edit_input(client: SiliconFlow, api: FakeApi) -> None:
    # Kolors takes an optional `image`; as bytes it used to go into the JSON raw and fail as a
    # "malformed answer" after the checks.
    png = png_bytes()
    client.images.generate(model=KOLORS, prompt="a fox", image=png)  # type: ignore[call-arg]
    assert api.bodies() == [{"model": KOLORS, "prompt": "a fox", "image": _data_uri(png)}]


@pytest.mark.parametrize(
    ("image", "words"),
    [
        ("in.png", r"neither an http\(s\) URL nor a data URI"),
        (b"", "is empty"),
        (b"GIF89a" + b"\0" * 20, "not a PNG, JPEG or WebP"),
        (b"<html></html>", "not a PNG, JPEG or WebP"),
        ("data:text/plain;base64,aGVsbG8=", "not of an image"),
        ("data:image/png;base64,@@@@", "does not decode"),
        ("data:image/png,rawbytes", "not a base64 data URI"),
        ("https://", "no host"),
        ("https://example.com:70000/a.png", "a bad port"),
        ("https://exa mple.com/a.png", "whitespace"),
        (12345, "must be bytes, a pathlib.Path"),
    ],
)
def test_unusable_input_images_are_refused_before_sending(
    client: SiliconFlow, api: FakeApi, image: object, words: str
) -> None:
    with pytest.raises(RequestRefusedError, match=words):
        client.images.edit(model=QWEN_EDIT, prompt="blue", image=image)  # type: ignore[arg-type]
    assert api.requests == []


def test_a_missing_file_is_refused_naming_it(client: SiliconFlow, api: FakeApi, tmp_path: Path) -> None:
    with pytest.raises(RequestRefusedError, match=r"nope\.png cannot be read"):
        client.images.edit(model=QWEN_EDIT, prompt="blue", image=tmp_path / "nope.png")
    assert api.requests == []


def test_input_images_over_the_cap_are_refused(
    make_client: Callable[..., SiliconFlow], api: FakeApi, tmp_path: Path
) -> None:
    client = make_client(limits=ImageLimits(max_input_bytes=1000, max_url_chars=50))
    big = png_bytes(200, 200, "white") + b"\0" * 1000
    (tmp_path / "big.png").write_bytes(big)
    for image in (big, tmp_path / "big.png", _data_uri(big), "https://example.com/" + "a" * 60):
        with pytest.raises(RequestRefusedError, match=r"limit|more than|at most"):
            client.images.edit(model=QWEN_EDIT, prompt="blue", image=image)
    assert api.requests == []


def _webp(mode: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image = Image.new(mode, (37, 21), "red")
    if mode == "RGBA":  # alpha that varies: Pillow writes the extended (VP8X) form
        image.putalpha(Image.linear_gradient("L").resize((37, 21)))
    image.save(buffer, "WEBP", **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "webp",
    [_webp("RGB"), _webp("RGB", lossless=True), _webp("RGBA"), _webp("RGBA", lossless=True)],
    ids=["lossy", "lossless", "lossy-alpha", "lossless-alpha"],
)
def test_a_webp_input_is_sent_with_its_size(client: SiliconFlow, api: FakeApi, webp: bytes) -> None:
    result = client.images.edit(model=QWEN_EDIT, prompt="blue", image=webp)
    assert api.bodies()[0]["image"] == _data_uri(webp, "image/webp")
    assert result.parameters["image"].startswith("bytes (image/webp, 37x21,")
    assert check_image(webp) == ("image/webp", 37, 21)


INCOMPLETE = {
    "half-a-jpeg": (jpeg_bytes()[: len(jpeg_bytes()) // 2], "cut short"),
    "half-a-png": (png_bytes()[: len(png_bytes()) // 2], "cut short"),
    "half-a-webp": (_webp("RGB")[:-10], "cut short"),
    "a-png-and-more": (png_bytes() + b"tail", "bytes follow the end"),
    "two-jpegs": (jpeg_bytes() + jpeg_bytes(), "bytes follow the end"),
}


@pytest.mark.parametrize(("image", "words"), INCOMPLETE.values(), ids=INCOMPLETE.keys())
def test_an_input_image_that_is_not_one_whole_image_is_refused(
    client: SiliconFlow, api: FakeApi, tmp_path: Path, image: bytes, words: str
) -> None:
    # Only the first bytes were looked at: half a JPEG went to the API, which may bill for it.
    (tmp_path / "in.img").write_bytes(image)
    for given in (image, tmp_path / "in.img", _data_uri(image)):
        with pytest.raises(
            RequestRefusedError, match=f"not a PNG, JPEG or WebP image that can be sent: .*{words}"
        ):
            client.images.edit(model=QWEN_EDIT, prompt="blue", image=given)
    assert api.requests == []


def test_an_input_image_over_the_pixel_cap_is_refused(
    make_client: Callable[..., SiliconFlow], api: FakeApi
) -> None:
    client = make_client(limits=ImageLimits(max_pixels=100))
    with pytest.raises(RequestRefusedError, match=r"16x12 pixels, more than the 100 allowed"):
        client.images.edit(model=QWEN_EDIT, prompt="blue", image=png_bytes(16, 12))
    assert api.requests == []


def test_check_image_names_another_format_only_when_its_signature_is_whole() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "GIF")
    with pytest.raises(ValueError, match="it is a GIF image; convert it to PNG, JPEG or WebP"):
        check_image(buffer.getvalue())
    for text in (b"GIF? no, just bytes", b"BMW 320i"):
        with pytest.raises(ValueError, match=r"its bytes are not an image \(PNG, JPEG or WebP\)"):
            check_image(text)


def test_an_input_over_the_byte_cap_is_its_own_kind_of_refusal() -> None:
    # A front end names its own setting for this case, without reading the sentence.
    small = ImageLimits(max_input_bytes=10)
    for raw in (png_bytes(), _data_uri(png_bytes())):
        with pytest.raises(InputTooLarge):
            prepare("image", raw, small)
    with pytest.raises(InputTooLarge):
        decode_data_uri("image", _data_uri(png_bytes()), 10)
    with pytest.raises(InputRefused) as caught:
        prepare("image", b"GIF89a" + bytes(20), ImageLimits())
    assert not isinstance(caught.value, InputTooLarge)


def test_files_are_not_read_for_a_request_that_is_refused(client: SiliconFlow, tmp_path: Path) -> None:
    # Were the file read, its absence would be a second problem.
    with pytest.raises(RequestRefusedError) as caught:
        client.images.edit(model=QWEN_EDIT, prompt="blue", image=tmp_path / "absent.png", cfg=99.0)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith("`cfg`=99.0")


# --- aspect_ratio ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "model", "aspect", "size"),
    [
        (EMULATOR, QWEN, "16:9", "1664x928"),
        (EMULATOR, QWEN, "4:3", "1472x1140"),
        (EMULATOR, QWEN, "1:1", "1328x1328"),
        (EMULATOR, QWEN, "21:9", "1664x928"),
        (EMULATOR, KOLORS, "3:4", "960x1280"),  # of two 3:4 sizes, the larger
        (EMULATOR, KOLORS, "2:3", "960x1280"),
        (EMULATOR, KOLORS, "16:9", "1024x1024"),  # Kolors has no landscape size: 1:1 is nearest
        (COM, FLUX2, "16:9", "1024x576"),
        (COM, FLUX2, "1.5:2", "768x1024"),
    ],
)
def test_aspect_ratio_picks_the_nearest_recommended_size(
    make_client: Callable[..., SiliconFlow], api: FakeApi, base_url: str, model: str, aspect: str, size: str
) -> None:
    client = make_client(base_url=base_url)
    result = client.images.generate(model=model, prompt="a fox", aspect_ratio=aspect)
    assert api.bodies() == [{"model": model, "prompt": "a fox", "image_size": size}]
    assert result.parameters == {"image_size": size}


@pytest.mark.parametrize(
    ("model", "options", "words"),
    [
        (QWEN, {"aspect_ratio": "16:9", "image_size": "1328x1328"}, "not both"),
        (QWEN, {"aspect_ratio": "wide"}, "W:H with positive numbers"),
        (QWEN, {"aspect_ratio": "16:0"}, "W:H with positive numbers"),
        (QWEN, {"aspect_ratio": "-1:2"}, "W:H with positive numbers"),
        ("acme/NewModel-2", {"aspect_ratio": "16:9"}, "give `image_size`"),
    ],
)
def test_unusable_aspect_ratios_are_refused(
    client: SiliconFlow, api: FakeApi, model: str, options: dict[str, Any], words: str
) -> None:
    with pytest.raises(RequestRefusedError, match=words):
        client.images.generate(model=model, prompt="a fox", **options)
    assert api.requests == []


def test_aspect_ratio_for_an_edit_model_without_sizes_is_refused(client: SiliconFlow, api: FakeApi) -> None:
    with pytest.raises(RequestRefusedError, match="keeps the input's size"):
        client.images.edit(model=QWEN_EDIT, prompt="blue", image=png_bytes(), aspect_ratio="16:9")
    assert api.requests == []


# --- models.list() --------------------------------------------------------------------------------------

MODEL_LIST = {
    "object": "list",
    "data": [
        {"id": QWEN, "object": "model", "created": 0, "owned_by": ""},
        {"id": "acme/NewModel-2", "object": "model", "created": 0, "owned_by": ""},
    ],
}


def test_models_list_asks_for_image_models_and_joins_the_table(client: SiliconFlow, api: FakeApi) -> None:
    api.answers = [httpx.Response(200, json=MODEL_LIST)]
    models = client.models.list()
    request = api.requests[0]
    assert (request.method, request.url.path, dict(request.url.params)) == (
        "GET",
        "/v1/models",
        {"type": "image"},
    )
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert models == [Model(QWEN, MODELS[QWEN]), Model("acme/NewModel-2", None)]


@pytest.mark.anyio
async def test_async_models_list(make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi) -> None:
    api.answers = [httpx.Response(200, json=MODEL_LIST)]
    async with make_async_client() as client:
        models = await client.models.list()
    assert [model.id for model in models] == [QWEN, "acme/NewModel-2"]
    assert dict(api.requests[0].url.params) == {"type": "image"}


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"data": "x"}', b'{"data": [{"id": 5}]}', b'{"data": [null]}', b"[" * 50_000],
    ids=["text", "list", "data-str", "id-int", "null-item", "deep"],
)
def test_a_malformed_model_list_is_a_malformed_response(
    client: SiliconFlow, api: FakeApi, body: bytes
) -> None:
    api.answers = [httpx.Response(200, content=body, headers={"content-type": "application/json"})]
    with pytest.raises(MalformedResponseError):
        client.models.list()


@pytest.mark.parametrize("model", [QWEN, "example.invalid/never-a-model"])
def test_a_misspelt_option_is_refused_for_any_model(client: SiliconFlow, api: FakeApi, model: str) -> None:
    options: dict[str, Any] = {"sead": 42}
    with pytest.raises(RequestRefusedError) as caught:
        client.images.generate(model=model, prompt="a fox", **options)
    assert "`sead` is not a field of the request" in str(caught.value) and "seed" in str(caught.value)
    assert api.api_requests == []


def test_an_unknown_option_name_is_shown_escaped_and_short(client: SiliconFlow, api: FakeApi) -> None:
    # The name comes from the caller (an agent, a batch file): no terminal control reaches a reader.
    options: dict[str, Any] = {"\x1b[2J" + "x" * 500: 1}
    with pytest.raises(RequestRefusedError) as caught:
        client.images.generate(model=QWEN, prompt="a fox", **options)
    message = str(caught.value)
    assert "\x1b" not in message and "`\\x1b[2Jxxx" in message
    assert "x" * 60 not in message
    assert api.api_requests == []
