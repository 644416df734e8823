"""Inline previews: small JPEGs a model can see, decoded while the image is still downloading.

Pillow reads the image from a file object that hands out the bytes as they arrive and waits
for more, in a worker thread; so decoding runs alongside the download and the preview is
ready a few milliseconds after the last byte, not a full decode later. The picture is then
shrunk by integer box reduction (cheap) and resampled the rest of the way, and encoded as a
JPEG whose base64 fits the budget.
"""

from __future__ import annotations

import base64
import io
import threading
from typing import IO, TYPE_CHECKING, Final, cast

import anyio
import anyio.to_thread

if TYPE_CHECKING:
    # PIL is loaded on the first preview: a server that never makes one never pays for it.
    from PIL import Image

# Claude Desktop refuses results over 1 MiB: all previews of one result share this much.
RESULT_PREVIEW_BUDGET: Final = 700_000
PREVIEW_SIDE: Final = 512
"""Longest side of a preview: enough to judge composition and colour (the full file is a link
away), a third of the vision tokens of 768 px."""
PREVIEWS: Final = anyio.CapacityLimiter(8)
"""Worker threads previews may hold at once, apart from the protocol's own."""


class GrowingFile(io.RawIOBase):
    """A read-only file whose bytes arrive later: a read waits until they are there or the writer is done."""

    def __init__(self) -> None:
        super().__init__()
        self._data = bytearray()
        self._position = 0
        self._done = False
        self._changed = threading.Condition()

    def append(self, chunk: bytes) -> None:
        with self._changed:
            self._data += chunk
            self._changed.notify_all()

    def finish(self) -> None:
        with self._changed:
            self._done = True
            self._changed.notify_all()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        # A file's read, not a socket's: Pillow expects all it asked for unless the file ended.
        with self._changed:
            while self._position + len(buffer) > len(self._data) and not self._done:
                self._changed.wait()
            size = min(len(buffer), len(self._data) - self._position)
            if size <= 0:
                return 0
            buffer[:size] = self._data[self._position : self._position + size]
            self._position += size
            return size

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        with self._changed:
            if whence == io.SEEK_END:
                while not self._done:
                    self._changed.wait()
                offset += len(self._data)
            elif whence == io.SEEK_CUR:
                offset += self._position
            self._position = max(0, offset)
            return self._position

    def tell(self) -> int:
        return self._position


class StreamingPreview:
    """One image's preview, made from its bytes as they are fed in."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._file = GrowingFile()

    def feed(self, chunk: bytes) -> None:
        self._file.append(chunk)

    def finish(self) -> None:
        self._file.finish()

    async def make(self) -> tuple[str, str] | None:
        """(base64, mime type) once the bytes are in; None for no budget or an image that will not decode."""
        try:
            return await anyio.to_thread.run_sync(self.render, limiter=PREVIEWS)
        except Exception:  # a preview is a courtesy: a broken one is left out, never fails a call
            return None

    def render(self) -> tuple[str, str] | None:
        """The preview, made in this thread as the bytes arrive; raises for an image that will not decode."""
        if self.budget <= 0:
            return None
        from PIL import Image

        with Image.open(cast(IO[bytes], self._file)) as img:
            img.draft("RGB", (PREVIEW_SIDE * 2, PREVIEW_SIDE * 2))  # JPEG decodes at a reduced scale for free
            img.load()
            source = _fit(_flatten(img), PREVIEW_SIDE)
            if source is img:
                source = img.copy()  # already small: it must outlive the file
        return encode(source, self.budget)


def preview(data: bytes, budget: int) -> tuple[str, str] | None:
    """The same from bytes already at hand (an image read back from disk, a test)."""
    job = StreamingPreview(budget)
    job.feed(data)
    job.finish()
    return job.render()


def encode(source: Image.Image, budget: int) -> tuple[str, str] | None:
    """A JPEG of `source` whose base64 fits `budget` characters, shrinking until it does."""
    side = PREVIEW_SIDE
    quality = 80
    for _ in range(12):
        thumb = _fit(source, side)
        buffer = io.BytesIO()
        # No optimize=True: ~10% fewer bytes for ~0.4 ms, and the model pays for pixels, not bytes.
        thumb.save(buffer, "JPEG", quality=quality)
        encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
        if len(encoded) <= budget:
            return encoded, "image/jpeg"
        # Shrink by the square root of the overshoot: bytes scale with area.
        side = max(32, int(side * min(0.9, (budget / len(encoded)) ** 0.5)))
        quality = max(50, quality - 10)
    return None


def _fit(img: Image.Image, side: int) -> Image.Image:
    """`img` scaled down to fit a `side` square (aspect kept), or `img` itself if it already fits."""
    if max(img.size) <= side:
        return img
    from PIL import Image

    scale = side / max(img.size)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    # An integer box reduction as far as it goes (1024 -> 512 entirely, 1328 -> 664), then
    # bilinear for the rest, from at most twice the target: at that ratio it smooths as well as
    # bicubic for a preview, in 60% of the time. (Pillow's reducing_gap does the reduction too,
    # but then resamples 512 to 512 as well, doubling a 1024-square preview's resize.)
    factor = min(img.width // size[0], img.height // size[1])
    if factor > 1:
        img = img.reduce(factor)
        if img.size == size:
            return img
    return img.resize(size, Image.Resampling.BILINEAR)


def _flatten(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        from PIL import Image

        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img if img.mode == "RGB" else img.convert("RGB")


def preview_budget(per_image: int, count: int) -> int:
    """Each preview's share: the configured size, cut so that all of them fit one result."""
    if per_image <= 0 or count <= 0:
        return 0
    return min(per_image, RESULT_PREVIEW_BUDGET // count)
