"""Test helpers for the SDK: a fake clock, images, a scripted API behind httpx.MockTransport,
and small real servers on loopback. Everything here is built per test; nothing is shared."""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import socket
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image

KEY = "sk-test0123456789abcdefghijklmnopqrstuv"
"""A key shaped like SiliconFlow's; tests check that no 8-character piece of it leaks."""

CN = "https://api.siliconflow.cn/v1"
COM = "https://api.siliconflow.com/v1"
IMAGE_HOST = "https://images.example.net"
IMAGE_URL = f"{IMAGE_HOST}/out/1.png"
CREATED = 1_700_000_000
"""`created` of the scripted answers: their URLs expire at 2023-11-14 23:13:20 UTC."""
EXPIRY_TEXT = "2023-11-14 23:13:20 UTC"


def pieces(secret: str, size: int = 8) -> set[str]:
    """Every run of `size` characters of `secret` (the whole of a shorter one)."""
    size = min(size, len(secret))
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def leaks(text: str, secret: str = KEY) -> list[str]:
    return sorted(piece for piece in pieces(secret) if piece in text)


class FakeClock:
    """A `Clock` whose sleeps return at once and are recorded; time moves only by sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


# --- images -------------------------------------------------------------------------------------


def png_bytes(width: int = 16, height: int = 12, color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(width: int = 16, height: int = 12, *, progressive: bool = False) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "blue").save(buffer, "JPEG", quality=80, progressive=progressive)
    return buffer.getvalue()


def png_head(width: int, height: int) -> bytes:
    """A PNG signature and an IHDR claiming `width` x `height`, nothing after."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


# --- the API behind a MockTransport -------------------------------------------------------------


def answer(
    urls: list[str] | None = None,
    *,
    seed: int = 42,
    inference: float = 1.25,
    created: int | None = CREATED,
    trace_id: str | None = "ti_test",
) -> httpx.Response:
    """A 200 of POST /images/generations, in the API's shape."""
    urls = [IMAGE_URL] if urls is None else urls
    body: dict[str, Any] = {
        "images": [{"url": url} for url in urls],
        "data": [{"url": url} for url in urls],
        "timings": {"inference": inference},
        "seed": seed,
    }
    if created is not None:
        body["created"] = created
    headers = {"x-siliconcloud-trace-id": trace_id} if trace_id else {}
    return httpx.Response(200, json=body, headers=headers)


Answer = httpx.Response | Callable[[httpx.Request], httpx.Response] | Exception


@dataclass
class FakeApi:
    """SiliconFlow and its image host behind one handler: scripted API answers, images by URL.

    `answers` are used in order for requests to anything but an image URL, the last one again
    once they run out (default: one image at IMAGE_URL). Each answer is a response, a function
    of the request, or an exception to raise (a failure to connect, a timeout).
    """

    answers: list[Answer] = field(default_factory=list)
    images: dict[str, bytes | httpx.Response | Callable[[httpx.Request], httpx.Response]] = field(
        default_factory=dict
    )
    requests: list[httpx.Request] = field(default_factory=list)
    _next: int = 0

    def __post_init__(self) -> None:
        if not self.images:
            self.images[IMAGE_URL] = png_bytes()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        if url in self.images:
            image = self.images[url]
            if isinstance(image, bytes):
                return httpx.Response(200, content=image, headers={"content-type": "image/png"})
            return image if isinstance(image, httpx.Response) else image(request)
        if not self.answers:
            return answer()
        scripted = self.answers[min(self._next, len(self.answers) - 1)]
        self._next += 1
        if isinstance(scripted, Exception):
            raise scripted
        return scripted if isinstance(scripted, httpx.Response) else scripted(request)

    def script(self, *answers: Answer) -> None:
        """Answer the next API requests with these, from the first."""
        self.answers, self._next = list(answers), 0

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) not in self.images]

    @property
    def image_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) in self.images]

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of the POSTs that reached the transport."""
        return [json.loads(r.content) for r in self.requests if r.method == "POST"]


# --- real servers on loopback --------------------------------------------------------------------


@dataclass
class TrickleServer:
    """A raw HTTP server on 127.0.0.1 that answers the API at once and trickles the image.

    `mode` "body": the image's headers at once, then its bytes one at a time every `interval`;
    "headers": the status line and endless header lines, a byte at a time. Either way each
    byte comes well within any read timeout, so only an overall deadline can stop it.
    """

    mode: str
    interval: float
    port: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    data = conn.recv(65536)
                    if not data:
                        return
                    request += data
                if b"/images/generations" in request.split(b"\r\n", 1)[0]:
                    body = json.dumps(
                        {
                            "images": [{"url": f"http://127.0.0.1:{self.port}/image.png"}],
                            "timings": {"inference": 1},
                            "seed": 1,
                        }
                    ).encode()
                    # One request per connection, said out loud: a client reusing the socket
                    # this server closes would race its FIN and fail with a ReadError.
                    head = (
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    )
                    conn.sendall(head.encode() + body)
                    return
                image = png_bytes()
                if self.mode == "body":
                    head = (
                        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n"
                        f"Content-Length: {len(image)}\r\n\r\n"
                    )
                    conn.sendall(head.encode())
                    trickle = image
                else:
                    trickle = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: yes\r\n" * 10_000
                for byte in trickle:
                    if self.stop.wait(self.interval):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return


@contextlib.contextmanager
def trickle_server(mode: str, interval: float = 0.1) -> Iterator[TrickleServer]:
    server = TrickleServer(mode, interval)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.05)
    server.port = listener.getsockname()[1]

    def accept() -> None:
        while not server.stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=server.handle, args=(conn,), daemon=True)
            server.threads.append(worker)
            worker.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        server.stop.set()
        acceptor.join(timeout=2)
        listener.close()
        for worker in server.threads:
            worker.join(timeout=2)


class _Recorded(http.server.BaseHTTPRequestHandler):
    """GET /v1/models and POST /v1/images/generations, HTTP/1.1 keep-alive; who asked is kept."""

    protocol_version = "HTTP/1.1"
    server: RecordingServer

    def do_GET(self) -> None:
        self._answer({"object": "list", "data": [{"id": "Qwen/Qwen-Image", "object": "model"}]})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer(
            {"images": [{"url": "https://images.example.net/x.png"}], "timings": {"inference": 1}, "seed": 1}
        )

    def _answer(self, body: dict[str, Any]) -> None:
        self.server.seen.append((self.client_address, self.path, self.headers.get("Authorization")))
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class RecordingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorded)
        self.seen: list[tuple[Any, str, str | None]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@contextlib.contextmanager
def recording_server() -> Iterator[RecordingServer]:
    server = RecordingServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)
