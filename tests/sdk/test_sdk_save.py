"""Results and saving: the facts of a generation, images downloaded on request, files written
atomically, never over another, with the generation record inside."""

from __future__ import annotations

import json
import os
import time
import typing
from collections.abc import Callable
from pathlib import Path

import pydantic
import pytest
from PIL import Image
from sdk_support import CREATED, IMAGE_URL, FakeApi, answer, jpeg_bytes, png_bytes

from siliconflow_images import (
    AsyncSiliconFlow,
    DownloadError,
    GeneratedImage,
    Generation,
    ImageFailure,
    Model,
    SaveError,
    SiliconFlow,
)
from siliconflow_images.files import read_record, remove_stale_parts

KOLORS = "Kwai-Kolors/Kolors"
QWEN = "Qwen/Qwen-Image"


def _urls(n: int) -> list[str]:
    return [f"https://images.example.net/out/{i}.png" for i in range(n)]


def _files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_a_generation_holds_the_answers_facts(client: SiliconFlow, api: FakeApi) -> None:
    api.answers = [answer(seed=1234, inference=3.5, trace_id="ti_facts")]
    result = client.images.generate(model=QWEN, prompt="a fox", seed=1234, num_inference_steps=30)
    assert isinstance(result, Generation)
    assert (result.model, result.prompt) == (QWEN, "a fox")
    assert result.parameters == {"seed": 1234, "num_inference_steps": 30}
    assert (result.seed, result.inference_seconds, result.trace_id) == (1234, 3.5, "ti_facts")
    assert (result.created, result.expires_at) == (CREATED, CREATED + 3600)
    assert [image.url for image in result.images] == [IMAGE_URL]
    image = result.images[0]
    assert (image.data, image.width, image.height, image.bytes, image.mime_type, image.path) == (None,) * 6
    assert api.image_requests == []  # nothing is fetched until asked


def test_without_created_the_urls_expire_an_hour_from_now(client: SiliconFlow, api: FakeApi) -> None:
    api.answers = [answer(created=None)]
    before = time.time()
    result = client.images.generate(model=QWEN, prompt="a fox")
    assert result.created is None
    assert before + 3600 <= result.expires_at <= time.time() + 3600


@pytest.mark.parametrize("created", [1_760_000_000_000, 10**20, -1])
def test_a_created_that_is_no_unix_time_in_seconds_is_taken_as_absent(
    client: SiliconFlow, api: FakeApi, tmp_path: Path, created: int
) -> None:
    # Milliseconds, or past any date: save() made a date of it and crashed, images paid for.
    api.answers = [answer(created=created)]
    before = time.time()
    result = client.images.generate(model=QWEN, prompt="a fox")
    assert result.created is None
    assert before + 3600 <= result.expires_at <= time.time() + 3600
    (path,) = result.save(tmp_path)
    assert read_record(path) is not None


def test_a_huge_negative_seed_still_gives_a_usable_file_name(
    client: SiliconFlow, api: FakeApi, tmp_path: Path
) -> None:
    # The spec bounds the seed from above only: this one is taken, and must not break the name.
    api.answers = [answer(seed=-(10**300))]
    (path,) = client.images.generate(model=QWEN, prompt="a fox").save(tmp_path)
    assert path.exists() and len(path.name) < 150
    record = read_record(path)
    assert record is not None and record["seed"] == -(10**300)


def test_download_fills_in_each_image(client: SiliconFlow, api: FakeApi) -> None:
    urls = _urls(2)
    png, jpeg = png_bytes(40, 30), jpeg_bytes(20, 10)
    api.answers = [answer(urls)]
    api.images.update({urls[0]: png, urls[1]: jpeg})
    result = client.images.generate(model=KOLORS, prompt="a fox", batch_size=2)
    images = result.download()
    assert [(i.data, i.width, i.height, i.bytes, i.mime_type, i.size, i.path) for i in images] == [
        (png, 40, 30, len(png), "image/png", "40x30", None),
        (jpeg, 20, 10, len(jpeg), "image/jpeg", "20x10", None),
    ]
    result.download()  # nothing left to fetch
    assert len(api.image_requests) == 2


