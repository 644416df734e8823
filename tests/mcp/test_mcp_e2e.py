"""End to end: `python -m siliconflow_images_mcp` over stdio, driven by the SDK's client, against the emulator.

One server process serves the module; the emulator runs in this process, so each test can
make it misbehave. Every test checks its own results and the log lines they caused for the
key, so each passes alone and in any order. What needs a clock or a count of requests in
flight (retries, concurrency) is in test_mcp_in_process.py, where both can be swapped in.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.client import Client
from mcp.types import CallToolResult, ImageContent, ResourceLink
from mcp_support import (
    SECRET_KEY,
    Folders,
    assert_nowhere,
    error_text,
    mcp_server,
    png_bytes,
    server_env,
    structured,
    text_of,
)

from siliconflow_emulator.running import RunningEmulator
from siliconflow_models import MODELS

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> Folders:
    # Module scope, unlike the shared fixture: the one server process of the module keeps them.
    return Folders.under(tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="module")
async def client(running_emulator: RunningEmulator, folders: Folders) -> AsyncIterator[Client]:
    with folders.log.open("w") as log:
        async with mcp_server(server_env(running_emulator, folders), log) as connected:
            yield connected


@pytest.fixture(autouse=True)
def no_key_anywhere(folders: Folders) -> Iterator[list[CallToolResult]]:
    """Every result of the test, and every log line written meanwhile, checked for the key."""
    results: list[CallToolResult] = []
    log_start = folders.log.stat().st_size if folders.log.exists() else 0
    yield results
    for result in results:
        assert_nowhere(SECRET_KEY, result.model_dump_json())
    with folders.log.open() as log:
        log.seek(log_start)
        assert_nowhere(SECRET_KEY, log.read())


async def call(
    client: Client, results: list[CallToolResult], tool: str, args: dict[str, Any], **kwargs: Any
) -> CallToolResult:
    result = await client.call_tool(tool, args, **kwargs)
    results.append(result)
    return result


def images_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.suffix in (".png", ".jpg")} if folder.exists() else set()


def size_on_disk(path: Path) -> int:
    return path.stat().st_size if path.is_file() else -1


Results = list[CallToolResult]


async def test_three_tools_with_honest_annotations_and_output_schemas(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == {"generate_image", "edit_image", "list_models"}
    for name in ("generate_image", "edit_image"):
        hints = tools[name].annotations
        assert hints is not None
        # Unset hints mean the specification's defaults: not read-only, not idempotent, open world.
        assert (hints.read_only_hint or False, hints.destructive_hint, hints.idempotent_hint or False) == (
            False,
            False,
            False,
        )
        assert hints.open_world_hint in (None, True)
        assert tools[name].output_schema is not None and "images" in tools[name].output_schema["properties"]
        assert "Billed per image" in (tools[name].description or "")
        assert tools[name].icons
    props = tools["generate_image"].input_schema["properties"]
    assert props["batch_size"]["maximum"] == 4 and "default Kwai-Kolors/Kolors" in (
        tools["generate_image"].description or ""
    )
    assert tools["edit_image"].input_schema["required"] == ["image", "prompt"]
    listing = tools["list_models"].annotations
    assert listing is not None and listing.read_only_hint is True


async def test_generate_image_saves_every_image_and_returns_previews(
    client: Client, folders: Folders, no_key_anywhere: Results
) -> None:
    result = await call(
        client,
        no_key_anywhere,
        "generate_image",
        {"prompt": "a red fox in snow", "batch_size": 2, "seed": 42},
    )
    data = structured(result)
    assert data["model"] == "Kwai-Kolors/Kolors" and data["seed"] == 42 and data["trace_id"].startswith("ti_")
    assert data["parameters"] == {"batch_size": 2, "seed": 42}  # only what was sent
    previews = [b for b in result.content if isinstance(b, ImageContent)]
    links = [b for b in result.content if isinstance(b, ResourceLink)]
    assert len(data["images"]) == len(previews) == len(links) == 2
    for image, link, small in zip(data["images"], links, previews, strict=True):
        path = Path(image["path"])
        assert path.parent == folders.output and size_on_disk(path) == image["bytes"]
        assert "seed42" in path.name and "Kwai-Kolors_Kolors" in path.name
        assert (
            str(link.uri) == image["uri"] == f"siliconflow://images/{path.name}"
            and len(small.data) <= 100_000
        )
        assert base64.b64decode(small.data)[:2] == b"\xff\xd8"  # a JPEG
    text = text_of(result)
    assert all(word in text for word in ("seed 42", data["trace_id"], data["images"][0]["url"], "inference"))
    assert len(result.model_dump_json()) < 1024 * 1024 // 2


async def test_generate_image_sends_only_what_was_given(client: Client, no_key_anywhere: Results) -> None:
    data = structured(
        await call(
            client,
            no_key_anywhere,
            "generate_image",
            {"prompt": "a sign saying OPEN", "model": "Qwen/Qwen-Image"},
        )
    )
    assert data["parameters"] == {}
    # The API applied the model's own default size.
    assert (data["images"][0]["width"], data["images"][0]["height"]) == (1328, 1328)


async def test_an_aspect_ratio_picks_the_models_size(client: Client, no_key_anywhere: Results) -> None:
    result = await call(
        client,
        no_key_anywhere,
        "generate_image",
        {"prompt": "a wide sea", "model": "Qwen/Qwen-Image", "aspect_ratio": "16:9"},
    )
    data = structured(result)
    assert data["parameters"] == {"image_size": "1664x928"}
    assert (data["images"][0]["width"], data["images"][0]["height"]) == (1664, 928)
    assert "used image_size 1664x928" in text_of(result)
    both = await call(
        client,
        no_key_anywhere,
        "generate_image",
        {"prompt": "x", "aspect_ratio": "1:1", "image_size": "1024x1024"},
    )
    assert "not both" in error_text(both)


async def test_edit_image_takes_a_file_a_url_a_data_uri_and_a_reference(
    client: Client, folders: Folders, no_key_anywhere: Results
) -> None:
    source = structured(
        await call(client, no_key_anywhere, "generate_image", {"prompt": "a house", "image_size": "768x1024"})
    )
    first = source["images"][0]
    by_file = structured(
        await call(client, no_key_anywhere, "edit_image", {"image": first["path"], "prompt": "paint it blue"})
    )
    assert by_file["model"] == "Qwen/Qwen-Image-Edit-2509"
    assert (by_file["images"][0]["width"], by_file["images"][0]["height"]) == (768, 1024)
    assert first["path"] in by_file["parameters"]["image"]
    # A name relative to the output folder works too, and so does a reference to a saved image.
    relative = {"image": Path(first["path"]).name, "prompt": "paint it red", "model": "Qwen/Qwen-Image-Edit"}
    assert (
        structured(await call(client, no_key_anywhere, "edit_image", relative))["model"]
        == "Qwen/Qwen-Image-Edit"
    )
    by_uri = structured(
        await call(client, no_key_anywhere, "edit_image", {"image": first["uri"], "prompt": "x"})
    )
    assert by_uri["parameters"]["image"].startswith(first["uri"])
    (folders.allowed / "small.png").write_bytes(png_bytes((96, 64)))
    data_uri = "data:image/png;base64," + base64.b64encode(png_bytes((80, 80))).decode()
    combined = structured(
        await call(
            client,
            no_key_anywhere,
            "edit_image",
            {
                "image": first["url"],
                "image2": str(folders.allowed / "small.png"),
                "image3": data_uri,
                "prompt": "put them together",
            },
        )
    )
    assert combined["parameters"]["image"] == first["url"]
    assert combined["parameters"]["image3"].startswith("data URI (image/png, 80x80")


async def test_list_models_joins_the_table_with_the_live_list(
    client: Client, no_key_anywhere: Results
) -> None:
    result = await call(client, no_key_anywhere, "list_models", {})
    data = structured(result)
    assert data["live_checked"] is True and data["live_error"] is None
    listed = {m["name"] for m in data["models"]}
    assert {name for name, caps in MODELS.items() if "cn" in caps.sites} <= listed
    assert "Qwen/Qwen-Image-Edit-2509: edit, available now" in text_of(result)


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        ("generate_image", {"cfg": 4}, "`cfg` does not apply to Kwai-Kolors/Kolors, which takes:"),
        (
            "generate_image",
            {"model": "Qwen/Qwen-Image", "batch_size": 2},
            "`batch_size` does not apply to Qwen/Qwen-Image",
        ),
        (
            "generate_image",
            {"model": "Qwen/Qwen-Image", "guidance_scale": 5},
            "`guidance_scale` does not apply to Qwen",
        ),
        ("generate_image", {"model": "Qwen/Qwen-Image-Edit"}, "use edit_image instead"),
        (
            "edit_image",
            {"model": "Qwen/Qwen-Image-Edit", "image2": "https://e.test/b.png"},
            "`image2` does not apply",
        ),
        ("edit_image", {"model": "Qwen/Qwen-Image", "cfg": 2}, "use generate_image"),
        ("generate_image", {"prompt": "   "}, "`prompt` is empty"),
        ("generate_image", {"batch_size": 5}, "`batch_size`=5 is not allowed for Kwai-Kolors/Kolors"),
        ("generate_image", {"num_inference_steps": 0}, "`num_inference_steps`=0 is not allowed"),
        ("edit_image", {"cfg": 25}, "`cfg`=25.0 is not allowed for Qwen/Qwen-Image-Edit-2509"),
        ("generate_image", {"image_size": "huge"}, "`image_size`='huge' is not allowed"),
        ("generate_image", {"model": "example.invalid/never-a-model"}, "not offered to this account now"),
    ],
)
async def test_per_model_rules_refuse_before_sending(
    client: Client,
    emulator: RunningEmulator,
    no_key_anywhere: Results,
    tool: str,
    args: dict[str, Any],
    expected: str,
) -> None:
    base = {"prompt": "a cat"} | ({"image": "https://e.test/a.png"} if tool == "edit_image" else {})
    # Armed, a fault would be spent by any request that reached the emulator.
    emulator.settings.faults.malformed = 1
    message = error_text(await call(client, no_key_anywhere, tool, base | args))
    assert expected in message and "nothing was billed" in message
    assert emulator.settings.faults.malformed == 1


async def test_schema_invalid_arguments_are_error_results(client: Client, no_key_anywhere: Results) -> None:
    assert "image" in error_text(
        await call(client, no_key_anywhere, "edit_image", {"prompt": "no image given"})
    )
    assert "batch_size" in error_text(
        await call(client, no_key_anywhere, "generate_image", {"prompt": "x", "batch_size": "many"})
    )


def bad_input(case: str, folders: Folders) -> str:
    """Set up one bad `image` argument and return it."""
    if case == "not-an-image":
        (folders.allowed / "notes.png").write_text("just text, named like a picture")
        return str(folders.allowed / "notes.png")
    if case == "missing":
        return str(folders.allowed / "missing.png")
    if case == "empty":
        (folders.allowed / "empty.png").write_bytes(b"")
        return str(folders.allowed / "empty.png")
    if case == "outside-allowed":
        (folders.outside / "private.png").write_bytes(png_bytes())
        return str(folders.outside / "private.png")
    if case == "bad-base64":
        return "data:image/png;base64,%%%"
    return "data:image/png;base64," + base64.b64encode(b"GIF? no, just bytes").decode()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("not-an-image", "its bytes are not an image"),
        ("missing", "there is no file at"),
        ("empty", "is empty"),
        ("outside-allowed", "outside the folders this server may read"),
        ("bad-base64", "does not decode"),
        ("data-not-image", "not an image"),
    ],
)
async def test_bad_input_images_are_refused_and_nothing_is_sent(
    client: Client,
    emulator: RunningEmulator,
    folders: Folders,
    no_key_anywhere: Results,
    case: str,
    expected: str,
) -> None:
    image = bad_input(case, folders)
    emulator.settings.faults.malformed = 1
    message = error_text(await call(client, no_key_anywhere, "edit_image", {"image": image, "prompt": "x"}))
    assert expected in message
    assert emulator.settings.faults.malformed == 1


async def test_a_malformed_answer_is_an_error_and_saves_nothing(
    client: Client, emulator: RunningEmulator, folders: Folders, no_key_anywhere: Results
) -> None:
    before = images_in(folders.output)
    emulator.settings.faults.malformed = 1
    message = error_text(await call(client, no_key_anywhere, "generate_image", {"prompt": "garbled"}))
    assert "does not match its API" in message and "billed" in message
    assert images_in(folders.output) == before


async def test_a_failed_download_says_where_the_images_still_are(
    client: Client, emulator: RunningEmulator, folders: Folders, no_key_anywhere: Results
) -> None:
    before = images_in(folders.output)
    emulator.settings.image_ttl = 0.0
    message = error_text(
        await call(client, no_key_anywhere, "generate_image", {"prompt": "gone", "batch_size": 2})
    )
    assert "HTTP 404 (the link may have expired" in message and message.count("fetch it until") == 2
    assert "siliconflow-ledger.jsonl" in message
    assert images_in(folders.output) == before
    ledger = [
        json.loads(line) for line in (folders.output / "siliconflow-ledger.jsonl").read_text().splitlines()
    ]
    assert [entry["event"] for entry in ledger[-2:]] == ["answered", "failed"] and len(
        ledger[-2]["urls"]
    ) == 2


async def test_progress_is_reported_while_generating(
    client: Client, emulator: RunningEmulator, no_key_anywhere: Results
) -> None:
    emulator.settings.faults.fixed_latency = 1.6
    seen: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, message))

    structured(
        await call(
            client, no_key_anywhere, "generate_image", {"prompt": "watch me"}, progress_callback=on_progress
        )
    )
    messages = [m or "" for _, m in seen]
    assert messages[0] == "sending the request to Kwai-Kolors/Kolors"
    assert any(m.startswith("waiting for Kwai-Kolors/Kolors (") for m in messages) and messages[-1] == "saved"
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)


async def test_the_key_never_appears_in_results_logs_or_file_names(
    client: Client, folders: Folders, no_key_anywhere: Results
) -> None:
    structured(
        await call(client, no_key_anywhere, "generate_image", {"prompt": f"the key is {SECRET_KEY[:6]}"})
    )
    log = folders.log.read_text()
    assert "HTTP Request: POST" in log  # the log is really there, at DEBUG
    assert SECRET_KEY not in log
    for path in folders.home.rglob("*"):
        assert SECRET_KEY not in path.name
    assert not [p for p in folders.output.iterdir() if p.name.startswith(".")]  # no temporary files left
