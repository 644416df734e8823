"""Input images: judged by content, read only inside the allowed folders, never through a swapped-in path."""

from __future__ import annotations

import base64
import io
import os
import struct
import zlib
from pathlib import Path

import anyio
import pytest
from mcp.server.mcpserver.exceptions import ToolError
from mcp_support import png_bytes
from PIL import Image

from siliconflow_images_mcp.config import Settings
from siliconflow_images_mcp.inputs import resolve, sniff_image
from siliconflow_images_mcp.library import Library

pytestmark = pytest.mark.anyio


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "allowed").mkdir(exist_ok=True)
    return Settings.load(
        {"HOME": str(tmp_path)},
        output_dir=tmp_path / "out",
        allowed_dirs=[str(tmp_path / "allowed")],
        **overrides,  # type: ignore[arg-type]
    )


async def load(tmp_path: Path, raw: str, **overrides: object) -> bytes | str:
    settings = settings_for(tmp_path, **overrides)
    return (await resolve("image", raw, settings, Library(settings.output_dir))).value


async def refused(tmp_path: Path, raw: str, **overrides: object) -> str:
    with pytest.raises(ToolError) as caught:
        await load(tmp_path, raw, **overrides)
    return str(caught.value)


async def test_a_local_png_is_read_whole(tmp_path: Path) -> None:
    data = png_bytes()
    (tmp_path / "allowed").mkdir()
    (tmp_path / "allowed" / "in.png").write_bytes(data)
    assert await load(tmp_path, str(tmp_path / "allowed" / "in.png")) == data


async def test_content_decides_not_the_name(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "photo.txt").write_bytes(png_bytes())
    assert await load(tmp_path, str(allowed / "photo.txt")) == png_bytes()
    (allowed / "fake.png").write_text("not an image at all")
    assert "its bytes are not an image" in await refused(tmp_path, str(allowed / "fake.png"))


async def test_missing_empty_and_truncated_files_are_refused(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    assert "there is no file at" in await refused(tmp_path, str(allowed / "nope.png"))
    (allowed / "empty.png").write_bytes(b"")
    assert "is empty" in await refused(tmp_path, str(allowed / "empty.png"))
    (allowed / "cut.png").write_bytes(png_bytes((256, 256))[:200])
    assert "was not sent because" in await refused(tmp_path, str(allowed / "cut.png"))


async def test_files_over_the_cap_are_refused_before_reading(tmp_path: Path) -> None:
    (tmp_path / "allowed").mkdir()
    (tmp_path / "allowed" / "big.png").write_bytes(png_bytes((300, 300)))
    assert "over the" in await refused(tmp_path, str(tmp_path / "allowed" / "big.png"), max_input_bytes=100)


async def test_paths_outside_the_allowed_folders_are_refused(tmp_path: Path) -> None:
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(png_bytes())
    assert "outside the folders this server may read" in await refused(tmp_path, str(outside / "secret.png"))
    assert "SILICONFLOW_ALLOWED_DIRS" in await refused(
        tmp_path, str(allowed / ".." / "outside" / "secret.png")
    )
    (allowed / "link.png").symlink_to(outside / "secret.png")
    assert "outside the folders" in await refused(tmp_path, str(allowed / "link.png"))
    # Existence is not revealed for places outside the allowed folders.
    assert "outside the folders" in await refused(tmp_path, "/etc/definitely-not-there.png")


async def test_a_symlink_inside_the_folders_is_not_followed_at_the_last_step(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "real.png").write_bytes(png_bytes())
    (allowed / "alias.png").symlink_to(allowed / "real.png")
    # Resolved first (inside), then opened without following: the resolved target is read.
    assert await load(tmp_path, str(allowed / "alias.png")) == png_bytes()


async def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    os.mkfifo(allowed / "pipe.png")
    with anyio.fail_after(5):  # an open() that blocked would hang here
        assert "not a regular file" in await refused(tmp_path, str(allowed / "pipe.png"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\x00b.png", "NUL character"),
        ("x" * 5000, "a path is at most"),
        ("ftp://e.test/a.png", "unsupported scheme"),
    ],
)
async def test_impossible_paths_get_a_clear_refusal(tmp_path: Path, raw: str, expected: str) -> None:
    assert expected in await refused(tmp_path, raw)


async def test_relative_paths_and_references_are_taken_from_the_output_folder(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    (settings.output_dir / "made.png").write_bytes(png_bytes())
    for raw in (
        "made.png",
        f"file://{settings.output_dir / 'made.png'}",
        "last",
        "siliconflow://images/made.png",
    ):
        assert await load(tmp_path, raw) == png_bytes()
    assert "only 1 saved image" in await refused(tmp_path, "last-1")
    assert "no saved image" in await refused(tmp_path, "siliconflow://images/other.png")
    assert "not an image id" in await refused(tmp_path, "siliconflow://images/../../etc/passwd")


async def test_urls_pass_through_untouched(tmp_path: Path) -> None:
    url = "https://example.com/cat.png?sig=abc"
    assert await load(tmp_path, url) == url


async def test_data_uris_are_checked_and_decoded(tmp_path: Path) -> None:
    data = png_bytes()
    encoded = base64.b64encode(data).decode()
    # The API page's own example puts a space after the comma.
    assert await load(tmp_path, f"data:image/png;base64, {encoded}") == data
    assert "not a base64 data URI" in await refused(tmp_path, f"data:image/png,{encoded}")
    assert "does not decode" in await refused(tmp_path, "data:image/png;base64,@@@@")
    assert "not of an image" in await refused(tmp_path, f"data:text/plain;base64,{encoded}")
    text = base64.b64encode(b"hello world").decode()
    assert "not an image" in await refused(tmp_path, f"data:image/png;base64,{text}")


def test_only_formats_the_api_reads_are_accepted() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "BMP")
    with pytest.raises(ValueError, match="BMP image; convert it"):
        sniff_image(buffer.getvalue())


def _jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, "JPEG")
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A structurally whole PNG whose header claims `width` x `height` (its pixel data is not)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


