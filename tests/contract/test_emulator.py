"""The emulator against the spec, as each site: schemathesis drives positive and negative data
through every phase (examples, coverage, fuzzing) at a running emulator and applies every check
that needs no stateful resources. Two checks of our own make the 400s that schemathesis.toml
allows for schema-valid bodies earn their place, and make the 200s deliver what was asked."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pydantic
import pytest
import schemathesis
from contract_checks import (
    SPEC_CHECKS,
    answers_match_the_request,
    check_images,
    positive_refusals_have_a_reason,
    refusal_reasons,
)
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from PIL import Image
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from siliconflow_emulator import EmulatorSettings, RunningEmulator, run_in_thread
from siliconflow_emulator.catalogue import served_model, served_models
from siliconflow_models import MODELS, SITES, ImageGenerationRequest, ModelCapabilities
from siliconflow_models.capabilities import IMAGE_FIELDS, SiteName

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "contract-test-key"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

CONFIG = schemathesis.Config.from_path(ROOT / "schemathesis.toml")
# A fixed seed: CI sees the same cases on every run.
CONFIG.update(seed=20240917, max_failures=None)
schema = schemathesis.openapi.from_path(ROOT / "openapi" / "siliconflow.yaml", config=CONFIG)
# Configured (not passed per call), as `st run -H` does: schemathesis then knows the token is
# explicit, never generates a replacement for it, and probes it for `ignored_auth`.
schema.config.headers = dict(AUTH)

GENERATIONS = schema["/images/generations"]["POST"]


@pytest.fixture(scope="module", params=list(SITES))
def emulator(request: pytest.FixtureRequest) -> Iterator[RunningEmulator]:
    # With a key list, a made-up token is refused, which is what `ignored_auth` probes for.
    settings = EmulatorSettings(api_keys=frozenset({TOKEN}), site=request.param)
    with run_in_thread(settings) as running:
        yield running
        running.reset()


@schema.parametrize()
@hypothesis.settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    # No shrinking: a failure is reported as found, and the run stays bounded.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_emulator_honours_the_spec(case: Any, emulator: RunningEmulator) -> None:
    site = emulator.settings.site
    case.call_and_validate(
        base_url=emulator.base_url,
        checks=SPEC_CHECKS,
        additional_checks=[
            positive_refusals_have_a_reason(site=site, exact=True),
            answers_match_the_request(site=site, every_model_listed_exactly=True),
        ],
        timeout=30,
    )


def tiny_png(colour: tuple[int, int, int], size: tuple[int, int] = (48, 32)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def fit_to_model(case: Any, site: SiteName, pick: int, colour: tuple[int, int, int]) -> Any:
    """Bend a schema-valid body so the site's model table accepts it too: same fuzzed values, a model
    of the site (the `pick`th), within its ranges and sizes."""
    models = served_models(site)
    capabilities = models[pick % len(models)]
    body = {
        key: value
        for key, value in case.body.items()
        if key in ("model", "prompt") or capabilities.accepts(key)
    }
    body["model"] = capabilities.name
    for field in IMAGE_FIELDS:
        if field in body or field in capabilities.required:
            body[field] = tiny_png(colour)
    for field, allowed in capabilities.ranges.items():
        if field in body:
            low = body[field] if allowed.minimum is None else max(body[field], allowed.minimum)
            body[field] = low if allowed.maximum is None else min(low, allowed.maximum)
    if "image_size" in body:
        width, height = (int(side) for side in body["image_size"].split("x"))
        if capabilities.fixed_sizes:
            sizes = capabilities.recommended_image_sizes
            body["image_size"] = sizes[(width + height) % len(sizes)].size
        else:
            # Keep the fuzzed shape but small, so a hundred renders stay quick.
            body["image_size"] = f"{10 + width % 240}x{10 + height % 240}"
    case.body = body
    return case


@hypothesis.settings(max_examples=25, deadline=None, derandomize=True, database=None, phases=[Phase.generate])
@given(
    case=GENERATIONS.as_strategy(),
    pick=st.integers(min_value=0, max_value=63),
    colour=st.tuples(*[st.integers(0, 255)] * 3),
)
def test_bodies_the_model_table_accepts_are_served(
    emulator: RunningEmulator, case: Any, pick: int, colour: Any
) -> None:
    case = fit_to_model(case, emulator.settings.site, pick, colour)
    response = case.call(base_url=emulator.base_url, headers=AUTH, timeout=30)
    assert response.status_code == 200, response.text
    check_images(case.body, response.json())


def broken_rules(capabilities: ModelCapabilities, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Changes to an accepted body that each break one of the model's rules and keep it schema-valid."""
    changes: list[dict[str, Any]] = []
    for field, allowed in capabilities.ranges.items():
        if allowed.minimum is not None:
            changes.append({field: allowed.minimum - 1})
        if allowed.maximum is not None:
            changes.append({field: allowed.maximum + 1})
    if capabilities.fixed_sizes:
        changes.append({"image_size": "1000x1000"})
    other_model = next(name for name in MODELS if served_model(capabilities.sites[0], name) is None)
    changes.append({"model": other_model})
    return [change for change in changes if schema_valid({**body, **change})]


