"""Checks of our own, shared by the emulator and live contract tests, for one site at a time.

schemathesis.toml lets the image operation answer 400 to schema-valid bodies, because the
spec's model table and input rules refuse some of them; `positive_refusals_have_a_reason`
makes every such 400 show one of those reasons (and the right code) for the site under test.
`answers_match_the_request` checks that a 200 delivers what was asked, which no built-in check
can know: the site's models, or images in number, format and size.
"""

from __future__ import annotations

import io
from typing import Any

import httpx
import schemathesis
import schemathesis.checks
from PIL import Image
from schemathesis.specs.openapi import checks as openapi_checks

from siliconflow_emulator.catalogue import served_model, served_models
from siliconflow_emulator.validation import parse_size, within_render_limits
from siliconflow_models import MODELS, ImageGenerationRequest
from siliconflow_models.capabilities import IMAGE_FIELDS, OPTIONAL_FIELDS, SiteName

PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG"}
"""`output_format` value to the format Pillow reads in the bytes."""

SPEC_CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.positive_data_acceptance,
    openapi_checks.missing_required_header,
    openapi_checks.ignored_auth,
]
"""Every built-in check that needs no stateful resources."""


def refusal_reasons(body: dict[str, Any], site: SiteName) -> tuple[int, set[str]] | None:
    """The code, and the fields, a schema-valid body may be refused for on `site`; None if it must pass."""
    capabilities = served_model(site, body["model"])
    if capabilities is None:
        return 20012, {"model"}
    fields: set[str] = set()
    for field in OPTIONAL_FIELDS:
        default = ImageGenerationRequest.model_fields[field].default
        if field in body and not capabilities.accepts(field) and body[field] != default:
            fields.add(field)
    fields.update(field for field in capabilities.required if field not in body)
    # Generated strings are no images, and nobody fetches the page's URLs for the emulator.
    fields.update(field for field in IMAGE_FIELDS if field in body and capabilities.accepts(field))
    for field, allowed in capabilities.ranges.items():
        value = body.get(field)
        if isinstance(value, int | float) and not (
            (allowed.minimum is None or value >= allowed.minimum)
            and (allowed.maximum is None or value <= allowed.maximum)
        ):
            fields.add(field)
    size = body.get("image_size")
    if isinstance(size, str):
        sizes = {recommended.size for recommended in capabilities.recommended_image_sizes}
        count = body.get("batch_size", 1) if capabilities.accepts("batch_size") else 1
        # The emulator's own bounds on what it draws, not the API's: a live run may pass them.
        if not within_render_limits(parse_size(size), count) or (
            capabilities.fixed_sizes and size not in sizes
        ):
            fields.add("image_size")
    return (20015, fields) if fields else None


def positive_refusals_have_a_reason(*, site: SiteName, exact: bool) -> Any:
    """A check that every 400 to schema-valid data is one the spec's model table or input rules explain.

    `exact` (the emulator): the message names the field, and a body with such a reason is never
    served. The spec promises neither of SiliconFlow, which may ignore a field it does not use.
    """

    def positive_refusals_have_a_reason(ctx: Any, response: Any, case: Any) -> bool | None:
        if case.meta is None or not case.meta.generation.mode.is_positive:
            return None
        if exact and response.status_code == 200 and case.operation.method.upper() == "POST":
            reasons = refusal_reasons(case.body, site)
            assert reasons is None, f"served a body the model table refuses ({reasons}): {case.body}"
        if response.status_code != 400:
            return None
        assert case.operation.method.upper() == "POST", f"GET /models refused a valid query: {response.text}"
        reasons = refusal_reasons(case.body, site)
        assert reasons is not None, f"a body the spec and its model table accept was refused: {response.text}"
        code, fields = reasons
        error = response.json()
        assert error.get("code") == code, f"expected code {code}, got {error}"
        if exact and code == 20015:
            message = str(error.get("message", ""))
            assert any(f"`{field}`" in message for field in fields), (
                f"should name one of {sorted(fields)}: {error}"
            )
        return None

    return positive_refusals_have_a_reason


def answers_match_the_request(*, site: SiteName, every_model_listed_exactly: bool) -> Any:
    """A check that a 200 carries what was asked: the site's models filtered, or the images.

    The real API lists far more models than the spec's table, so live runs only ask that the
    table's models for the site are among those listed.
    """

    def answers_match_the_request(ctx: Any, response: Any, case: Any) -> bool | None:
        if response.status_code != 200:
            return None
        answer = response.json()
        if case.operation.method.upper() == "GET":
            kind, task = case.query.get("type"), case.query.get("sub_type")
            wanted = [
                capabilities.name
                for capabilities in served_models(site)
                if kind in (None, "image") and task in (None, capabilities.sub_type)
            ]
            listed = [model["id"] for model in answer["data"]]
            if every_model_listed_exactly:
                assert listed == wanted, f"expected {wanted}, listed {listed}"
            else:
                missing = [name for name in wanted if name not in listed]
                assert not missing, f"models of the spec's table not listed for {dict(case.query)}: {missing}"
            return None
        check_images(case.body, answer)
        return None

    return answers_match_the_request


def check_images(body: dict[str, Any], answer: dict[str, Any]) -> None:
    """The images of a 200: as many as asked, in the asked (or default) format and size."""
    capabilities = MODELS[body["model"]]
    count = body.get("batch_size", 1) if capabilities.accepts("batch_size") else 1
    assert isinstance(answer.get("images"), list), "`images` is not a list"
    assert len(answer["images"]) == count, f"asked for {count} image(s), got {len(answer['images'])}"
    if "data" in answer:
        assert answer["data"] == answer["images"], "`data` and `images` differ"
    if "seed" in body:
        assert answer["seed"] == body["seed"], f"sent seed {body['seed']}, answer says {answer['seed']}"
    output_format = body.get("output_format") if capabilities.accepts("output_format") else None
    expected_format = PIL_FORMATS[str(output_format or capabilities.defaults.get("output_format", "png"))]
    for image in answer["images"]:
        download = httpx.get(image["url"], timeout=60, follow_redirects=True)
        assert download.status_code == 200, f"image URL answered {download.status_code}"
        picture = Image.open(io.BytesIO(download.content))
        assert picture.format == expected_format, f"expected a {expected_format}, got a {picture.format}"
        if capabilities.task == "text-to-image":
            size = body.get("image_size") or capabilities.default_image_size
            assert f"{picture.width}x{picture.height}" == size, f"asked for {size}, got {picture.size}"
