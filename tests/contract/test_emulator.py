"""The emulator against the spec: schemathesis drives positive and negative data through every phase
(examples, coverage, fuzzing) at a running emulator and applies every check that needs no
stateful resources. Two checks of our own make the 400s that schemathesis.toml allows for
schema-valid bodies earn their place, and make the 200s deliver what was asked."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from contract_checks import (
    IMAGE_FIELDS,
    SPEC_CHECKS,
    answers_match_the_request,
    check_images,
    positive_refusals_have_a_reason,
)
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from PIL import Image
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from siliconflow_emulator import EmulatorSettings, Faults, run_in_thread
from siliconflow_models import MODELS

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


@pytest.fixture(scope="module")
def emulator() -> Any:
    # With a key list, a made-up token is refused, which is what `ignored_auth` probes for.
    with run_in_thread(EmulatorSettings(api_keys=frozenset({TOKEN}))) as running:
        yield running


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
def test_emulator_honours_the_spec(case: Any, emulator: Any) -> None:
    case.call_and_validate(
        base_url=emulator.base_url,
        checks=SPEC_CHECKS,
        additional_checks=[
            positive_refusals_have_a_reason(message_names_the_field=True),
            answers_match_the_request(every_model_listed_exactly=True),
        ],
        timeout=30,
    )


def tiny_png(colour: tuple[int, int, int], size: tuple[int, int] = (48, 32)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def fit_to_model(case: Any, model: str, colour: tuple[int, int, int]) -> Any:
    """Bend a schema-valid body so the model table accepts it too: same fuzzed values, right model."""
    capabilities = MODELS[model]
    body = {
        key: value
        for key, value in case.body.items()
        if key in ("model", "prompt") or capabilities.accepts(key)
    }
    body["model"] = model
    for field in IMAGE_FIELDS:
        if field in body or field in capabilities.required:
            body[field] = tiny_png(colour)
    if "image_size" in body:
        # Keep the fuzzed shape but small, so a hundred renders stay quick.
        width, height = (int(side) for side in body["image_size"].split("x"))
        body["image_size"] = f"{10 + width % 240}x{10 + height % 240}"
    case.body = body
    return case


GENERATIONS = schema["/images/generations"]["POST"]


@hypothesis.settings(max_examples=30, deadline=None, derandomize=True, database=None, phases=[Phase.generate])
@given(
    case=GENERATIONS.as_strategy(),
    model=st.sampled_from(sorted(MODELS)),
    colour=st.tuples(*[st.integers(0, 255)] * 3),
)
def test_bodies_the_model_table_accepts_are_served(emulator: Any, case: Any, model: str, colour: Any) -> None:
    case = fit_to_model(case, model, colour)
    response = case.call(base_url=emulator.base_url, headers=AUTH, timeout=30)
    assert response.status_code == 200, response.text
    check_images(case.body, response.json())


@pytest.mark.parametrize(
    ("faults", "status"),
    [(Faults(rate_limit=1), 429), (Faults(overload=1), 503), (Faults(gateway_timeout=1), 504)],
)
def test_injected_faults_still_honour_the_spec(emulator: Any, faults: Faults, status: int) -> None:
    case = GENERATIONS.Case(body={"model": "Kwai-Kolors/Kolors", "prompt": "a lighthouse"})
    emulator.settings.faults = faults
    try:
        response = case.call_and_validate(base_url=emulator.base_url, headers=AUTH, checks=SPEC_CHECKS[1:5])
    finally:
        emulator.settings.faults = Faults()
    assert response.status_code == status


def test_the_malformed_fault_is_caught_by_response_schema_conformance(emulator: Any) -> None:
    # Proof that the contract test can fail: a body off the spec does not get through.
    case = GENERATIONS.Case(body={"model": "Kwai-Kolors/Kolors", "prompt": "a lighthouse"})
    emulator.settings.faults = Faults(malformed=1)
    try:
        with pytest.raises(FailureGroup, match="Response violates schema"):
            case.call_and_validate(
                base_url=emulator.base_url, headers=AUTH, checks=[response_schema_conformance]
            )
    finally:
        emulator.settings.faults = Faults()