def schema_valid(body: dict[str, Any]) -> bool:
    try:
        ImageGenerationRequest.model_validate_json(json.dumps(body), strict=True)
    except pydantic.ValidationError:
        return False
    return True


@hypothesis.settings(max_examples=15, deadline=None, derandomize=True, database=None, phases=[Phase.generate])
@given(
    case=GENERATIONS.as_strategy(),
    pick=st.integers(min_value=0, max_value=63),
    which=st.integers(min_value=0, max_value=63),
)
def test_bodies_the_model_table_refuses_are_refused(
    emulator: RunningEmulator, case: Any, pick: int, which: int
) -> None:
    # Fuzzed models are made-up names, so schemathesis alone never meets a per-model rule.
    site = emulator.settings.site
    case = fit_to_model(case, site, pick, (0, 0, 0))
    changes = broken_rules(MODELS[case.body["model"]], case.body)
    hypothesis.assume(changes)
    case.body = {**case.body, **changes[which % len(changes)]}
    response = case.call(base_url=emulator.base_url, headers=AUTH, timeout=30)
    reasons = refusal_reasons(case.body, site)
    assert reasons is not None
    assert response.status_code == 400, response.text
    code, fields = reasons
    assert response.json()["code"] == code
    assert code == 20012 or any(f"`{field}`" in response.json()["message"] for field in fields)


def default_model(emulator: RunningEmulator) -> str:
    return SITES[emulator.settings.site].defaults["text-to-image"]


@pytest.mark.parametrize(
    ("fault", "status"), [("rate_limit", 429), ("overload", 503), ("gateway_timeout", 504)]
)
def test_injected_faults_still_honour_the_spec(emulator: RunningEmulator, fault: str, status: int) -> None:
    case = GENERATIONS.Case(body={"model": default_model(emulator), "prompt": "a lighthouse"})
    setattr(emulator.settings.faults, fault, 1)
    try:
        response = case.call_and_validate(base_url=emulator.base_url, headers=AUTH, checks=SPEC_CHECKS[1:5])
    finally:
        emulator.reset()
    assert response.status_code == status


def test_the_malformed_fault_is_caught_by_response_schema_conformance(emulator: RunningEmulator) -> None:
    # Proof that the contract test can fail: a body off the spec does not get through.
    case = GENERATIONS.Case(body={"model": default_model(emulator), "prompt": "a lighthouse"})
    emulator.settings.faults.malformed = 1
    try:
        with pytest.raises(FailureGroup, match="Response violates schema"):
            case.call_and_validate(
                base_url=emulator.base_url, headers=AUTH, checks=[response_schema_conformance]
            )
    finally:
        emulator.reset()