def test_save_writes_each_image_with_its_record(client: SiliconFlow, api: FakeApi, tmp_path: Path) -> None:
    urls = _urls(2)
    api.answers = [answer(urls, seed=77, trace_id="ti_saved")]
    api.images.update({url: png_bytes(24, 18) for url in urls})
    result = client.images.generate(model=KOLORS, prompt="a red fox", batch_size=2, negative_prompt="blurry")
    paths = result.save(tmp_path / "new" / "folder")  # created as needed
    assert paths == [image.path for image in result.images]
    assert [p.name.split("_", 1)[1] for p in paths] == [
        "Kwai-Kolors_Kolors_seed77_1.png",
        "Kwai-Kolors_Kolors_seed77_2.png",
    ]
    for index, path in enumerate(paths):
        with Image.open(path) as picture:
            picture.load()  # the record chunks keep the PNG valid
            assert picture.size == (24, 18)
            parameters = picture.text["parameters"]
            record = json.loads(picture.text["siliconflow"])
        assert parameters.startswith("a red fox\nNegative prompt: blurry\n")
        assert "Steps: 20, CFG scale: 7.5, Seed: 77, Size: 24x18, Model: Kwai-Kolors/Kolors" in parameters
        assert read_record(path) == record
        assert record["model"] == KOLORS and record["prompt"] == "a red fox" and record["seed"] == 77
        assert record["parameters"] == {"batch_size": 2, "negative_prompt": "blurry"}
        assert record["defaults"] == {
            "image_size": "1024x1024",
            "num_inference_steps": 20,
            "guidance_scale": 7.5,
        }
        assert (record["index"], record["count"], record["trace_id"]) == (index + 1, 2, "ti_saved")
        assert record["created"] == "2023-11-14T22:13:20+00:00"


def test_a_prompt_beyond_latin_1_is_kept_in_the_png(client: SiliconFlow, tmp_path: Path) -> None:
    (path,) = client.images.generate(model=QWEN, prompt="一只红色的狐狸 🦊").save(tmp_path)
    with Image.open(path) as picture:
        assert picture.text["parameters"].startswith("一只红色的狐狸 🦊\n")
    record = read_record(path)
    assert record is not None and record["prompt"] == "一只红色的狐狸 🦊"


@pytest.mark.parametrize("prompt", ["a blue fox", "siliconflow: a logo", 'siliconflow:{"a": 1}'])
def test_a_jpeg_carries_its_record_in_comments(
    client: SiliconFlow, api: FakeApi, tmp_path: Path, prompt: str
) -> None:
    # A prompt starting with "siliconflow:" used to hide the record from read_record().
    api.images[IMAGE_URL] = jpeg_bytes(32, 16)
    (path,) = client.images.generate(model=QWEN, prompt=prompt).save(tmp_path)
    assert path.suffix == ".jpg"
    with Image.open(path) as picture:
        picture.load()
        assert picture.size == (32, 16)
        comments = [body for marker, body in picture.applist if marker == "COM"]
        # The record first (split in numbered parts), then the `parameters` text viewers show.
        assert comments[0].startswith(b"siliconflow-record 1/1:{") and comments[-1].startswith(
            prompt.encode()
        )
        assert picture.applist[0][0] == "APP0"  # JFIF still right after SOI
    record = read_record(path)
    assert record is not None and record["prompt"] == prompt and record["mime_type"] == "image/jpeg"


