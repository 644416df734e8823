"""Properties, checked with hypothesis: what the rules accept is a body the spec accepts; the
redactor lets no piece of a key through; the image scanner does not care how bytes are chunked."""

from __future__ import annotations

import io
import itertools
import string
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sdk_support import FakeApi, jpeg_bytes, pieces, png_bytes

from siliconflow_images import RequestRefusedError, SiliconFlow
from siliconflow_images._imagescan import ImageRejected, ImageScan
from siliconflow_images.redaction import MARK, Redactor
from siliconflow_models import MODELS, SITES, ImageGenerationRequest
from siliconflow_models.capabilities import IMAGE_FIELDS, OPTIONAL_FIELDS

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALL_SIZES = sorted({size.size for caps in MODELS.values() for size in caps.recommended_image_sizes})
ANY_VALUE = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
OPTION_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "negative_prompt": st.text(st.characters(exclude_categories=()), max_size=12),
    "image_size": st.one_of(
        st.sampled_from(ALL_SIZES),
        st.from_regex(r"[0-9]{1,5}x[0-9]{1,5}", fullmatch=True),
        st.text(max_size=9),
    ),
    "batch_size": st.integers(-1, 6),
    "seed": st.one_of(st.integers(-3, 3), st.integers(-(2**40), 2**40)),
    "num_inference_steps": st.integers(-1, 110),
    "guidance_scale": st.one_of(st.floats(-5, 25), st.integers(-5, 25), st.just(float("nan"))),
    "cfg": st.one_of(st.floats(-1, 25), st.integers(0, 25)),
    "output_format": st.sampled_from(["png", "jpeg", "webp", "PNG"]),
    "prompt_enhancement": st.booleans(),
}
TEXT_OPTIONS = [name for name in OPTIONAL_FIELDS if name not in IMAGE_FIELDS]


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], str | None]:
    model = draw(st.sampled_from(sorted(MODELS)))
    prompt = draw(st.text(st.characters(exclude_categories=()), max_size=20))
    names = draw(st.lists(st.sampled_from(TEXT_OPTIONS), unique=True, max_size=5))
    options = {
        name: draw(st.one_of(OPTION_VALUES[name], ANY_VALUE) if draw(st.booleans()) else OPTION_VALUES[name])
        for name in names
    }
    aspect = draw(st.none() | st.sampled_from(["1:1", "16:9", "3:4", "2:1", "bad"]))
    return model, prompt, options, aspect


@PROPERTY
@given(requests())
def test_whatever_the_rules_accept_the_spec_accepts_strictly(
    drawn: tuple[str, str, dict[str, Any], str | None],
) -> None:
    model, prompt, options, aspect = drawn
    caps = MODELS[model]
    api = FakeApi()
    # The model's own site, so that only its per-model rules can refuse.
    client = SiliconFlow(
        api_key="sk-property", base_url=SITES[caps.sites[0]].base_url, transport=api.transport
    )
    png = png_bytes(4, 4)
    try:
        if caps.task == "edit":
            client.images.edit(model=model, prompt=prompt, image=png, aspect_ratio=aspect, **options)
        else:
            client.images.generate(model=model, prompt=prompt, aspect_ratio=aspect, **options)
    except RequestRefusedError:
        assert api.requests == []
        return
    finally:
        client.close()
    (request,) = api.requests
    body = ImageGenerationRequest.model_validate_json(request.content, strict=True)
    sent = body.model_dump(exclude_unset=True)
    given_names = {name for name, value in options.items() if value is not None}
    expected = {"model", "prompt"} | given_names
    if aspect is not None:
        expected.add("image_size")
    if caps.task == "edit":
        expected.add("image")
    assert set(sent) == expected
    assert all(caps.accepts(name) for name in sent)
    for name, bounds in caps.ranges.items():
        if name in sent:
            assert bounds.minimum is None or sent[name] >= bounds.minimum
            assert bounds.maximum is None or sent[name] <= bounds.maximum
    if caps.fixed_sizes and "image_size" in sent:
        assert sent["image_size"] in {size.size for size in caps.recommended_image_sizes}


