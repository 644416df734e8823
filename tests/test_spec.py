"""The spec is valid OpenAPI 3.1, and the page's examples agree with it and with the generated code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

import siliconflow_client.models as client_models
import siliconflow_models
from siliconflow_client import AuthenticatedClient
from siliconflow_client.api.images import create_image_generation
from siliconflow_models import MODELS, SITES, ImageGenerationRequest, capabilities

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi" / "siliconflow.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
SCHEMAS = SPEC["components"]["schemas"]
OPERATION = SPEC["paths"]["/images/generations"]["post"]
REQUEST_EXAMPLES = OPERATION["requestBody"]["content"]["application/json"]["examples"]


def schema_validator(name: str) -> Draft202012Validator:
    # Resolve the spec's own $refs by validating inside a document that carries `components`.
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": SPEC["components"]})


def test_spec_is_valid_openapi_31() -> None:
    validate(SPEC)
    assert SPEC["openapi"].startswith("3.1")


def test_servers_and_bearer_auth() -> None:
    assert [s["url"] for s in SPEC["servers"]] == [
        "https://api.siliconflow.cn/v1",
        "https://api.siliconflow.com/v1",
        "https://api.ap.siliconflow.com/v1",
    ]
    # Each server belongs to a site of the sites table, and the default site comes first.
    hosts = {host: site.name for site in SITES.values() for host in site.hosts}
    assert [hosts[httpx.URL(s["url"]).host] for s in SPEC["servers"]] == ["cn", "com", "com"]
    assert [site.base_url for site in SITES.values()] == [s["url"] for s in SPEC["servers"][:2]]
    assert SPEC["components"]["securitySchemes"]["bearerAuth"] == {
        **SPEC["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    assert SPEC["security"] == [{"bearerAuth": []}]


@pytest.mark.parametrize(
    ("field", "minimum", "maximum", "default"),
    [
        ("batch_size", 1, 4, 1),
        ("seed", None, 9999999999, None),
        ("num_inference_steps", 1, 100, 20),
        ("guidance_scale", None, 20, 7.5),
        ("cfg", 0.1, 20, None),
    ],
)
def test_request_ranges_match_the_page(field: str, minimum: float, maximum: float, default: float) -> None:
    prop = SCHEMAS["ImageGenerationRequest"]["properties"][field]
    assert prop.get("minimum") == minimum
    assert prop.get("maximum") == maximum
    assert prop.get("default") == default
    # ...and the generated pydantic model keeps them.
    generated = ImageGenerationRequest.model_json_schema()["properties"][field]
    assert generated.get("minimum") == minimum
    assert generated.get("maximum") == maximum
    assert generated.get("default") == default


def test_every_documented_status_is_there() -> None:
    responses = OPERATION["responses"]
    assert sorted(responses) == ["200", "400", "401", "403", "404", "429", "500", "503", "504"]
    assert "x-siliconcloud-trace-id" in responses["200"]["headers"]


@pytest.mark.parametrize("name", sorted(REQUEST_EXAMPLES))
def test_page_examples_validate_and_round_trip(name: str) -> None:
    example = REQUEST_EXAMPLES[name]["value"]
    schema_validator("ImageGenerationRequest").validate(example)

    # datamodel-code-generator's pydantic model
    model = ImageGenerationRequest.model_validate(example)
    assert model.model_dump(exclude_unset=True) == example
    assert ImageGenerationRequest.model_validate_json(model.model_dump_json()) == model

    # openapi-python-client's attrs model
    request = client_models.ImageGenerationRequest.from_dict(example)
    assert request.to_dict() == example


@pytest.mark.parametrize(
    "bad",
    [
        {"prompt": "no model"},
        {"model": "Kwai-Kolors/Kolors"},
        {"model": "Kwai-Kolors/Kolors", "prompt": "x", "batch_size": 5},
        {"model": "Kwai-Kolors/Kolors", "prompt": "x", "num_inference_steps": 0},
        {"model": "Kwai-Kolors/Kolors", "prompt": "x", "seed": 10_000_000_000},
        {"model": "Kwai-Kolors/Kolors", "prompt": "x", "guidance_scale": 20.5},
        {"model": "Qwen/Qwen-Image", "prompt": "x", "cfg": 0.05},
        {"model": "Kwai-Kolors/Kolors", "prompt": "x", "image_size": "1024*1024"},
    ],
)
def test_out_of_range_requests_fail_in_both_schema_and_models(bad: dict[str, Any]) -> None:
    assert not schema_validator("ImageGenerationRequest").is_valid(bad)
    with pytest.raises(ValueError):
        ImageGenerationRequest.model_validate(bad)


def _call(status: int, body: bytes, content_type: str) -> Any:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(status, content=body, headers={"content-type": content_type})
    )
    client = AuthenticatedClient(
        base_url="https://api.siliconflow.cn/v1",
        token="sk-test",
        timeout=httpx.Timeout(5.0),
        httpx_args={"transport": transport},
    )
    body_model = client_models.ImageGenerationRequest(model="Kwai-Kolors/Kolors", prompt="x")
    return create_image_generation.sync_detailed(client=client, body=body_model)


def _page_responses() -> list[tuple[int, str, str, str | None]]:
    """(status, body, media type, schema name) of each documented answer of the image operation.

    The bodies are the spec's examples, which are the page's own words; the client reads the first
    media type of each, so that is the one sent.
    """
    answers = []
    for status, response in OPERATION["responses"].items():
        if "$ref" in response:
            response = SPEC["components"]["responses"][response["$ref"].rpartition("/")[2]]
        media_type, content = next(iter(response["content"].items()))
        example = content["example"]
        body = json.dumps(example) if media_type == "application/json" else example
        schema = content["schema"].get("$ref", "").rpartition("/")[2] or None
        answers.append((int(status), body, media_type, schema))
    return answers


PAGE_RESPONSES = [(status, body, media_type) for status, body, media_type, _ in _page_responses()]
SCHEMA_OF_STATUS = {status: schema for status, _, _, schema in _page_responses()}


def test_every_status_has_a_page_response() -> None:
    assert [status for status, _, _ in PAGE_RESPONSES] == [200, 400, 401, 403, 404, 429, 500, 503, 504]


@pytest.mark.parametrize(("status", "body", "content_type"), PAGE_RESPONSES)
def test_page_response_bodies_parse(status: int, body: str, content_type: str) -> None:
    response = _call(status, body.encode(), content_type)
    assert response.status_code == status
    parsed = response.parsed
    if content_type == "application/json":
        expected = json.loads(body)
        actual = parsed if isinstance(parsed, str) else parsed.to_dict()
        assert actual == expected
    else:
        assert parsed == body
    # The page's JSON bodies also fit the spec's schemas and the pydantic models.
    if status in (400, 503):
        siliconflow_models.ErrorBody.model_validate_json(body)
    if status == 429:
        siliconflow_models.RateLimitBody.model_validate_json(body)
    if content_type == "application/json":
        schema = SCHEMA_OF_STATUS[status]
        assert schema is not None
        schema_validator(schema).validate(json.loads(body))
        getattr(siliconflow_models, schema).model_validate_json(body)


def test_real_200_extras_and_null_error_data_are_kept() -> None:
    body = {
        "images": [{"url": "https://example.invalid/a.png"}],
        "data": [{"url": "https://example.invalid/a.png"}],
        "timings": {"inference": 1.5},
        "seed": 42,
        "created": 1_700_000_000,
        "shared_id": "0",
    }
    parsed = _call(200, json.dumps(body).encode(), "application/json").parsed
    assert parsed.to_dict() == body
    assert siliconflow_models.ImageGenerationResponse.model_validate(body).created == 1_700_000_000
    assert (
        siliconflow_models.ErrorBody.model_validate({"code": 20012, "message": "m", "data": None}).data
        is None
    )


SIZE_PATTERN = re.compile(SCHEMAS["ImageGenerationRequest"]["properties"]["image_size"]["pattern"])
# What the reference pages say, typed from them: the table must hold at least this.
PAGE_SIZES = {
    "Kwai-Kolors/Kolors": ["1024x1024", "960x1280", "768x1024", "720x1440", "720x1280"],
    "Qwen/Qwen-Image": [
        "1328x1328",
        "1664x928",
        "928x1664",
        "1472x1140",
        "1140x1472",
        "1584x1056",
        "1056x1584",
    ],
    "black-forest-labs/FLUX.2-pro": ["512x512", "768x1024", "1024x768", "576x1024", "1024x576"],
}
NEVER_A_MODEL = "example.invalid/never-a-model"
"""A name no site can ever serve: `.invalid` is reserved (RFC 2606)."""


def test_model_table_holds_the_pages_models_and_sizes() -> None:
    for model, sizes in PAGE_SIZES.items():
        assert [s.size for s in MODELS[model].recommended_image_sizes] == sizes
    assert {"Qwen/Qwen-Image-Edit", "Qwen/Qwen-Image-Edit-2509", "black-forest-labs/FLUX.1-schnell"} <= set(
        MODELS
    )
    assert MODELS["Qwen/Qwen-Image"].defaults["num_inference_steps"] == 50
    assert MODELS["Qwen/Qwen-Image"].defaults["cfg"] == 4.0


def test_the_international_reference_page() -> None:
    flux = MODELS["black-forest-labs/FLUX.2-pro"]
    assert flux.sites == ("com",) and flux.fixed_sizes and flux.default_image_size == "512x512"
    assert set(flux.fields) == {"image_size", "seed", "output_format"}
    assert (flux.ranges["seed"].minimum, flux.ranges["seed"].maximum) == (0, 9999999999)
    schnell = MODELS["black-forest-labs/FLUX.1-schnell"]
    assert schnell.accepts("prompt_enhancement") and "older" in schnell.source and not schnell.fixed_sizes
    properties = SCHEMAS["ImageGenerationRequest"]["properties"]
    assert (
        properties["output_format"]["enum"] == ["png", "jpeg"]
        and properties["output_format"]["default"] == "png"
    )
    assert properties["prompt_enhancement"] == {
        **properties["prompt_enhancement"],
        "type": "boolean",
        "default": False,
    }


def test_sites_and_their_defaults() -> None:
    assert list(SITES) == ["cn", "com"]
    assert SITES["com"].hosts == ("api.siliconflow.com", "api.ap.siliconflow.com")
    for site in SITES.values():
        for task, model in site.defaults.items():
            assert MODELS[model].task == task and site.name in MODELS[model].sites
    assert SITES["com"].defaults["text-to-image"] == "black-forest-labs/FLUX.2-pro"
    assert {site for caps in MODELS.values() for site in caps.sites} == set(SITES)


@pytest.mark.parametrize("model", list(MODELS))
def test_model_table_agrees_with_the_request_schema(model: str) -> None:
    entry = MODELS[model]
    properties = SCHEMAS["ImageGenerationRequest"]["properties"]
    assert set(entry.fields) <= set(properties)
    assert set(entry.required) <= set(entry.fields)
    assert set(entry.ranges) <= set(entry.fields)
    for size in entry.recommended_image_sizes:
        assert SIZE_PATTERN.fullmatch(size.size), size
        assert size.width > 0 and size.height > 0
    if entry.default_image_size is not None:
        assert entry.default_image_size in [s.size for s in entry.recommended_image_sizes]
    # The defaults are themselves a valid request for the model.
    ImageGenerationRequest.model_validate({"model": model, "prompt": "x", **entry.defaults})
    assert entry.accepts("prompt") and entry.accepts("model")


def test_per_model_rules_from_the_page() -> None:
    kolors, qwen = MODELS["Kwai-Kolors/Kolors"], MODELS["Qwen/Qwen-Image"]
    edit, edit_2509 = MODELS["Qwen/Qwen-Image-Edit"], MODELS["Qwen/Qwen-Image-Edit-2509"]
    assert kolors.accepts("batch_size") and kolors.accepts("guidance_scale") and not kolors.accepts("cfg")
    assert qwen.accepts("cfg") and not qwen.accepts("batch_size") and not qwen.accepts("guidance_scale")
    for model in (edit, edit_2509):
        assert model.task == "edit"
        assert model.required == ("image",)
        assert not model.accepts("image_size")
    assert edit_2509.accepts("image2") and edit_2509.accepts("image3")
    assert not edit.accepts("image2") and not kolors.accepts("image3")
    assert all(caps.sites == ("cn",) for caps in (kolors, qwen, edit, edit_2509))


def test_models_the_table_does_not_know_still_pass_on_the_wire() -> None:
    assert capabilities.get(NEVER_A_MODEL) is None
    ImageGenerationRequest.model_validate({"model": NEVER_A_MODEL, "prompt": "x"})
    assert "enum" not in SCHEMAS["ImageGenerationRequest"]["properties"]["model"]
