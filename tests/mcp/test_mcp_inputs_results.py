"""Input images are checked by content and place before use; outputs are saved atomically and previewed small."""

from __future__ import annotations

import base64
import io
import os
import random
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from mcp.server.mcpserver.exceptions import ToolError
from mcp_support import png_bytes
from PIL import Image

from siliconflow_images_mcp.api import download_image
from siliconflow_images_mcp.inputs import load_image_input, sniff_image
from siliconflow_images_mcp.results import (
    PREVIEW_SIDE,
    DownloadError,
    file_stem,
    preview,
    preview_budget,
    save_image,
)

MAX = 1024 * 1024


def load(raw: str, allowed: Path, base: Path | None = None, max_bytes: int = MAX) -> str:
    found = load_image_input(
        "image", raw, allowed_dirs=(allowed,), base_dir=base or allowed, max_bytes=max_bytes
    )
    return found.value


def refused(raw: str, allowed: Path, **kwargs: object) -> str:
    with pytest.raises(ToolError) as caught:
        load(raw, allowed, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


def test_a_local_png_becomes_a_data_uri(tmp_path: Path) -> None:
    data = png_bytes()
    (tmp_path / "in.png").write_bytes(data)
    assert (
        load(str(tmp_path / "in.png"), tmp_path) == "data:image/png;base64," + base64.b64encode(data).decode()
    )


def test_content_decides_not_the_name(tmp_path: Path) -> None:
    (tmp_path / "photo.txt").write_bytes(png_bytes())
    assert load(str(tmp_path / "photo.txt"), tmp_path).startswith("data:image/png;base64,")
    (tmp_path / "fake.png").write_text("not an image at all")
    assert "its bytes are not an image" in refused(str(tmp_path / "fake.png"), tmp_path)


def test_missing_empty_and_truncated_files_are_refused(tmp_path: Path) -> None:
    assert "there is no file at" in refused(str(tmp_path / "nope.png"), tmp_path)
    (tmp_path / "empty.png").write_bytes(b"")
    assert "is empty" in refused(str(tmp_path / "empty.png"), tmp_path)
    (tmp_path / "cut.png").write_bytes(png_bytes((256, 256))[:200])
    assert "was not sent because" in refused(str(tmp_path / "cut.png"), tmp_path)


def test_files_over_the_cap_are_refused_before_reading(tmp_path: Path) -> None:
    (tmp_path / "big.png").write_bytes(png_bytes((300, 300)))
    assert "over the" in refused(str(tmp_path / "big.png"), tmp_path, max_bytes=100)


def test_paths_outside_the_allowed_folders_are_refused(tmp_path: Path) -> None:
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(png_bytes())
    assert "outside the folders this server may read" in refused(str(outside / "secret.png"), allowed)
    assert "SILICONFLOW_ALLOWED_DIRS" in refused(str(allowed / ".." / "outside" / "secret.png"), allowed)
    (allowed / "link.png").symlink_to(outside / "secret.png")
    assert "outside the folders" in refused(str(allowed / "link.png"), allowed)
    # Existence is not revealed for places outside the allowed folders.
    assert "outside the folders" in refused("/etc/definitely-not-there.png", allowed)


def test_relative_paths_are_taken_from_the_output_folder_not_the_cwd(tmp_path: Path) -> None:
    (tmp_path / "made.png").write_bytes(png_bytes())
    assert load("made.png", tmp_path, base=tmp_path).startswith("data:image/png")
    assert load(f"file://{tmp_path / 'made.png'}", tmp_path).startswith("data:image/png")


def test_urls_pass_through_untouched(tmp_path: Path) -> None:
    url = "https://example.com/cat.png?sig=abc"
    assert load(url, tmp_path) == url
    assert "unsupported scheme" in refused("ftp://example.com/cat.png", tmp_path)


def test_data_uris_are_checked_and_normalised(tmp_path: Path) -> None:
    encoded = base64.b64encode(png_bytes()).decode()
    # The API page's own example puts a space after the comma.
    assert load(f"data:image/png;base64, {encoded}", tmp_path) == f"data:image/png;base64,{encoded}"
    assert "not a base64 data URI" in refused(f"data:image/png,{encoded}", tmp_path)
    assert "does not decode" in refused("data:image/png;base64,@@@@", tmp_path)
    assert "not of an image" in refused(f"data:text/plain;base64,{encoded}", tmp_path)
    text = base64.b64encode(b"hello world").decode()
    assert "not an image" in refused(f"data:image/png;base64,{text}", tmp_path)


def test_only_formats_the_api_reads_are_accepted() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "BMP")
    with pytest.raises(ValueError, match="BMP image; convert it"):
        sniff_image(buffer.getvalue())


def test_save_is_atomic_and_never_overwrites(tmp_path: Path) -> None:
    data = png_bytes()
    first = save_image(data, tmp_path / "new", "stem")
    second = save_image(data, tmp_path / "new", "stem")
    assert first.path.name == "stem.png" and second.path.name == "stem-2.png"
    assert first.path.read_bytes() == data and (first.width, first.height) == (64, 48)
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["stem-2.png", "stem.png"]


def test_bad_bytes_leave_no_file_behind(tmp_path: Path) -> None:
    with pytest.raises(DownloadError):
        save_image(b"<html>expired</html>", tmp_path, "stem")
    assert list(tmp_path.iterdir()) == []


def test_file_names_tell_time_model_seed_and_index() -> None:
    when = datetime(2025, 9, 26, 8, 30, 5)
    assert file_stem("Kwai-Kolors/Kolors", 42, when) == "20250926-083005_Kwai-Kolors_Kolors_seed42"
    assert file_stem("../../etc/x", 1, when, 3) == "20250926-083005_etc_x_seed1_3"


def noisy_png(side: int) -> bytes:
    # Noise compresses badly: the worst case for a preview budget.
    rng = random.Random(7)
    img = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("budget", [100_000, 30_000, 8_000])
def test_previews_fit_their_budget(budget: int) -> None:
    made = preview(noisy_png(600), budget)
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
async def test_download_errors_say_why() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/gone.png":
            return httpx.Response(404, text="404 page not found")
        return httpx.Response(200, content=b"x" * 2048)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(DownloadError, match="may have expired"):
            await download_image(client, "http://cdn.test/gone.png")
        with pytest.raises(DownloadError, match="larger than"):
            await download_image(client, "http://cdn.test/big.png", max_bytes=1024)
        assert len(await download_image(client, "http://cdn.test/ok.png")) == 2048


def test_unreadable_output_folder_is_an_oserror(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = tmp_path / "file-not-folder"
        target.write_text("x")
        with pytest.raises(OSError):
            save_image(png_bytes(), target, "stem")
        return
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(OSError):
        save_image(png_bytes(), locked, "stem")
