"""Refusals: bad bodies, unknown models, options a model does not take, auth, unknown paths, /models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from emulator_support import TOKEN

from siliconflow_emulator import RunningEmulator
from siliconflow_models import ErrorBody, ModelList

Generate = Callable[..., httpx.Response]
VALID = {"model": "Kwai-Kolors/Kolors", "prompt": "a lighthouse", "image_size": "64x64"}


def refused(response: httpx.Response, code: int = 20015) -> ErrorBody:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-siliconcloud-trace-id"]
    error = ErrorBody.model_validate(response.json())
    assert error.code == code
    return error


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"model": None}, "model"),
        ({"prompt": None}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"batch_size": "2"}, "batch_size"),
        ({"batch_size": 5}, "batch_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 1.5}, "batch_size"),
        ({"num_inference_steps": 0}, "num_inference_steps"),
        ({"num_inference_steps": 101}, "num_inference_steps"),
        ({"guidance_scale": 20.5}, "guidance_scale"),
        ({"guidance_scale": True}, "guidance_scale"),
        ({"seed": 10_000_000_000}, "seed"),
        ({"seed": "7"}, "seed"),
        ({"image_size": "1024*1024"}, "image_size"),
        ({"image_size": "0x10"}, "image_size"),
        ({"image_size": 1024}, "image_size"),
        ({"negative_prompt": ["blurry"]}, "negative_prompt"),
        ({"image": ""}, "image"),
    ],
)
def test_bad_fields_are_named(client: httpx.Client, change: dict[str, Any], field: str) -> None:
    body = {**VALID, **change}
    if change.get(field, "") is None:
        del body[field]  # None above means "leave the field out"
    error = refused(client.post("/images/generations", json=body))
    assert f"`{field}`" in error.message


def test_null_is_not_a_value(client: httpx.Client) -> None:
    error = refused(client.post("/images/generations", json={**VALID, "seed": None}))
    assert "`seed`" in error.message


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"[1, 2]", b'"text"', b"null", b'{"model": "Kwai-Kolors/Kolors", "prompt": "x", "cfg": NaN}'],
)
def test_bodies_that_are_not_json_objects(client: httpx.Client, content: bytes) -> None:
    response = client.post(
        "/images/generations", content=content, headers={"Content-Type": "application/json"}
    )
    assert "body" in refused(response).message


def test_unknown_model_answers_20012(generate: Generate) -> None:
    error = refused(generate(model="no-such/model", prompt="x"), code=20012)
    assert error.message == "Model does not exist. Please check it carefully."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "Qwen/Qwen-Image", "batch_size": 2}, "batch_size"),
        ({"model": "Qwen/Qwen-Image", "guidance_scale": 3.0}, "guidance_scale"),
        ({"model": "Qwen/Qwen-Image", "image": "data:image/png;base64,AAAA"}, "image"),
        ({"model": "Kwai-Kolors/Kolors", "cfg": 4.0}, "cfg"),
        ({"model": "Kwai-Kolors/Kolors", "image2": "data:image/png;base64,AAAA"}, "image2"),
        ({"model": "Qwen/Qwen-Image-Edit", "image": "data:,x", "image_size": "1024x1024"}, "image_size"),
        ({"model": "Qwen/Qwen-Image-Edit", "image": "data:,x", "image3": "data:,x"}, "image3"),
        ({"model": "Qwen/Qwen-Image-Edit-2509", "image": "data:,x", "batch_size": 3}, "batch_size"),
    ],
)
def test_options_the_model_does_not_take_are_refused(
    generate: Generate, body: dict[str, Any], field: str
) -> None:
    error = refused(generate(prompt="x", **body))
    assert f"`{field}`" in error.message
    assert body["model"] in error.message


@pytest.mark.parametrize("model", ["Qwen/Qwen-Image-Edit", "Qwen/Qwen-Image-Edit-2509"])
def test_edit_models_need_an_image(generate: Generate, model: str) -> None:
    error = refused(generate(model=model, prompt="make it night"))
    assert "`image`" in error.message and model in error.message


def test_sizes_beyond_what_the_emulator_renders(generate: Generate) -> None:
    assert (
        "`image_size`"
        in refused(generate(model="Qwen/Qwen-Image", prompt="x", image_size="5000x800")).message
    )


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Basic dXNlcjpwYXNz", f"Token {TOKEN}", f"{TOKEN}", "Bearer wrong-key"],
)
@pytest.mark.parametrize(("method", "path"), [("POST", "/images/generations"), ("GET", "/models")])
def test_missing_or_wrong_tokens_answer_401(
    emulator: RunningEmulator, authorization: str | None, method: str, path: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.request(method, emulator.base_url + path, headers=headers, json=VALID, trust_env=False)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json() == "Invalid token"
    assert response.headers["x-siliconcloud-trace-id"]


def test_without_api_keys_any_token_passes(emulator: RunningEmulator) -> None:
    emulator.settings.api_keys = frozenset()
    for token in ("anything", "sk-whatever"):
        response = httpx.post(
            emulator.base_url + "/images/generations",
            headers={"Authorization": f"Bearer {token}"},
            json=VALID,
            trust_env=False,
        )
        assert response.status_code == 200
    empty = httpx.post(
        emulator.base_url + "/images/generations", headers={"Authorization": "Bearer"}, json=VALID
    )
    assert empty.status_code == 401


def test_bearer_scheme_is_case_insensitive(emulator: RunningEmulator) -> None:
    response = httpx.get(
        emulator.base_url + "/models", headers={"Authorization": f"bearer {TOKEN}"}, trust_env=False
    )
    assert response.status_code == 200


def test_tokens_never_come_back_in_errors(emulator: RunningEmulator) -> None:
    secret = "sk-do-not-echo-0123456789"
    for body in (VALID, {"model": "nope", "prompt": "x"}):
        response = httpx.post(
            emulator.base_url + "/images/generations",
            headers={"Authorization": f"Bearer {secret}"},
            json=body,
            trust_env=False,
        )
        assert secret not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/v1/nothing",
        "/v1/images/generations/",
        "/v1/models/",
        "/",
        "/v2/models",
        "/files/nope.png",
        "/files/x",
    ],
)
def test_unknown_paths_answer_404_in_plain_text(emulator: RunningEmulator, path: str) -> None:
    response = httpx.get(
        emulator.origin + path, headers={"Authorization": f"Bearer {TOKEN}"}, trust_env=False
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "404 page not found"
    assert response.headers["x-siliconcloud-trace-id"]


def test_wrong_method_on_a_known_path_answers_405_with_allow(client: httpx.Client) -> None:
    response = client.get("/images/generations")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert set(client.delete("/models").headers["allow"].split(", ")) == {"GET", "HEAD"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Kwai-Kolors/Kolors", "Qwen/Qwen-Image", "Qwen/Qwen-Image-Edit", "Qwen/Qwen-Image-Edit-2509"]),
        (
            {"type": "image"},
            ["Kwai-Kolors/Kolors", "Qwen/Qwen-Image", "Qwen/Qwen-Image-Edit", "Qwen/Qwen-Image-Edit-2509"],
        ),
        ({"type": "text"}, []),
        ({"sub_type": "text-to-image"}, ["Kwai-Kolors/Kolors", "Qwen/Qwen-Image"]),
        (
            {"type": "image", "sub_type": "image-to-image"},
            ["Qwen/Qwen-Image-Edit", "Qwen/Qwen-Image-Edit-2509"],
        ),
        ({"type": "image", "sub_type": "chat"}, []),
    ],
)
def test_models_are_filtered_by_type_and_sub_type(
    client: httpx.Client, query: dict[str, str], expected: list[str]
) -> None:
    response = client.get("/models", params=query)
    assert response.status_code == 200
    listed = ModelList.model_validate(response.json())
    assert [model.id for model in listed.data] == expected
    assert all(model.object == "model" for model in listed.data)


@pytest.mark.parametrize(
    ("query", "name"),
    [("type=picture", "type"), ("sub_type=drawing", "sub_type"), ("type=image&type=text", "type")],
)
def test_models_refuse_values_outside_the_enums(client: httpx.Client, query: str, name: str) -> None:
    assert f"`{name}`" in refused(client.get(f"/models?{query}")).message
