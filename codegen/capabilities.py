"""Render the spec's `x-siliconflow-models` table as typed Python data."""

from __future__ import annotations

from pathlib import Path
from string import Template
from typing import Any

TABLE_KEY = "x-siliconflow-models"
TASKS = ("text-to-image", "edit")
ALWAYS = ("model", "prompt")


class TableError(ValueError):
    """The model table contradicts the request schema."""


def _optional_fields(spec: dict[str, Any]) -> list[str]:
    properties = spec["components"]["schemas"]["ImageGenerationRequest"]["properties"]
    return [name for name in properties if name not in ALWAYS]


def _validate(name: str, entry: dict[str, Any], optional: list[str]) -> None:
    where = f"{TABLE_KEY}[{name!r}]"
    if entry.get("task") not in TASKS:
        raise TableError(f"{where}.task must be one of {TASKS}, not {entry.get('task')!r}")
    for key in ("fields", "required"):
        unknown = [f for f in entry.get(key, []) if f not in optional]
        if unknown:
            raise TableError(
                f"{where}.{key} names {unknown}, which are not optional request fields {optional}"
            )
    missing = [f for f in entry.get("required", []) if f not in entry["fields"]]
    if missing:
        raise TableError(f"{where}.required names {missing}, which are not in its fields")
    stray = [f for f in entry.get("defaults", {}) if f not in entry["fields"]]
    if stray:
        raise TableError(f"{where}.defaults names {stray}, which are not in its fields")


def _model_literal(name: str, entry: dict[str, Any]) -> str:
    sizes = ", ".join(
        f"RecommendedSize(size={s['size']!r}, aspect={s['aspect']!r})"
        for s in entry.get("recommended_image_sizes", [])
    )
    return (
        f"{name!r}: ModelCapabilities(\n"
        f"    name={name!r},\n"
        f"    task={entry['task']!r},\n"
        f"    sub_type={entry['sub_type']!r},\n"
        f"    description={' '.join(entry['description'].split())!r},\n"
        f"    fields={tuple(entry['fields'])!r},\n"
        f"    required={tuple(entry.get('required', []))!r},\n"
        f"    defaults=MappingProxyType({dict(entry.get('defaults', {}))!r}),\n"
        f"    recommended_image_sizes=({sizes}{',' if sizes else ''}),\n"
        "),"
    )


def render(spec: dict[str, Any], header: str, template: Path) -> str:
    """The source of `siliconflow_models/capabilities.py` for this spec."""
    optional = _optional_fields(spec)
    table: dict[str, dict[str, Any]] = spec.get(TABLE_KEY) or {}
    if not table:
        raise TableError(f"the spec has no {TABLE_KEY} table")
    for name, entry in table.items():
        _validate(name, entry, optional)
    return Template(template.read_text()).substitute(
        header=header,
        tasks=", ".join(repr(t) for t in TASKS),
        optional_fields=", ".join(repr(f) for f in optional),
        models="\n".join(_model_literal(n, e) for n, e in table.items()),
    )