# --- the redactor ----------------------------------------------------------------------------------

KEYS = st.one_of(
    st.builds(
        lambda tail: "sk-" + tail, st.text(string.ascii_lowercase + string.digits, min_size=20, max_size=48)
    ),
    st.text("ab", min_size=1, max_size=24),  # repeated runs: where growing a match went wrong
    st.builds(
        lambda run, tail: run + tail, st.text("a", min_size=8, max_size=14), st.text("ab1", max_size=4)
    ),
    st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=40),
)


@st.composite
def texts_with(draw: st.DrawFn, key: str) -> str:
    """Noise in the key's own alphabet, with the key whole, cut at either end, or in slices."""
    noise = st.text([*sorted(set(key)), " ", "\n", '"', "x"], max_size=12)
    cut = st.tuples(st.integers(0, len(key)), st.integers(0, len(key))).map(lambda ij: key[min(ij) : max(ij)])
    parts = draw(st.lists(st.one_of(noise, cut, st.just(key)), max_size=8))
    return "".join(parts)


@PROPERTY
@given(st.data())
def test_the_redactor_lets_no_piece_of_a_key_through(data: st.DataObject) -> None:
    key = data.draw(KEYS, label="key")
    text = data.draw(texts_with(key), label="text")
    out = Redactor([key])(text)
    for segment in out.split(MARK):
        assert not [piece for piece in pieces(key) if piece in segment], (key, text, out)
    if not [piece for piece in pieces(key) if piece in text]:
        assert out == text


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("aaaaaaaaaa", "a" * 18),  # grown to the key's end, then a piece straddling it was skipped
        ("abababab1ab", "abababab1abababab1"),
        ("sk-abcdefgh", "Bearer sk-abcdefgh sk-abcdefghsk-abcdefgh"),
    ],
)
def test_the_redactor_on_keys_with_repeated_runs(key: str, text: str) -> None:
    out = Redactor([key])(text)
    for segment in out.split(MARK):
        assert not [piece for piece in pieces(key) if piece in segment], out


def test_the_redactor_redacts_several_keys_and_short_ones() -> None:
    redact = Redactor(["sk-first-key-000000", "short", None, ""])
    out = redact("a sk-first-key-000000 b first-key c short d")
    assert out == f"a {MARK} b {MARK} c {MARK} d"


# --- the image scanner ------------------------------------------------------------------------------

JPEG_FRAME = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 16, 16, 1) + b"\x01\x11\x00"
JPEG_SCAN = b"\xff\xda" + struct.pack(">H", 8) + b"\x01\x01\x00\x00\x3f\x00"
# Scan data with every FF a scanner must see through: stuffed (FF 00), restarts (FF D0), fill
# bytes before a stuffing and before the next scan's marker, then EOI after fill bytes.
SCAN_DATA = b"\x12\xff\x00\x34\xff\xd0\x56\xff\xff\xff\x00\x78" * 40
CRAFTED_JPEG = (
    b"\xff\xd8" + JPEG_FRAME + JPEG_SCAN + SCAN_DATA + b"\xff\xff" + JPEG_SCAN + SCAN_DATA + b"\xff\xff\xd9"
)

IMAGES = [
    (png_bytes(33, 17), "image/png", 33, 17),
    (jpeg_bytes(40, 24), "image/jpeg", 40, 24),
    (jpeg_bytes(64, 48, progressive=True), "image/jpeg", 64, 48),
    (CRAFTED_JPEG, "image/jpeg", 16, 16),
]


def _scan(data: bytes, cuts: list[int]) -> ImageScan:
    scan = ImageScan(max_bytes=1 << 22, max_pixels=1 << 20)
    edges = [0, *sorted(cut % (len(data) + 1) for cut in cuts), len(data)]
    for start, end in itertools.pairwise(edges):
        scan.feed(data[start:end])
    return scan


