"""The retry transport, the scoped key, the generated client's timeouts, error wording and settings."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from httpx_retries import retry as retry_module
from mcp.server.mcpserver.exceptions import ToolError

from siliconflow_images_mcp import api
from siliconflow_images_mcp.config import ENVIRONMENT, ConfigError, Settings, default_output_dir
from siliconflow_images_mcp.http import build_client, retry_policy, retry_transport
from siliconflow_images_mcp.tools import ImageTools

BASE = "https://api.example.test/v1"
OK_BODY = {"images": [{"url": "https://cdn.example.test/a.png"}], "timings": {"inference": 1.5}, "seed": 7}


class Script:
    """A fake API answering a scripted sequence; records requests and the retry sleeps."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    # Swap the module httpx-retries sleeps through, not asyncio.sleep itself: emulators other
    # tests left running in threads sleep too, and would land in this list.
    monkeypatch.setattr(retry_module, "asyncio", SimpleNamespace(sleep=fake_sleep))
    return recorded


def client_on(script: Script, **policy: Any) -> Any:
    transport = retry_transport(retry_policy(**policy), transport=httpx.MockTransport(script))
    return build_client("sk-unit-secret", BASE, transport=transport)


async def generate(script: Script, **policy: Any) -> api.Generation:
    async with client_on(script, **policy) as client:
        return await api.create_images(client, {"model": "Kwai-Kolors/Kolors", "prompt": "a cat"})


@pytest.mark.anyio
async def test_429_is_retried_honouring_retry_after(sleeps: list[float]) -> None:
    script = Script(
        httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": "3"}),
        httpx.Response(200, json=OK_BODY, headers={"x-siliconcloud-trace-id": "ti_1"}),
    )
    result = await generate(script)
    assert result.trace_id == "ti_1" and result.seed == 7
    assert sleeps == [3.0] and len(script.requests) == 2


@pytest.mark.anyio
async def test_503_and_connect_errors_back_off_exponentially(sleeps: list[float]) -> None:
    script = Script(
        httpx.ConnectError("refused"),
        httpx.Response(503, json={"code": 50505, "message": "overloaded", "data": None}),
        httpx.ConnectError("refused"),
        httpx.Response(200, json=OK_BODY),
    )
    await generate(script, max_retries=4, backoff_factor=1.0)
    assert len(script.requests) == 4
    # Full attempts double: 2, 4, 8 s with jitter keeping each in [50%, 100%].
    assert [1.0 <= s <= 2.0 for s in sleeps[:1]] == [True]
    assert 2.0 <= sleeps[1] <= 4.0 and 4.0 <= sleeps[2] <= 8.0


@pytest.mark.anyio
@pytest.mark.parametrize(
    "failure",
    [httpx.Response(504, text="504 Gateway Timeout"), httpx.ReadTimeout("slow")],
    ids=["504", "read-timeout"],
)
async def test_possibly_billed_failures_are_retried_at_most_once(sleeps: list[float], failure: Any) -> None:
    script = Script(failure)
    with pytest.raises(ToolError, match="may still have run and been billed"):
        await generate(script, max_retries=5)
    assert len(script.requests) == 2


@pytest.mark.anyio
@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_other_4xx_are_never_retried(sleeps: list[float], status: int) -> None:
    body: Any = (
        {"code": 20012, "message": "Model does not exist", "data": None} if status == 400 else "Forbidden"
    )
    script = Script(
        httpx.Response(status, json=body) if status != 404 else httpx.Response(404, text="404 page not found")
    )
    with pytest.raises(ToolError):
        await generate(script)
    assert len(script.requests) == 1 and sleeps == []


@pytest.mark.anyio
async def test_giving_up_is_bounded_and_explained(sleeps: list[float]) -> None:
    script = Script(httpx.Response(429, json={"message": "IPM limit reached"}, headers={"Retry-After": "20"}))
    with pytest.raises(ToolError) as caught:
        await generate(script, max_retries=10, budget=30.0)
    message = str(caught.value)
    assert "rate limiting" in message and "IPM limit reached" in message and "wait 20 s" in message
    assert sum(sleeps) <= 30.0 and len(script.requests) <= 3


@pytest.mark.anyio
async def test_malformed_bodies_are_reported_not_crashed(sleeps: list[float]) -> None:
    for body in ({"images": "nope", "timings": None, "seed": "x"}, {"seed": 1}):
        with pytest.raises(ToolError, match="cannot read"):
            await generate(Script(httpx.Response(200, json=body)))
    with pytest.raises(ToolError, match="cannot read"):
        await generate(Script(httpx.Response(200, text="<html>")))
    # A broken error body still gets the status's explanation.
    with pytest.raises(ToolError, match="SILICONFLOW_API_KEY"):
        await generate(Script(httpx.Response(401, text="Invalid token, not JSON")))


