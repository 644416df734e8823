"""Both sites offline: the international site's catalogue and defaults, and JPEG results; the Chinese site as before."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from mcp.types import BlobResourceContents, ImageContent
from mcp_support import Folders, error_text, mcp_server, server_env, structured, text_of
from PIL import Image

from siliconflow_images.files import read_record
from siliconflow_models import MODELS, SITES

pytestmark = pytest.mark.anyio

COM = {"SILICONFLOW_BASE_URL": SITES["com"].base_url}


async def test_the_international_site_offline(folders: Folders) -> None:
    with folders.log.open("w") as log:
        async with mcp_server(server_env(None, folders, **COM), log, "--offline") as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert "default black-forest-labs/FLUX.2-pro" in (tools["generate_image"].description or "")
            assert "output_format" in tools["generate_image"].input_schema["properties"]
            assert "Kwai-Kolors" not in (tools["generate_image"].description or "")

            made = structured(await client.call_tool("generate_image", {"prompt": "a fox"}))
            assert made["model"] == "black-forest-labs/FLUX.2-pro"
            assert (made["images"][0]["width"], made["images"][0]["height"]) == (512, 512)

            jpeg = await client.call_tool(
                "generate_image", {"prompt": "a fox", "output_format": "jpeg", "aspect_ratio": "16:9"}
            )
            image = structured(jpeg)["images"][0]
            assert image["path"].endswith(".jpg") and image["mime_type"] == "image/jpeg"
            assert (image["width"], image["height"]) == (1024, 576)
            with Image.open(image["path"]) as picture:
                assert picture.format == "JPEG"
            written = read_record(Path(image["path"]))
            assert written is not None and written["parameters"]["output_format"] == "jpeg"
            previews = [block for block in jpeg.content if isinstance(block, ImageContent)]
            assert previews and base64.b64decode(previews[0].data)[:2] == b"\xff\xd8"
            blob = (await client.read_resource(image["uri"])).contents[0]
            assert isinstance(blob, BlobResourceContents) and blob.mime_type == "image/jpeg"
            record = json.loads((await client.read_resource(image["uri"] + "/metadata")).contents[0].text)  # type: ignore[union-attr]
            assert record["record"]["parameters"]["output_format"] == "jpeg"

            refused = error_text(
                await client.call_tool(
                    "generate_image", {"prompt": "x", "model": "black-forest-labs/FLUX.2-pro", "cfg": 4}
                )
            )
            takes = ", ".join(MODELS["black-forest-labs/FLUX.2-pro"].fields)
            assert f"`cfg` does not apply to black-forest-labs/FLUX.2-pro, which takes: {takes}" in refused
            assert "nothing was billed" in refused
            for wrong, expected in (
                ({"image_size": "1024x1024"}, "is not one of"),
                ({"seed": -1}, "it takes 0 to"),
            ):
                assert expected in error_text(
                    await client.call_tool("generate_image", {"prompt": "x", **wrong})
                )

            # A Chinese-site model is not offered here: refused before sending, with the list.
            other = error_text(
                await client.call_tool("generate_image", {"prompt": "x", "model": "Kwai-Kolors/Kolors"})
            )
            assert "not offered to this account now" in other and "black-forest-labs/FLUX.2-pro" in other
            # No edit model is documented for this site: the tool says what to do.
            assert "list_models" in error_text(
                await client.call_tool("edit_image", {"image": "last", "prompt": "x"})
            )
            listing = structured(await client.call_tool("list_models", {}))
            assert listing["site"] == "com" and {m["name"] for m in listing["models"] if m["known"]} == {
                name for name, caps in MODELS.items() if "com" in caps.sites
            }


async def test_the_chinese_site_offline_behaves_as_before(folders: Folders) -> None:
    with folders.log.open("w") as log:
        async with mcp_server(server_env(None, folders), log, "--offline") as client:
            made = structured(await client.call_tool("generate_image", {"prompt": "a fox"}))
            assert made["model"] == "Kwai-Kolors/Kolors" and made["images"][0]["path"].endswith(".png")
            assert (made["images"][0]["width"], made["images"][0]["height"]) == (1024, 1024)
            edited = structured(await client.call_tool("edit_image", {"image": "last", "prompt": "x"}))
            assert edited["model"] == "Qwen/Qwen-Image-Edit-2509"
            flux = error_text(
                await client.call_tool(
                    "generate_image", {"prompt": "x", "model": "black-forest-labs/FLUX.2-pro"}
                )
            )
            assert "not offered to this account now" in flux
            assert "placeholder images" in text_of(await client.call_tool("generate_image", {"prompt": "y"}))