async def test_half_a_jpeg_is_refused(tmp_path: Path) -> None:
    # Pillow's verify() does nothing for a JPEG: half of one went to the API as if whole.
    jpeg = _jpeg()
    (tmp_path / "allowed").mkdir()
    (tmp_path / "allowed" / "half.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    assert "cut short" in await refused(tmp_path, str(tmp_path / "allowed" / "half.jpg"))
    encoded = base64.b64encode(jpeg[: len(jpeg) // 2]).decode()
    assert "cut short" in await refused(tmp_path, f"data:image/jpeg;base64,{encoded}")
    assert await load(tmp_path, f"data:image/jpeg;base64,{base64.b64encode(jpeg).decode()}") == jpeg


async def test_the_pixel_cap_is_the_sdks(tmp_path: Path) -> None:
    # 6000x5000 is under Pillow's own cap (89 million pixels), over the SDK's 25 million.
    (tmp_path / "allowed").mkdir()
    (tmp_path / "allowed" / "huge.png").write_bytes(_png_claiming(6000, 5000))
    message = await refused(tmp_path, str(tmp_path / "allowed" / "huge.png"))
    assert "6000x5000 pixels, more than the 25,000,000 allowed" in message


async def test_a_webp_is_taken(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), "green").save(buffer, "WEBP")
    (tmp_path / "allowed").mkdir()
    (tmp_path / "allowed" / "in.webp").write_bytes(buffer.getvalue())
    assert await load(tmp_path, str(tmp_path / "allowed" / "in.webp")) == buffer.getvalue()
    assert sniff_image(buffer.getvalue()) == ("image/webp", 30, 20)


@pytest.mark.parametrize("raw", ["http://[abc/x.png", "https://[::1/x.png", "file://[x/y.png"])
async def test_a_url_that_cannot_be_parsed_is_a_tool_error_listing_the_forms(
    tmp_path: Path, raw: str
) -> None:
    # urlsplit raises ValueError("Invalid IPv6 URL") for these, which escaped as a bare error.
    message = await refused(tmp_path, raw)
    assert "is not a usable URL" in message and "data:image/...;base64 URI" in message


async def test_a_data_uri_over_the_cap_names_the_setting(tmp_path: Path) -> None:
    encoded = base64.b64encode(png_bytes((300, 300))).decode()
    message = await refused(tmp_path, f"data:image/png;base64,{encoded}", max_input_bytes=100)
    assert "SILICONFLOW_MAX_INPUT_BYTES" in message
    assert "SILICONFLOW_MAX_INPUT_BYTES" not in await refused(tmp_path, "data:image/png;base64,@@@@")
