"""A generation: what SiliconFlow answered, and the images, downloaded and saved on request.

The images' URLs expire an hour after they were made, so `save()` fetches every image at once,
bounded in bytes, pixels and time, and writes each atomically without overwriting anything.
A failure after the images were made names each lost image's URL and how long it stays valid.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import anyio

from siliconflow_models import MODELS

from . import _messages
from ._download import ChunkObserver, Fetched, FetchFailed
from .errors import DownloadError, ImageFailure, SaveError
from .files import file_stem, safe_name, save_image, with_record
from .types import GeneratedImage

ImageObserver = Callable[[int, bytes], None]
"""Called with (image index, chunk) as each image arrives."""


class Fetcher(Protocol):
    def __call__(self, url: str, observe: ChunkObserver | None) -> Fetched: ...


class AsyncFetcher(Protocol):
    async def __call__(self, url: str, observe: ChunkObserver | None) -> Fetched: ...


@dataclass(slots=True)
class _GenerationFacts:
    model: str
    prompt: str
    parameters: dict[str, Any]
    """What was sent besides model and prompt (input images summarised, not repeated)."""
    images: tuple[GeneratedImage, ...]
    seed: int
    inference_seconds: float
    trace_id: str | None
    created: int | None
    """When SiliconFlow made the images, in Unix seconds (when it said)."""
    expires_at: float
    """Unix time at which the image URLs stop working."""
    site: str | None = None
    made_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def urls(self) -> list[str]:
        return [image.url for image in self.images]

    def record(self, image: GeneratedImage) -> dict[str, Any]:
        """How `image` was made: what `save()` writes into the file."""
        caps = MODELS.get(self.model)
        defaults = {k: v for k, v in caps.defaults.items() if k not in self.parameters} if caps else {}
        made = dt.datetime.fromtimestamp(self.created, dt.UTC) if self.created is not None else self.made_at
        return {
            "model": self.model,
            "prompt": self.prompt,
            "parameters": self.parameters,
            "defaults": defaults,
            "seed": self.seed,
            "size": image.size,
            "mime_type": image.mime_type,
            "trace_id": self.trace_id,
            "created": made.isoformat(timespec="seconds"),
            "index": image.index + 1,
            "count": len(self.images),
            "site": self.site,
        }

    def _stem(self, image: GeneratedImage, stem: str | None) -> str:
        base = safe_name(stem) if stem else file_stem(self.model, self.seed, self.made_at.astimezone())
        return f"{base}_{image.index + 1}" if len(self.images) > 1 else base

    def _keep(self, image: GeneratedImage, fetched: Fetched) -> None:
        image.data = fetched.data
        image.mime_type = fetched.image.mime_type
        image.width, image.height = fetched.image.width, fetched.image.height

    def _write(self, image: GeneratedImage, folder: Path, stem: str | None, record: bool) -> Path:
        assert image.data is not None and image.mime_type is not None
        data = with_record(image.data, image.mime_type, self.record(image)) if record else image.data
        image.path = save_image(data, folder, self._stem(image, stem), image.mime_type)
        return image.path

    def _lost(
        self, what: str, failures: list[ImageFailure], kind: type[DownloadError] | type[SaveError]
    ) -> DownloadError | SaveError:
        saved = [image.path for image in self.images if image.path is not None]
        failures = sorted(failures, key=lambda failure: failure.index)
        text = _messages.images_lost(what, failures, saved, self.expires_at, len(self.images))
        return kind(text, failures=failures, saved=saved, expires_at=self.expires_at)

    def cut_short(self, reason: str) -> DownloadError | SaveError:
        """The error for a save stopped from outside (a deadline): each image not on disk yet, with
        its URL and until when it can still be fetched, as `save()` itself reports a failure."""
        failures = [
            ImageFailure(image.index, image.url, reason) for image in self.images if image.path is None
        ]
        kind = DownloadError if any(image.data is None for image in self.images) else SaveError
        return self._lost("they could not be saved in time", failures, kind)

    def _unsaved(self, folder: Path) -> list[GeneratedImage]:
        """Downloaded images not saved in `folder` yet: a save into another folder writes them there too."""
        return [
            image
            for image in self.images
            if image.data is not None and (image.path is None or image.path.parent != folder)
        ]

    def _write_one(
        self, image: GeneratedImage, folder: Path, stem: str | None, record: bool
    ) -> ImageFailure | None:
        try:
            self._write(image, folder, stem, record)
        except OSError as exc:
            reason = _messages.save_failed(folder, exc.strerror or type(exc).__name__)
            return ImageFailure(image.index, image.url, reason)
        return None

    def _paths(self) -> list[Path]:
        return [image.path for image in self.images if image.path is not None]

    def _raise_lost(
        self, not_fetched: list[ImageFailure | None], not_saved: list[ImageFailure | None]
    ) -> None:
        fetch_failures = [failure for failure in not_fetched if failure is not None]
        save_failures = [failure for failure in not_saved if failure is not None]
        if fetch_failures:
            raise self._lost("could not download them all", fetch_failures + save_failures, DownloadError)
        if save_failures:
            raise self._lost("they could not be saved", save_failures, SaveError)


def _observer(observe: ImageObserver | None, index: int) -> ChunkObserver | None:
    if observe is None:
        return None
    return lambda chunk: observe(index, chunk)


def _folder(directory: str | os.PathLike[str]) -> Path:
    return Path(directory).expanduser().absolute()


class Generation(_GenerationFacts):
    """A generation made by `SiliconFlow`: `download()` and `save()` block until done."""

    __slots__ = ("_fetch",)

    def __init__(self, *, fetch: Fetcher, **facts: Any) -> None:
        super().__init__(**facts)
        self._fetch = fetch

    def download(self, *, observe: ImageObserver | None = None) -> list[GeneratedImage]:
        """Fetch every image not fetched yet, all at once; raise DownloadError naming what failed."""
        self._raise_lost(self._fetch_missing(observe), [])
        return list(self.images)

    def save(
        self,
        directory: str | os.PathLike[str],
        *,
        stem: str | None = None,
        record: bool = True,
        observe: ImageObserver | None = None,
    ) -> list[Path]:
        """Download every image and write each into `directory`; returns the paths.

        Files are named `<time>_<model>_seed<seed>[_<n>].png|.jpg` (or `stem[_<n>]`), never
        replace an existing file, and carry the generation record unless `record=False`.
        Images that arrived are saved even when others failed; the error lists the rest.
        Saving again into the same folder writes nothing new and returns the same paths.
        """
        folder = _folder(directory)
        not_fetched = self._fetch_missing(observe)
        not_saved = _in_threads(
            lambda image: self._write_one(image, folder, stem, record), self._unsaved(folder)
        )
        self._raise_lost(not_fetched, not_saved)
        return self._paths()

    def _fetch_missing(self, observe: ImageObserver | None) -> list[ImageFailure | None]:
        def one(image: GeneratedImage) -> ImageFailure | None:
            try:
                self._keep(image, self._fetch(image.url, _observer(observe, image.index)))
            except FetchFailed as exc:
                return ImageFailure(image.index, image.url, str(exc))
            return None

        return _in_threads(one, [image for image in self.images if image.data is None])


class AsyncGeneration(_GenerationFacts):
    """A generation made by `AsyncSiliconFlow`: `await download()` and `await save()`."""

    __slots__ = ("_fetch",)

    def __init__(self, *, fetch: AsyncFetcher, **facts: Any) -> None:
        super().__init__(**facts)
        self._fetch = fetch

    async def download(self, *, observe: ImageObserver | None = None) -> list[GeneratedImage]:
        """Fetch every image not fetched yet, all at once; raise DownloadError naming what failed."""
        self._raise_lost(await self._fetch_missing(observe), [])
        return list(self.images)

    async def save(
        self,
        directory: str | os.PathLike[str],
        *,
        stem: str | None = None,
        record: bool = True,
        observe: ImageObserver | None = None,
    ) -> list[Path]:
        """As `Generation.save`: each file is written in a worker thread, all at once.

        Once the downloads are done, the writing is shielded from cancellation: a caller that
        gives up then still finds the files on disk.
        """
        folder = _folder(directory)
        not_fetched = await self._fetch_missing(observe)
        not_saved: list[ImageFailure | None] = []

        async def one(image: GeneratedImage) -> None:
            not_saved.append(await anyio.to_thread.run_sync(self._write_one, image, folder, stem, record))

        with anyio.CancelScope(shield=True):
            async with anyio.create_task_group() as group:
                for image in self._unsaved(folder):
                    group.start_soon(one, image)
        self._raise_lost(not_fetched, not_saved)
        return self._paths()

    async def _fetch_missing(self, observe: ImageObserver | None) -> list[ImageFailure | None]:
        failures: list[ImageFailure | None] = []

        async def one(image: GeneratedImage) -> None:
            try:
                self._keep(image, await self._fetch(image.url, _observer(observe, image.index)))
            except FetchFailed as exc:
                failures.append(ImageFailure(image.index, image.url, str(exc)))

        try:
            async with anyio.create_task_group() as group:
                for image in self.images:
                    if image.data is None:
                        group.start_soon(one, image)
        except BaseExceptionGroup as group_error:
            # A caller's `observe` that raised: theirs to see as it was, not wrapped in a group.
            raise group_error.exceptions[0] from None
        return failures


def _in_threads(
    work: Callable[[GeneratedImage], ImageFailure | None], images: list[GeneratedImage]
) -> list[ImageFailure | None]:
    if len(images) <= 1:
        return [work(image) for image in images]
    with ThreadPoolExecutor(max_workers=len(images), thread_name_prefix="siliconflow-images") as pool:
        return list(pool.map(work, images))
