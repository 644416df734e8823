"""The contract against the real SiliconFlow API: `make contract-live`.

Positive data only, a handful of examples, at most 10 requests a minute. Each successful
generation is billed, so a run costs a few paid images (see the README). Disagreements between
SiliconFlow and the spec are collected in the session's `live_report` (live_report.py), not
raised, so that nothing is retried or shrunk (both would send more paid requests); the run
prints them all at the end and fails if there are any.

The site follows from the host of SILICONFLOW_BASE_URL (api.siliconflow.cn: cn;
api.siliconflow.com or api.ap.siliconflow.com: com): only that site's request examples are sent,
and the checks expect that site's models and rules.

Never runs in `make test`: it is skipped unless pytest is called with `-m live`, and then it
stops at once unless SILICONFLOW_API_KEY is set and names a SiliconFlow host. The key is never printed.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
import yaml
from contract_checks import SPEC_CHECKS, answers_match_the_request, positive_refusals_have_a_reason
from hypothesis import HealthCheck, Phase
from live_report import LiveReport
from schemathesis.core.failures import FailureGroup

from siliconflow_emulator.catalogue import served_model
from siliconflow_images import DEFAULT_BASE_URL
from siliconflow_images.config import site_of
from siliconflow_models import MODELS, SITES
from siliconflow_models.capabilities import SiteName

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
KEY_VARIABLE = "SILICONFLOW_API_KEY"
BASE_URL = os.environ.get("SILICONFLOW_BASE_URL", "").strip() or DEFAULT_BASE_URL
KEY = os.environ.get(KEY_VARIABLE, "").strip()
# A host of no site still collects (as the first site), so `make test` never breaks on it;
# `live_opt_in` refuses to run against it.
_SITE = site_of(BASE_URL)
SITE: SiteName = _SITE.name if _SITE is not None else next(iter(SITES))
MAX_EXAMPLES = 3
RATE_LIMIT = "10/m"


def live_config() -> schemathesis.Config:
    settings = tomllib.loads((ROOT / "schemathesis.toml").read_text())
    settings.update(
        {
            "seed": 20240917,
            # No `base-url` here: a mistyped SILICONFLOW_BASE_URL must not break `make test`'s collection.
            "rate-limit": RATE_LIMIT,
            "request-timeout": 180,
            "generation": {"mode": "positive", "max-examples": MAX_EXAMPLES},
            # The coverage phase sends hundreds of boundary cases: far too many paid requests.
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        }
    )
    if KEY:
        settings["headers"] = {"Authorization": f"Bearer {KEY}"}
    return schemathesis.Config.from_dict(settings)


def site_spec(site: SiteName) -> dict[str, Any]:
    """The spec as one site serves it: only the request examples of the site's own models."""
    spec: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "siliconflow.yaml").read_text())
    request = spec["paths"]["/images/generations"]["post"]["requestBody"]["content"]["application/json"]
    request["examples"] = {
        name: example
        for name, example in request["examples"].items()
        if site in MODELS[example["value"]["model"]].sites
    }
    # Schemathesis also builds a body from the properties' own examples: give it a model of the site.
    model = spec["components"]["schemas"]["ImageGenerationRequest"]["properties"]["model"]
    model["examples"] = [name for name in model.get("examples", []) if served_model(site, name)] or [
        SITES[site].defaults["text-to-image"]
    ]
    return spec


schema = schemathesis.openapi.from_dict(site_spec(SITE), config=live_config())


@pytest.fixture(scope="module", autouse=True)
def live_opt_in(request: pytest.FixtureRequest) -> None:
    if "live" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("talks to the real SiliconFlow API and spends credit: run `make contract-live`")
    if not KEY:
        pytest.exit(
            f"make contract-live needs {KEY_VARIABLE}: export {KEY_VARIABLE}=<your SiliconFlow API key> "
            f"(and SILICONFLOW_BASE_URL for the international site, default {DEFAULT_BASE_URL}), then run it again.",
            returncode=2,
        )
    if site_of(BASE_URL) is None:
        hosts = ", ".join(host for site in SITES.values() for host in site.hosts)
        pytest.exit(
            f"SILICONFLOW_BASE_URL must be on a SiliconFlow host ({hosts}), so that the site's models and "
            "rules are the ones checked.",
            returncode=2,
        )


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # No shrinking and no replay: every extra request may be billed.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_siliconflow_honours_the_spec(case: Any, live_report: LiveReport) -> None:
    live_report.title = f"SiliconFlow ({BASE_URL}, site {SITE}) against openapi/siliconflow.yaml"
    live_report.checked += 1
    try:
        response = case.call(base_url=BASE_URL)
    except requests.RequestException as exc:
        live_report.findings.append(
            _redact(
                f"{case.operation.label}: the request failed ({type(exc).__name__})\n    sent: {_sent(case)}"
            )
        )
        return
    try:
        case.validate_response(
            response,
            checks=SPEC_CHECKS,
            additional_checks=[
                positive_refusals_have_a_reason(site=SITE, exact=False),
                answers_match_the_request(site=SITE, every_model_listed_exactly=False),
            ],
        )
    except FailureGroup as group:
        lines = [f"{case.operation.label} answered HTTP {response.status_code}"]
        lines += [f"  - {failure.title}: {_one_line(failure.message) or '-'}" for failure in group.exceptions]
        lines.append(f"    sent: {_sent(case)}")
        lines.append(f"    got:  {_clip(response.text, 400)}")
        live_report.findings.append(_redact("\n".join(lines)))


def _sent(case: Any) -> str:
    parts = [case.method, case.formatted_path]
    if case.query:
        parts.append(json.dumps(case.query, ensure_ascii=False))
    if isinstance(case.body, dict):
        # Data URIs and long prompts would drown the report.
        shown = {
            key: _clip(value, 80) if isinstance(value, str) else value for key, value in case.body.items()
        }
        parts.append(json.dumps(shown, ensure_ascii=False))
    return _clip(" ".join(parts), 1200)


def _one_line(text: str) -> str:
    return _clip(" ".join(text.split()), 400)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _redact(text: str) -> str:
    return text.replace(KEY, "<SILICONFLOW_API_KEY>") if KEY else text
