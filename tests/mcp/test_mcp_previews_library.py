"""Previews fit their budget and can be made while an image streams in; saved images are a library."""

from __future__ import annotations

import base64
import io
import json
import os
import random
import threading
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from mcp_support import png_bytes
from PIL import Image

from siliconflow_images.config import DEFAULT_LIMITS
from siliconflow_images.files import save_image, with_record
from siliconflow_images_mcp.ledger import Ledger
from siliconflow_images_mcp.library import RECORD_BYTES, Library, NotInLibrary, split_uri
from siliconflow_images_mcp.previews import PREVIEW_SIDE, StreamingPreview, preview, preview_budget


def noisy(side: int, fmt: str = "PNG") -> bytes:
    # Noise compresses badly: the worst case for a preview budget.
    rng = random.Random(7)
    img = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
    buffer = io.BytesIO()
    img.save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("budget", [100_000, 30_000, 8_000])
def test_previews_fit_their_budget(budget: int) -> None:
    made = preview(noisy(600), budget)
    assert made is not None
    encoded, mime = made
    assert len(encoded) <= budget and mime == "image/jpeg"
    with Image.open(io.BytesIO(base64.b64decode(encoded))) as img:
        assert max(img.size) <= PREVIEW_SIDE


def test_previews_can_be_turned_off_and_share_one_result() -> None:
    assert preview(png_bytes(), 0) is None
    assert preview_budget(100_000, 4) * 4 < 1024 * 1024
    assert preview_budget(500_000, 4) * 4 < 1024 * 1024
    assert preview_budget(0, 1) == 0


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
async def test_a_preview_is_made_from_chunks_as_they_arrive(fmt: str) -> None:
    data = noisy(700, fmt)
    job = StreamingPreview(100_000)
    made: list[tuple[str, str] | None] = []

    async def make() -> None:
        made.append(await job.make())

    async with anyio.create_task_group() as group:
        group.start_soon(make)
        for start in range(0, len(data), 7000):
            job.feed(data[start : start + 7000])
            await anyio.lowlevel.checkpoint()
        job.finish()
    assert made[0] is not None and made[0] == preview(data, 100_000)


@pytest.mark.anyio
async def test_a_broken_stream_gives_no_preview_and_no_error() -> None:
    job = StreamingPreview(100_000)
    job.feed(png_bytes((300, 300))[:100])
    job.finish()
    assert await job.make() is None


def saved(folder: Path, name: str, record: dict[str, object] | None = None) -> Path:
    data = png_bytes()
    if record is not None:
        data = with_record(data, "image/png", record)
    return save_image(data, folder, name, "image/png")


def test_the_library_is_the_folder_newest_first_and_survives_restarts(tmp_path: Path) -> None:
    first = saved(tmp_path, "a", {"model": "m", "prompt": "first", "seed": 1})
    second = saved(tmp_path, "b", {"model": "m", "prompt": "second", "seed": 2})
    os.utime(first, ns=(1_000_000_000, 1_000_000_000))
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "link.png").symlink_to(second)
    library = Library(tmp_path)  # a fresh object: nothing kept in memory
    assert [e.id for e in library.entries()] == ["b.png", "a.png"]
    assert library.resolve("last") == library.get("b.png") and library.resolve("last-1") == library.get(
        "a.png"
    )
    assert library.metadata(library.get("a.png"))["record"]["prompt"] == "first"
    assert library.read(library.get("b.png")) == second.read_bytes()
    assert library.complete("a") == ["a.png"] and library.complete("")[0] == "last"


def test_library_pages_do_not_shift_when_images_arrive(tmp_path: Path) -> None:
    for i in range(5):
        os.utime(saved(tmp_path, f"img{i}"), ns=(i * 10**9, i * 10**9))
    library = Library(tmp_path)
    page, cursor = library.page(None, 2)
    assert [e.id for e in page] == ["img4.png", "img3.png"] and cursor
    saved(tmp_path, "newer")
    page, cursor = library.page(cursor, 2)
    assert [e.id for e in page] == ["img2.png", "img1.png"]
    page, cursor = library.page(cursor, 2)
    assert [e.id for e in page] == ["img0.png"] and cursor is None
    with pytest.raises(NotInLibrary):
        library.page("not-a-cursor", 2)


def test_an_image_is_found_by_its_name_without_listing_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = saved(tmp_path, "a")
    (tmp_path / "link.png").symlink_to(image)
    library = Library(tmp_path)

    def no_listing(*args: object) -> None:
        raise AssertionError("the whole folder was listed to find one image")

    monkeypatch.setattr(os, "scandir", no_listing)
    entry = library.get("a.png")
    assert (entry.path, entry.bytes, entry.mime_type) == (image, image.stat().st_size, "image/png")
    for missing in ("b.png", "link.png"):  # a symlink is not an image of the folder
        with pytest.raises(NotInLibrary, match="there is no saved image"):
            library.get(missing)


def test_uris_name_an_image_or_its_metadata() -> None:
    assert split_uri("siliconflow://images/a.png") == ("a.png", False)
    assert split_uri("siliconflow://images/a.png/metadata") == ("a.png", True)
    assert split_uri("file:///a.png") is None


def test_a_file_larger_than_any_image_the_server_keeps_is_not_served(tmp_path: Path) -> None:
    huge = tmp_path / "huge.png"
    with huge.open("wb") as sparse:
        sparse.truncate(DEFAULT_LIMITS.max_download_bytes + RECORD_BYTES + 1)
    library = Library(tmp_path)
    with pytest.raises(NotInLibrary, match="not a readable image file"):
        library.read(library.get("huge.png"))


@pytest.mark.parametrize(
    "bad", ["../x.png", "a/b.png", "x.gif", ".hidden.png", "a.png/metadata/x", "a.png\n"]
)
def test_only_names_of_the_folder_can_be_asked_for(tmp_path: Path, bad: str) -> None:
    with pytest.raises(NotInLibrary):
        Library(tmp_path).get(bad)


def test_the_ledger_appends_one_line_per_event(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger._append({"event": "answered", "urls": ["https://e.test/a.png"]})
    ledger._append({"event": "saved", "paths": ["/x"]})
    lines = [json.loads(line) for line in ledger.path.read_text().splitlines()]
    assert [line["event"] for line in lines] == ["answered", "saved"] and all(
        "time" in line for line in lines
    )
    Ledger(tmp_path / "missing" / "file-not-folder")._append({"event": "answered"})  # logs, never raises


@pytest.mark.anyio
async def test_resources_are_read_off_the_event_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from siliconflow_images_mcp.config import Settings
    from siliconflow_images_mcp.server import build_server

    saved(tmp_path, "a", {"model": "m", "prompt": "p", "seed": 1})
    server = build_server(Settings.load({"HOME": str(tmp_path)}, output_dir=tmp_path))
    looked_up_in: list[threading.Thread] = []
    real_get = Library.get

    def get(library: Library, image_id: str) -> Any:
        looked_up_in.append(threading.current_thread())
        return real_get(library, image_id)

    monkeypatch.setattr(Library, "get", get)
    image = list(await server.read_resource("siliconflow://images/a.png"))
    metadata = list(await server.read_resource("siliconflow://images/a.png/metadata"))
    assert image[0].mime_type == "image/png" and json.loads(str(metadata[0].content))["record"]["seed"] == 1
    assert len(looked_up_in) == 2 and threading.main_thread() not in looked_up_in
