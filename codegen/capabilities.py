"""Render the spec's `x-siliconflow-models` and `x-siliconflow-sites` tables as typed Python data."""

from __future__ import annotations

from pathlib import Path
from string import Template
from typing import Any

TABLE_KEY = "x-siliconflow-models"
SITES_KEY = "x-siliconflow-sites"
LIFETIME_KEY = "x-siliconflow-image-url-lifetime"
GENERATION_PATH = "/images/generations"
TASKS = ("text-to-image", "edit")
ALWAYS = ("model", "prompt")
IMAGE_FIELDS = ("image", "image2", "image3")
_PYTHON_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


class TableError(ValueError):
    """The model table contradicts the request schema or the sites table."""


def _request_properties(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    properties: dict[str, dict[str, Any]] = spec["components"]["schemas"]["ImageGenerationRequest"][
        "properties"
    ]
    return properties


def _optional_fields(spec: dict[str, Any]) -> list[str]:
    return [name for name in _request_properties(spec) if name not in ALWAYS]


def _validate(name: str, entry: dict[str, Any], spec: dict[str, Any], sites: dict[str, Any]) -> None:
    where = f"{TABLE_KEY}[{name!r}]"
    optional = _optional_fields(spec)
    if entry.get("task") not in TASKS:
        raise TableError(f"{where}.task must be one of {TASKS}, not {entry.get('task')!r}")
    unknown_sites = [site for site in entry.get("sites", []) if site not in sites]
    if not entry.get("sites") or unknown_sites:
        raise TableError(f"{where}.sites must name sites of {SITES_KEY} {sorted(sites)}, not {unknown_sites}")
    for key in ("fields", "required"):
        unknown = [f for f in entry.get(key, []) if f not in optional]
        if unknown:
            raise TableError(
                f"{where}.{key} names {unknown}, which are not optional request fields {optional}"
            )
    for key in ("required", "defaults", "ranges"):
        stray = [f for f in entry.get(key, []) if f not in entry["fields"]]
        if stray:
            raise TableError(f"{where}.{key} names {stray}, which are not in its fields")
    properties = _request_properties(spec)
    for field, bounds in (entry.get("ranges") or {}).items():
        low, high = properties[field].get("minimum"), properties[field].get("maximum")
        if (low is not None and bounds.get("minimum", low) < low) or (
            high is not None and bounds.get("maximum", high) > high
        ):
            raise TableError(f"{where}.ranges.{field} is wider than the request schema's [{low}, {high}]")
    if entry["task"] == "text-to-image" and not (
        "image_size" in entry["fields"] and "image_size" in (entry.get("defaults") or {})
    ):
        # The output's size must be known when a request names none: the emulator draws it, and
        # the contract checks compare answers with it. Every model of both pages takes image_size.
        raise TableError(f"{where} is text-to-image, so it must take image_size and give defaults.image_size")
    if entry.get("fixed_sizes") and not entry.get("recommended_image_sizes"):
        raise TableError(f"{where}.fixed_sizes needs the sizes in recommended_image_sizes")


def _validate_site(name: str, site: dict[str, Any], table: dict[str, dict[str, Any]]) -> None:
    where = f"{SITES_KEY}[{name!r}]"
    for task, model in (site.get("defaults") or {}).items():
        entry = table.get(model)
        if task not in TASKS or entry is None or entry["task"] != task or name not in entry["sites"]:
            raise TableError(
                f"{where}.defaults.{task} must be a {task} model of the table on this site, not {model!r}"
            )


def _model_literal(name: str, entry: dict[str, Any]) -> str:
    sizes = ", ".join(
        f"RecommendedSize(size={s['size']!r}, aspect={s['aspect']!r})"
        for s in entry.get("recommended_image_sizes", [])
    )
    ranges = ", ".join(
        f"{field!r}: Range(minimum={bounds.get('minimum')!r}, maximum={bounds.get('maximum')!r})"
        for field, bounds in (entry.get("ranges") or {}).items()
    )
    return (
        f"{name!r}: ModelCapabilities(\n"
        f"    name={name!r},\n"
        f"    task={entry['task']!r},\n"
        f"    sub_type={entry['sub_type']!r},\n"
        f"    sites={tuple(entry['sites'])!r},\n"
        f"    source={' '.join(entry['source'].split())!r},\n"
        f"    description={' '.join(entry['description'].split())!r},\n"
        f"    fields={tuple(entry['fields'])!r},\n"
        f"    required={tuple(entry.get('required', []))!r},\n"
        f"    defaults=MappingProxyType({dict(entry.get('defaults', {}))!r}),\n"
        f"    ranges=MappingProxyType({{{ranges}}}),\n"
        f"    fixed_sizes={bool(entry.get('fixed_sizes', False))!r},\n"
        f"    recommended_image_sizes=({sizes}{',' if sizes else ''}),\n"
        "),"
    )


def _site_literal(name: str, site: dict[str, Any]) -> str:
    return (
        f"{name!r}: Site(\n"
        f"    name={name!r},\n"
        f"    title={site['title']!r},\n"
        f"    base_url={site['base_url']!r},\n"
        f"    hosts={tuple(site['hosts'])!r},\n"
        f"    console={site['console']!r},\n"
        f"    defaults=MappingProxyType({dict(site.get('defaults') or {})!r}),\n"
        "),"
    )


def _python_type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return f"Literal[{', '.join(repr(value) for value in schema['enum'])}]"
    return _PYTHON_TYPES[schema["type"]]


def _options_fields(spec: dict[str, Any]) -> str:
    return "\n".join(
        f"    {name}: {_python_type(schema)}"
        for name, schema in _request_properties(spec).items()
        if name not in ALWAYS and name not in IMAGE_FIELDS
    )


def _trace_header(spec: dict[str, Any]) -> str:
    """The one header a generation's answer documents: the API's trace id."""
    answered = spec["paths"][GENERATION_PATH]["post"]["responses"]["200"]
    names = list(answered.get("headers") or {})
    if len(names) != 1:
        raise TableError(
            f"the 200 of POST {GENERATION_PATH} should document one header (the trace id), not {names}"
        )
    return str(names[0])


def _url_lifetime(spec: dict[str, Any]) -> int:
    lifetime = spec.get(LIFETIME_KEY)
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
        raise TableError(f"the spec needs {LIFETIME_KEY}: the image URLs' lifetime in whole seconds")
    return lifetime


def render(spec: dict[str, Any], header: str, template: Path) -> str:
    """The source of `siliconflow_models/capabilities.py` for this spec."""
    optional = _optional_fields(spec)
    table: dict[str, dict[str, Any]] = spec.get(TABLE_KEY) or {}
    sites: dict[str, dict[str, Any]] = spec.get(SITES_KEY) or {}
    if not table or not sites:
        raise TableError(f"the spec needs both a {TABLE_KEY} and a {SITES_KEY} table")
    for name, entry in table.items():
        _validate(name, entry, spec, sites)
    for name, site in sites.items():
        _validate_site(name, site, table)
    return Template(template.read_text()).substitute(
        header=header,
        tasks=", ".join(repr(t) for t in TASKS),
        always=", ".join(repr(f) for f in ALWAYS),
        sites=", ".join(repr(s) for s in sites),
        optional_fields=", ".join(repr(f) for f in optional),
        image_fields=", ".join(repr(f) for f in IMAGE_FIELDS),
        options=_options_fields(spec),
        models="\n".join(_model_literal(n, e) for n, e in table.items()),
        site_table="\n".join(_site_literal(n, s) for n, s in sites.items()),
        trace_header=repr(_trace_header(spec)),
        url_lifetime=_url_lifetime(spec),
    )
