"""Generated PNGs kept for download until their URL expires, like the API's one-hour links."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Stored:
    data: bytes
    expires: float


class ImageStore:
    """PNG bytes by id, each readable until `ttl` seconds after it was stored.

    Memory stays bounded two ways: expired images are dropped whenever the store is touched,
    and when the total would pass `max_bytes` the oldest images go first (their URLs then
    answer 404 early, which clients must handle anyway).
    """

    def __init__(self, ttl: Callable[[], float], max_bytes: int, clock: Callable[[], float] = time.monotonic):
        # ttl is read at each put, so a test may shorten it on a running emulator.
        self._ttl = ttl
        self._max_bytes = max_bytes
        self._clock = clock
        self._images: OrderedDict[str, _Stored] = OrderedDict()
        self._bytes = 0

    def put(self, data: bytes) -> str:
        now = self._clock()
        self._evict_expired(now)
        while self._images and self._bytes + len(data) > self._max_bytes:
            self._drop(next(iter(self._images)))
        image_id = secrets.token_hex(16)
        self._images[image_id] = _Stored(data, now + self._ttl())
        self._bytes += len(data)
        return image_id

    def get(self, image_id: str) -> bytes | None:
        now = self._clock()
        self._evict_expired(now)
        stored = self._images.get(image_id)
        if stored is None or stored.expires <= now:
            return None
        return stored.data

    def __len__(self) -> int:
        return len(self._images)

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def _evict_expired(self, now: float) -> None:
        # Insertion order is expiry order while the ttl stays put; if a test changes it, a
        # straggler waits for the byte cap or its own `get`, which checks expiry itself.
        while self._images:
            oldest = next(iter(self._images))
            if self._images[oldest].expires > now:
                break
            self._drop(oldest)

    def _drop(self, image_id: str) -> None:
        stored = self._images.pop(image_id)
        self._bytes -= len(stored.data)
