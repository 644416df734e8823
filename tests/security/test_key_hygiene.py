"""The key never shows: not with a stray CRLF, not echoed in a long error body, not at DEBUG."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from mcp_support import (
    SECRET_KEY,
    Folders,
    assert_not_on_disk,
    assert_nowhere,
    connect,
    error_text,
    server_env,
    structured,
)

from siliconflow_emulator.running import RunningEmulator

pytestmark = pytest.mark.anyio


@contextmanager
def echoing_api() -> Iterator[str]:
    """A hostile API that answers every request 400, echoing the Authorization header in a long body."""

    class Echo(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(length)
            said = "x" * 350 + f" you sent {self.headers.get('authorization')} " + "y" * 5000
            body = json.dumps({"code": 20015, "message": said, "data": said}).encode()
            self.send_response(400)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_key_with_a_crlf_works_and_never_shows(
    emulator: RunningEmulator, folders: Folders, transport: str
) -> None:
    env = server_env(
        emulator, folders, SILICONFLOW_API_KEY=SECRET_KEY + "\r\n", SILICONFLOW_LOG_LEVEL="DEBUG"
    )
    with folders.log.open("w") as log:
        async with connect(transport, env, log) as client:
            result = await client.call_tool("generate_image", {"prompt": "a key with a stray newline"})
            structured(result)
    assert_nowhere(SECRET_KEY, result.model_dump_json(), folders.log.read_text())
    assert_not_on_disk(SECRET_KEY, folders.output)


async def test_an_error_body_that_echoes_the_key_never_shows_a_piece_of_it(
    folders: Folders, transport: str
) -> None:
    with echoing_api() as base_url, folders.log.open("w") as log:
        env = server_env(None, folders, SILICONFLOW_API_KEY=SECRET_KEY, SILICONFLOW_BASE_URL=base_url)
        async with connect(transport, env | {"SILICONFLOW_LOG_LEVEL": "DEBUG"}, log) as client:
            listing = structured(await client.call_tool("list_models", {}))
            refused = await client.call_tool("generate_image", {"prompt": "x", "model": "Kwai-Kolors/Kolors"})
    message = error_text(refused)
    # The echoing answers reached both results (cut to a line before the key they echo)...
    refusal = "SiliconFlow refused the request (400, code 20015): xxx"
    assert refusal in (listing["live_error"] or "") and refusal in message and "…" in message
    # ...and no piece of the key reached anything.
    assert_nowhere(SECRET_KEY, json.dumps(listing), refused.model_dump_json(), folders.log.read_text())


def test_a_key_no_header_can_carry_stops_the_server_at_start(folders: Folders) -> None:
    import subprocess
    import sys

    broken = SECRET_KEY[:10] + "\n" + SECRET_KEY[10:]
    result = subprocess.run(
        [sys.executable, "-m", "siliconflow_images_mcp"],
        env=server_env(None, folders, SILICONFLOW_API_KEY=broken),
        capture_output=True,
        text=True,
        timeout=30,
        cwd="/",
    )
    assert result.returncode != 0 and "SILICONFLOW_API_KEY" in result.stderr and "whitespace" in result.stderr
    assert_nowhere(SECRET_KEY, result.stdout, result.stderr)
