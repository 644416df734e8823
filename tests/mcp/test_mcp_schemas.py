"""Tool schemas come from the generated model and the table, for the configured site, and stay small."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from siliconflow_images.catalog import models_for
from siliconflow_images_mcp.config import Settings
from siliconflow_images_mcp.schemas import IMAGE_FORMS, offered, published
from siliconflow_images_mcp.server import INSTRUCTIONS, build_server
from siliconflow_models import MODELS, SITES, ImageGenerationRequest
from siliconflow_models.capabilities import IMAGE_FIELDS

REQUEST_SCHEMA = ImageGenerationRequest.model_json_schema()["properties"]
TOOLS_LIST_BUDGET = 6000
"""Bytes of the whole tools/list result (README: "Tools")."""


async def listed(tmp_path: Path, **settings: Any) -> dict[str, dict[str, Any]]:
    server = build_server(Settings.load({"HOME": str(tmp_path)}, **settings))
    return {
        t.name: t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in await server.list_tools()
    }


@pytest.mark.anyio
@pytest.mark.parametrize("site", list(SITES))
async def test_each_tool_offers_what_the_sites_models_take(tmp_path: Path, site: str) -> None:
    tools = await listed(tmp_path, base_url=SITES[site].base_url)  # type: ignore[index]
    generate = set(tools["generate_image"]["inputSchema"]["properties"])
    taken = {f for caps in models_for("text-to-image", SITES[site]) for f in caps.fields}  # type: ignore[index]
    assert generate == {"prompt", "model", "aspect_ratio"} | (taken - set(IMAGE_FIELDS))
    description = tools["generate_image"]["description"]
    for caps in models_for("text-to-image", SITES[site]):  # type: ignore[index]
        assert caps.name in description
        for size in caps.recommended_image_sizes:
            assert size.size in description
        for name, value in caps.defaults.items():
            if name != "image_size":
                assert (
                    f"{name}={value:g}" in description
                    if isinstance(value, float)
                    else f"{name}={value}" in description
                )
    others = [caps.name for caps in MODELS.values() if site not in caps.sites]
    assert not [name for name in others if name in description]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "name", ["batch_size", "num_inference_steps", "guidance_scale", "cfg", "seed", "image_size"]
)
async def test_published_constraints_are_the_generated_ones(tmp_path: Path, name: str) -> None:
    props = (await listed(tmp_path))["generate_image"]["inputSchema"]["properties"]
    expected = {k: v for k, v in REQUEST_SCHEMA[name].items() if k in ("minimum", "maximum", "pattern")}
    assert {
        k: v for k, v in props[name].items() if k in ("minimum", "maximum", "pattern")
    } == expected and expected


def test_published_schemas_lose_only_what_agents_do_not_need() -> None:
    schema = {
        "title": "X",
        "$defs": {
            "Item": {
                "title": "Item",
                "properties": {"a": {"type": "integer", "title": "A"}},
                "required": ["a"],
            }
        },
        "properties": {
            "n": {
                "anyOf": [{"type": "integer", "maximum": 4}, {"type": "null"}],
                "default": None,
                "title": "N",
            },
            "items": {"items": {"$ref": "#/$defs/Item"}, "type": "array"},
            "when": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "d"},
        },
        "required": ["items"],
        "type": "object",
    }
    assert published(schema, output=False)["properties"]["n"] == {"type": "integer", "maximum": 4}
    output = published(schema, output=True)
    assert output["properties"]["when"] == {"type": ["string", "null"]}
    assert output["properties"]["items"]["items"] == {"properties": {"a": {"type": "integer"}}}
    assert "title" not in json.dumps(output) and "$defs" not in output


@pytest.mark.anyio
@pytest.mark.parametrize("base_url", [s.base_url for s in SITES.values()] + ["http://127.0.0.1:8765/v1"])
@pytest.mark.parametrize("offline", [False, True])
async def test_the_tool_list_fits_its_budget(tmp_path: Path, base_url: str, offline: bool) -> None:
    from mcp.client import Client

    server = build_server(Settings.load({"HOME": str(tmp_path)}, base_url=base_url, offline=offline))
    # The answer as a client receives it: the SDK stamps its serverInfo (with the server's icon)
    # on it as it sends it, which a list built here would leave out.
    async with Client(server) as client:
        answer = await client.list_tools()
    size = len(answer.model_dump_json(by_alias=True, exclude_none=True))
    assert size <= TOOLS_LIST_BUDGET, size


def test_edit_offers_the_options_of_every_model_that_takes_an_image() -> None:
    site = SITES["cn"]
    takers = [caps for caps in MODELS.values() if caps.accepts("image") and "cn" in caps.sites]
    assert set(offered("edit", site)) == {f for caps in takers for f in caps.fields}


def test_the_server_instructions_name_the_image_forms_the_fields_do() -> None:
    assert IMAGE_FORMS in INSTRUCTIONS


@pytest.mark.anyio
@pytest.mark.parametrize("site", list(SITES))
async def test_edit_offers_image_and_what_the_sites_image_models_take(tmp_path: Path, site: str) -> None:
    tools = await listed(tmp_path, base_url=SITES[site].base_url)  # type: ignore[index]
    edit = set(tools["edit_image"]["inputSchema"]["properties"])
    assert edit == {"image", "prompt", "model", "aspect_ratio"} | set(offered("edit", SITES[site]))  # type: ignore[index]
    assert tools["edit_image"]["inputSchema"]["required"] == ["image", "prompt"]