def test_a_long_jpeg_record_spans_several_comments(client: SiliconFlow, api: FakeApi, tmp_path: Path) -> None:
    api.images[IMAGE_URL] = jpeg_bytes(32, 16)
    # 4-byte characters in both prompts, near their 10,000 limit: past one comment's 64 KB.
    prompt, negative = "🦊" * 9_000, "🐺" * 9_000
    (path,) = client.images.generate(model=QWEN, prompt=prompt, negative_prompt=negative).save(tmp_path)
    with Image.open(path) as picture:
        picture.load()
        parts = [
            body
            for marker, body in picture.applist
            if marker == "COM" and body.startswith(b"siliconflow-record")
        ]
    assert len(parts) >= 2
    record = read_record(path)
    assert (
        record is not None
        and record["prompt"] == prompt
        and record["parameters"]["negative_prompt"] == negative
    )


def test_record_false_saves_the_bytes_as_downloaded(
    client: SiliconFlow, api: FakeApi, tmp_path: Path
) -> None:
    png = png_bytes()
    api.images[IMAGE_URL] = png
    (path,) = client.images.generate(model=QWEN, prompt="a fox").save(tmp_path, record=False)
    assert path.read_bytes() == png
    assert read_record(path) is None


def test_only_this_sdks_own_part_files_are_removed_as_stale(tmp_path: Path) -> None:
    dead = 999_999_999  # no such process
    ours = tmp_path / f".20250101-000000_Qwen_Qwen-Image_seed1.{dead}.k2x_9abc.part"
    others = [
        tmp_path / ".download.part",  # a browser's, a sync tool's: no pid of ours in it
        tmp_path / ".video.mp4.part",
        tmp_path / f".notes.{dead}.part",
        tmp_path / f".a b.{dead}.abcdefgh.part",  # no stem of safe_name's
    ]
    for path in [ours, *others]:
        path.write_bytes(b"half")
    assert remove_stale_parts(tmp_path) == [ours]
    assert all(path.exists() for path in others)
    running = tmp_path / f".stem.{os.getpid()}.abcdefgh.part"
    running.write_bytes(b"being written")
    assert remove_stale_parts(tmp_path) == [] and running.exists()
    assert remove_stale_parts(tmp_path, now=time.time() + 2 * 3600) == [running]


def test_a_generated_images_repr_leaves_its_bytes_out(client: SiliconFlow, api: FakeApi) -> None:
    api.images[IMAGE_URL] = png_bytes(200, 200)
    (image,) = client.images.generate(model=QWEN, prompt="a fox").download()
    assert image.data is not None and len(image.data) > 500
    shown = repr(image)
    assert "data=" not in shown and "\\x" not in shown and len(shown) < 300
    assert "width=200" in shown


def test_saving_never_overwrites_a_file(client: SiliconFlow, api: FakeApi, tmp_path: Path) -> None:
    (tmp_path / "fox.png").write_bytes(b"precious")
    first = client.images.generate(model=QWEN, prompt="a fox").save(tmp_path, stem="fox")
    second = client.images.generate(model=QWEN, prompt="a fox").save(tmp_path, stem="fox")
    assert [p.name for p in first + second] == ["fox-2.png", "fox-3.png"]
    assert (tmp_path / "fox.png").read_bytes() == b"precious"
    assert _files(tmp_path) == ["fox-2.png", "fox-3.png", "fox.png"]  # and no .part file left behind


def test_the_same_name_twice_gets_dash_2(client: SiliconFlow, api: FakeApi, tmp_path: Path) -> None:
    api.answers = [answer(seed=5)]
    first = client.images.generate(model=QWEN, prompt="a fox", seed=5)
    second = client.images.generate(model=QWEN, prompt="a fox", seed=5)
    second.made_at = first.made_at  # the same second: the same default name
    (one,) = first.save(tmp_path)
    (two,) = second.save(tmp_path)
    assert two.name == one.name.replace(".png", "-2.png")


def test_saving_again_into_the_same_folder_writes_nothing_new(
    client: SiliconFlow, api: FakeApi, tmp_path: Path
) -> None:
    result = client.images.generate(model=QWEN, prompt="a fox")
    assert result.save(tmp_path) == result.save(tmp_path)
    assert len(_files(tmp_path)) == 1
    assert len(api.image_requests) == 1