@pytest.mark.anyio
async def test_auth_failures_point_at_the_key_and_never_show_it(sleeps: list[float]) -> None:
    for status, words in ((401, "not interchangeable"), (403, "empty balance")):
        with pytest.raises(ToolError) as caught:
            await generate(Script(httpx.Response(status, json="Invalid token")))
        assert "SILICONFLOW_API_KEY" in str(caught.value) and words in str(caught.value)
        assert "sk-unit-secret" not in str(caught.value)


@pytest.mark.anyio
async def test_the_key_goes_only_to_the_api_origin() -> None:
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = request.headers.get("authorization")
        return httpx.Response(200, content=b"")

    async with build_client("sk-unit-secret", BASE, transport=httpx.MockTransport(handler)) as client:
        http = client.get_async_httpx_client()
        await http.get("/models")
        await http.get("https://cdn.example.test/image.png")
    assert seen == {"api.example.test": "Bearer sk-unit-secret", "cdn.example.test": None}


def test_the_generated_client_always_has_timeouts() -> None:
    client = build_client("k", BASE)
    timeout = client.get_async_httpx_client().timeout
    assert timeout.read is not None and timeout.connect is not None
    assert build_client("k", BASE, timeout=5).get_async_httpx_client().timeout.read == 5


@pytest.mark.anyio
async def test_list_models_joins_the_table_with_the_live_list(tmp_path: Path) -> None:
    live = {
        "object": "list",
        "data": [{"id": "Kwai-Kolors/Kolors", "object": "model"}, {"id": "new/Model", "object": "model"}],
    }
    script = Script(httpx.Response(200, json=live))
    settings = Settings.load({"HOME": str(tmp_path)}, api_key="sk-unit-secret", base_url=BASE)
    async with client_on(script) as client:
        result = await ImageTools(settings, client).list_models()
    entries = {e["name"]: e for e in (result.structured_content or {})["models"]}
    assert entries["Kwai-Kolors/Kolors"]["available"] is True
    assert entries["Qwen/Qwen-Image"]["available"] is False
    assert (
        entries["new/Model"]["known"] is False
        and "Not in this server's table" in entries["new/Model"]["description"]
    )


@pytest.mark.anyio
async def test_list_models_survives_an_unreachable_api(tmp_path: Path, sleeps: list[float]) -> None:
    settings = Settings.load({"HOME": str(tmp_path)}, api_key="k", base_url=BASE)
    async with client_on(Script(httpx.ConnectError("down")), max_retries=1) as client:
        result = await ImageTools(settings, client).list_models()
    data = result.structured_content or {}
    assert not result.is_error and data["live_checked"] is False and "Could not connect" in data["live_error"]
    assert all(entry["available"] is None for entry in data["models"])
    json.dumps(data)


def test_settings_take_arguments_then_environment(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "SILICONFLOW_TIMEOUT": "9", "SILICONFLOW_BASE_URL": "https://x.test/v1/"}
    settings = Settings.load(env, timeout=3.0)
    assert settings.timeout == 3.0 and settings.base_url == "https://x.test/v1"
    assert Settings.load(env).timeout == 9.0
    with pytest.raises(ConfigError, match="SILICONFLOW_TIMEOUT"):
        Settings.load({"HOME": str(tmp_path), "SILICONFLOW_TIMEOUT": "soon"})
    assert "sk-" not in repr(Settings.load(env, api_key="sk-hidden"))


def test_default_folders_are_absolute_and_never_the_whole_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir("/")
    env = {"HOME": str(tmp_path)}
    settings = Settings.load(env)
    assert settings.output_dir == (tmp_path / "Pictures" / "siliconflow").resolve()
    assert settings.allowed_dirs == (settings.output_dir, tmp_path.resolve())
    assert Settings.load(env, output_dir="pics").output_dir == (tmp_path / "pics").resolve()
    assert Path("/") not in Settings.load(env | {"SILICONFLOW_ALLOWED_DIRS": "/"}).allowed_dirs
    (tmp_path / ".config").mkdir()
    (tmp_path / ".config" / "user-dirs.dirs").write_text('XDG_PICTURES_DIR="$HOME/Bilder"\n')
    assert default_output_dir(env) == tmp_path / "Bilder" / "siliconflow"


def test_every_environment_variable_is_listed_and_documented() -> None:
    read = set(re.findall(r'"(SILICONFLOW_[A-Z_]+)"', inspect.getsource(Settings.load)))
    assert read == set(ENVIRONMENT), "config.ENVIRONMENT must list exactly the variables Settings reads"
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert [name for name in ENVIRONMENT if f"| `{name}` |" not in readme] == []