@PROPERTY
@given(st.sampled_from(IMAGES), st.lists(st.integers(0, 10**6), max_size=12))
def test_the_scanner_reads_an_image_however_it_is_chunked(
    image: tuple[bytes, str, int, int], cuts: list[int]
) -> None:
    data, mime, width, height = image
    scanned = _scan(data, cuts).finish()
    assert (scanned.mime_type, scanned.width, scanned.height, scanned.size) == (
        mime,
        width,
        height,
        len(data),
    )


@PROPERTY
@given(
    st.sampled_from(IMAGES), st.lists(st.integers(0, 10**6), max_size=6), st.binary(min_size=1, max_size=4)
)
def test_the_scanner_refuses_any_byte_after_the_end(
    image: tuple[bytes, str, int, int], cuts: list[int], extra: bytes
) -> None:
    with pytest.raises(ImageRejected, match="bytes follow the end"):
        _scan(image[0] + extra, cuts)


@PROPERTY
@given(st.sampled_from(IMAGES), st.integers(0, 10**6))
def test_the_scanner_refuses_an_image_cut_short(image: tuple[bytes, str, int, int], keep: int) -> None:
    data = image[0]
    with pytest.raises(ImageRejected):
        _scan(data[: keep % len(data)], []).finish()


MEGABYTE = 1024 * 1024


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xd8" + b"\xff" * MEGABYTE,  # fill bytes
        b"\xff\xd8" + b"\xff\x01" * (MEGABYTE // 2),  # standalone markers
        b"\xff\xd8" + b"\xff\xfe\x00\x02" * (MEGABYTE // 4),  # empty comments
    ],
    ids=["fill-bytes", "standalone-markers", "empty-segments"],
)
def test_the_scanner_refuses_a_jpeg_of_nothing_but_markers(body: bytes) -> None:
    # Each such step costs Python a microsecond or more: a megabyte of them burnt over a second,
    # on the event loop for the async client. Real images have a few dozen.
    with pytest.raises(ImageRejected, match="structure is broken \\(more than 4,096"):
        _scan(body, list(range(0, len(body), 65536)))


def test_the_scanner_takes_scan_data_of_nothing_but_stuffed_bytes() -> None:
    stuffed = b"\xff\xd8" + JPEG_FRAME + JPEG_SCAN + b"\xff\x00" * MEGABYTE + b"\xff\xd9"
    assert _scan(stuffed, list(range(0, len(stuffed), 65535))).finish().width == 16


def _webp(lossless: bool) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGBA", (33, 17), "red")
    image.putalpha(Image.linear_gradient("L").resize((33, 17)))
    image.save(buffer, "WEBP", lossless=lossless)
    return buffer.getvalue()


WEBPS = [_webp(lossless=False), _webp(lossless=True)]


@PROPERTY
@given(st.sampled_from(WEBPS), st.lists(st.integers(0, 10**6), max_size=12), st.integers(0, 10**6))
def test_the_input_scanner_reads_a_webp_however_it_is_chunked(
    data: bytes, cuts: list[int], keep: int
) -> None:
    def scan(body: bytes) -> ImageScan:
        scanner = ImageScan(max_bytes=1 << 22, max_pixels=1 << 20, webp=True)
        edges = [0, *sorted(cut % (len(body) + 1) for cut in cuts), len(body)]
        for start, end in itertools.pairwise(edges):
            scanner.feed(body[start:end])
        return scanner

    assert (scan(data).finish().mime_type, scan(data).finish().width) == ("image/webp", 33)
    with pytest.raises(ImageRejected):
        scan(data[: keep % len(data)]).finish()
    with pytest.raises(ImageRejected, match="bytes follow the end"):
        scan(data + b"x")


def test_downloads_take_no_webp() -> None:
    with pytest.raises(ImageRejected, match="not a PNG or JPEG, the formats SiliconFlow sends"):
        ImageScan(max_bytes=1 << 22, max_pixels=1 << 20).feed(WEBPS[0])
