"""What an agent gets over stdio: a small tool list, sizes by aspect ratio, saved images as
resources that outlive a restart, editing by reference, and files that say how they were made."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import anyio
import pytest
from mcp.types import BlobResourceContents, TextResourceContents
from mcp_support import Folders, error_text, mcp_server, server_env, structured
from PIL import Image

from siliconflow_emulator.running import RunningEmulator
from siliconflow_images.catalog import ASPECT_RATIOS, parse_aspect
from siliconflow_models import MODELS

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "model", [name for name, caps in MODELS.items() if caps.recommended_image_sizes and "cn" in caps.sites]
)
async def test_every_aspect_ratio_gives_the_models_nearest_size(
    emulator: RunningEmulator, folders: Folders, model: str
) -> None:
    sizes = MODELS[model].recommended_image_sizes
    with folders.log.open("w") as log:
        async with mcp_server(server_env(emulator, folders, SILICONFLOW_PREVIEW_BYTES="0"), log) as client:
            for aspect in ASPECT_RATIOS:
                data = structured(
                    await client.call_tool(
                        "generate_image", {"prompt": "x", "model": model, "aspect_ratio": aspect}
                    )
                )
                size = data["parameters"]["image_size"]
                assert size in [s.size for s in sizes]
                used = next(s for s in sizes if s.size == size)
                # No listed size is nearer to the asked ratio than the one used.
                distance = abs(used.width / used.height - parse_aspect(aspect))
                assert all(abs(s.width / s.height - parse_aspect(aspect)) >= distance - 1e-9 for s in sizes)
                assert (data["images"][0]["width"], data["images"][0]["height"]) == (used.width, used.height)


async def test_saved_images_are_resources_that_outlive_a_restart(
    emulator: RunningEmulator, folders: Folders
) -> None:
    env = server_env(emulator, folders)
    with folders.log.open("w") as log:
        async with mcp_server(env, log) as client:
            made = structured(await client.call_tool("generate_image", {"prompt": "a red kite", "seed": 11}))
    uri = made["images"][0]["uri"]
    with folders.log.open("a") as log:
        async with mcp_server(env, log) as client:  # a new process: nothing kept in memory
            listed = (await client.list_resources()).resources
            assert [str(r.uri) for r in listed] == [uri] and listed[0].mime_type == "image/png"
            blob = (await client.read_resource(uri)).contents[0]
            assert isinstance(blob, BlobResourceContents) and blob.mime_type == "image/png"
            on_disk = await anyio.Path(made["images"][0]["path"]).read_bytes()
            assert base64.b64decode(blob.blob) == on_disk
            meta = (await client.read_resource(f"{uri}/metadata")).contents[0]
            assert isinstance(meta, TextResourceContents) and meta.mime_type == "application/json"
            record = json.loads(meta.text)["record"]
            assert (record["prompt"], record["seed"], record["model"]) == (
                "a red kite",
                11,
                "Kwai-Kolors/Kolors",
            )
            assert record["trace_id"] == made["trace_id"] and record["size"] == "1024x1024"
            templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
            assert templates[:2] == ["siliconflow://images/{id}", "siliconflow://images/{id}/metadata"]
            # Completions on the template's id: the saved names, `last` first.
            from mcp.types import ResourceTemplateReference

            done = await client.complete(
                ResourceTemplateReference(uri=templates[0]), {"name": "id", "value": ""}
            )
            assert done.completion.values[:2] == ["last", Path(made["images"][0]["path"]).name]


async def test_editing_by_last_and_by_uri(emulator: RunningEmulator, folders: Folders) -> None:
    with folders.log.open("w") as log:
        async with mcp_server(server_env(emulator, folders), log) as client:
            first = structured(
                await client.call_tool("generate_image", {"prompt": "a boat", "image_size": "768x1024"})
            )
            second = structured(await client.call_tool("generate_image", {"prompt": "a ship"}))
            by_last = structured(await client.call_tool("edit_image", {"image": "last", "prompt": "stormy"}))
            assert by_last["parameters"]["image"].startswith(second["images"][0]["uri"])
            by_last_n = structured(
                await client.call_tool("edit_image", {"image": "last-2", "prompt": "calm"})
            )
            assert by_last_n["parameters"]["image"].startswith(first["images"][0]["uri"])
            assert (by_last_n["images"][0]["width"], by_last_n["images"][0]["height"]) == (768, 1024)
            by_uri = structured(
                await client.call_tool("edit_image", {"image": first["images"][0]["uri"], "prompt": "x"})
            )
            assert by_uri["parameters"]["image"].startswith(first["images"][0]["uri"])
            assert "there is no saved image" in error_text(
                await client.call_tool(
                    "edit_image", {"image": "siliconflow://images/none.png", "prompt": "x"}
                )
            )


@pytest.mark.parametrize(
    "uri",
    [
        "file:///etc/passwd",
        "siliconflow://images/../../etc/passwd",
        "siliconflow://other/x.png",
        "https://e.test/a.png",
    ],
)
async def test_uris_that_are_not_the_servers_images_are_refused(
    emulator: RunningEmulator, folders: Folders, uri: str
) -> None:
    from mcp.shared.exceptions import MCPError

    with folders.log.open("w") as log:
        async with mcp_server(server_env(emulator, folders), log) as client:
            with pytest.raises(MCPError):
                await client.read_resource(uri)
            assert (await client.list_tools()).tools  # still serving


async def test_a_saved_png_says_how_it_was_made(emulator: RunningEmulator, folders: Folders) -> None:
    with folders.log.open("w") as log:
        async with mcp_server(server_env(emulator, folders), log) as client:
            data = structured(
                await client.call_tool(
                    "generate_image",
                    {
                        "prompt": "a lighthouse",
                        "negative_prompt": "fog",
                        "seed": 5,
                        "num_inference_steps": 12,
                    },
                )
            )
    with Image.open(data["images"][0]["path"]) as img:
        text = dict(img.text)  # type: ignore[attr-defined]
        img.load()
    lines = text["parameters"].splitlines()
    assert lines[0] == "a lighthouse" and lines[1] == "Negative prompt: fog"
    assert "Steps: 12" in lines[2] and "Seed: 5" in lines[2] and "CFG scale: 7.5" in lines[2]
    assert (
        "Size: 1024x1024" in lines[2]
        and "Model: Kwai-Kolors/Kolors" in lines[2]
        and data["trace_id"] in lines[2]
    )
    record = json.loads(text["siliconflow"])
    assert record["parameters"]["seed"] == 5 and record["model"] == "Kwai-Kolors/Kolors"
    assert io.BytesIO  # the pixels are untouched: Pillow decoded the whole file above


async def test_a_client_over_http_without_the_disk_gets_everything_through_resources(
    folders: Folders,
) -> None:
    """Issue: generate, list it, read its bytes and metadata, edit it by `last` and by URI, over HTTP."""
    from mcp_support import mcp_http_server

    with folders.log.open("w") as log:
        async with mcp_http_server(server_env(None, folders), log, "--offline") as client:
            made = structured(await client.call_tool("generate_image", {"prompt": "a harbour", "seed": 8}))
            uri = made["images"][0]["uri"]
            assert [str(r.uri) for r in (await client.list_resources()).resources] == [uri]
            blob = (await client.read_resource(uri)).contents[0]
            assert isinstance(blob, BlobResourceContents)
            assert Image.open(io.BytesIO(base64.b64decode(blob.blob))).size == (1024, 1024)
            meta = (await client.read_resource(uri + "/metadata")).contents[0]
            assert isinstance(meta, TextResourceContents) and json.loads(meta.text)["record"]["seed"] == 8
            by_last = structured(
                await client.call_tool("edit_image", {"image": "last", "prompt": "at night"})
            )
            by_uri = structured(await client.call_tool("edit_image", {"image": uri, "prompt": "in fog"}))
            assert by_last["parameters"]["image"].startswith(uri) and by_uri["parameters"][
                "image"
            ].startswith(uri)
            assert len((await client.list_resources()).resources) == 3