def test_saving_into_another_folder_writes_there_too(
    client: SiliconFlow, api: FakeApi, tmp_path: Path
) -> None:
    # The second save used to return the first folder's paths and write nothing.
    result = client.images.generate(model=QWEN, prompt="a fox")
    (first,) = result.save(tmp_path / "a")
    (second,) = result.save(tmp_path / "b")
    assert first.parent == tmp_path / "a" and second.parent == tmp_path / "b"
    assert first.exists() and second.exists()
    assert second.read_bytes() == first.read_bytes()
    assert len(api.image_requests) == 1


def test_save_takes_a_string_folder_and_a_stem(client: SiliconFlow, api: FakeApi, tmp_path: Path) -> None:
    urls = _urls(2)
    api.answers = [answer(urls)]
    api.images.update({url: png_bytes() for url in urls})
    paths = client.images.generate(model=KOLORS, prompt="a fox", batch_size=2).save(str(tmp_path), stem="fox")
    assert [p.name for p in paths] == ["fox_1.png", "fox_2.png"]
    assert all(p.is_absolute() for p in paths)


@pytest.mark.anyio
async def test_async_save_writes_each_image_with_its_record(
    make_async_client: Callable[..., AsyncSiliconFlow], api: FakeApi, tmp_path: Path
) -> None:
    urls = _urls(3)
    api.answers = [answer(urls)]
    api.images.update({url: png_bytes(8, 8) for url in urls})
    async with make_async_client() as client:
        result = await client.images.generate(model=KOLORS, prompt="a fox", batch_size=3)
        paths = await result.save(tmp_path, stem="fox")
        again = await result.save(tmp_path / "elsewhere", stem="fox")
    assert sorted(p.name for p in paths) == ["fox_1.png", "fox_2.png", "fox_3.png"]
    assert [p.parent for p in again] == [tmp_path / "elsewhere"] * 3
    for path in paths:
        record = read_record(path)
        assert record is not None and record["prompt"] == "a fox"
    assert [image.size for image in result.images] == ["8x8"] * 3


def test_the_result_types_can_be_introspected() -> None:
    # GeneratedImage's `bytes` property shadowed the builtin in its own `data: bytes | None`
    # annotation: typing.get_type_hints() and pydantic raised TypeError on the class.
    hints = typing.get_type_hints(GeneratedImage)
    assert hints["data"] == bytes | None
    schema = pydantic.TypeAdapter(GeneratedImage).json_schema()
    assert {"url", "index", "data", "path"} <= set(schema["properties"])
    for kind in (Model, ImageFailure, Generation):
        typing.get_type_hints(kind)


def test_a_stem_cannot_leave_the_folder(client: SiliconFlow, api: FakeApi, tmp_path: Path) -> None:
    api.answers = [answer()]
    folder = tmp_path / "out"
    (path,) = client.images.generate(model=QWEN, prompt="a fox").save(folder, stem="../../escape/name")
    assert path.parent == folder and ".." not in path.name and "/" not in path.name


def test_a_save_cut_short_from_outside_names_each_image_not_on_disk(
    client: SiliconFlow, api: FakeApi, tmp_path: Path
) -> None:
    # A front end that gives a save a deadline reports what it stopped as save() reports a failure.
    urls = _urls(2)
    for url in urls:
        api.images[url] = png_bytes()
    api.answers = [answer(urls)]
    result = client.images.generate(model=KOLORS, prompt="a fox", batch_size=2)
    not_fetched = result.cut_short("out of time")
    assert isinstance(not_fetched, DownloadError)
    assert [failure.url for failure in not_fetched.failures] == urls
    assert "could not be saved in time" in str(not_fetched) and urls[1] in str(not_fetched)

    result.download()
    result.images[0].path = tmp_path / "first.png"  # as if the first one made it to disk
    not_saved = result.cut_short("out of time")
    assert isinstance(not_saved, SaveError)
    assert [failure.index for failure in not_saved.failures] == [1]
    assert not_saved.saved == (tmp_path / "first.png",)
