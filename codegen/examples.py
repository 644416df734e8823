"""Render the example bodies of the spec's `components.responses` as typed Python data."""

from __future__ import annotations

from pathlib import Path
from string import Template
from typing import Any

SECTION = "components.responses"


class ExampleError(ValueError):
    """A documented response has no example of the shape this module renders."""


def _example(name: str, response: dict[str, Any]) -> tuple[str, int | None, str]:
    content: dict[str, Any] = response.get("content") or {}
    if not content:
        raise ExampleError(f"{SECTION}.{name} has no content")
    # The first media type, as openapi-python-client reads it: the one the API answers with.
    media_type, body = next(iter(content.items()))
    example = body.get("example")
    if isinstance(example, str):
        return media_type, None, example
    if isinstance(example, dict) and isinstance(example.get("message"), str):
        code = example.get("code")
        if code is not None and not isinstance(code, int):
            raise ExampleError(f"{SECTION}.{name}.example.code must be an integer, not {code!r}")
        return media_type, code, example["message"]
    raise ExampleError(f"{SECTION}.{name} needs an example: a string, or an object with a `message`")


def render(spec: dict[str, Any], header: str, template: Path) -> str:
    """The source of `siliconflow_models/examples.py` for this spec."""
    responses: dict[str, dict[str, Any]] = spec["components"]["responses"]
    entries = []
    for name, response in responses.items():
        media_type, code, message = _example(name, response)
        entries.append(
            f"{name!r}: ResponseExample(media_type={media_type!r}, code={code!r}, message={message!r}),"
        )
    return Template(template.read_text()).substitute(header=header, examples="\n".join(entries))
