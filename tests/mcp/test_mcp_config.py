"""Settings: arguments first, then the environment; keys and tokens checked at start; every variable documented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.server.mcpserver.exceptions import ToolError

from siliconflow_images import AsyncSiliconFlow
from siliconflow_images._messages import NOTHING_SENT
from siliconflow_images_mcp import parse_args
from siliconflow_images_mcp.config import ENVIRONMENT, ConfigError, Settings, default_output_dir
from siliconflow_images_mcp.http_access import Exposure
from siliconflow_images_mcp.tool_errors import WORDING
from siliconflow_images_mcp.tools import ImageTools
from siliconflow_models import MODELS, SITES

BASE = "https://api.siliconflow.cn/v1"


def test_settings_take_arguments_then_environment(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "SILICONFLOW_TIMEOUT": "9", "SILICONFLOW_BASE_URL": "https://x.test/v1/"}
    settings = Settings.load(env, timeout=3.0)
    assert settings.timeout == 3.0 and settings.base_url == "https://x.test/v1"
    assert Settings.load(env).timeout == 9.0
    with pytest.raises(ConfigError, match="SILICONFLOW_TIMEOUT"):
        Settings.load({"HOME": str(tmp_path), "SILICONFLOW_TIMEOUT": "soon"})
    assert "sk-" not in repr(Settings.load(env, api_key="sk-hidden-0123456789"))


def test_the_site_follows_the_host_unless_told(tmp_path: Path) -> None:
    home = {"HOME": str(tmp_path)}
    assert Settings.load(home).site is SITES["cn"]
    for url in ("https://api.siliconflow.com/v1", "https://api.ap.siliconflow.com/v1"):
        assert Settings.load(home, base_url=url).site is SITES["com"]
    assert Settings.load(home, base_url="http://127.0.0.1:8765/v1").site is None
    assert (
        Settings.load(home | {"SILICONFLOW_SITE": "com"}, base_url="http://127.0.0.1:1/v1").site
        is SITES["com"]
    )
    with pytest.raises(ConfigError, match="site must be one of"):
        Settings.load(home | {"SILICONFLOW_SITE": "moon"})


def test_a_host_that_names_no_site_is_described_as_the_default_site(tmp_path: Path) -> None:
    home = {"HOME": str(tmp_path)}
    emulated = Settings.load(home, base_url="http://127.0.0.1:8765/v1")
    assert emulated.site is None and emulated.described_site is SITES["cn"]
    assert Settings.load(home, base_url=SITES["com"].base_url).described_site is SITES["com"]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "  ", "\t"])
def test_a_key_with_a_stray_newline_is_cleaned(tmp_path: Path, ending: str) -> None:
    settings = Settings.load({"HOME": str(tmp_path), "SILICONFLOW_API_KEY": f"sk-abcdefgh12345678{ending}"})
    assert settings.api_key == "sk-abcdefgh12345678"


@pytest.mark.parametrize(
    "key", ["sk-abc\ndefgh12345678", "sk-abc def12345678", "sk-abc\x00def12345678", "sk-ключ12345678"]
)
def test_a_key_no_header_can_carry_is_refused_without_showing_it(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.load({"HOME": str(tmp_path), "SILICONFLOW_API_KEY": key})
    message = str(caught.value)
    assert "SILICONFLOW_API_KEY" in message and "abcdef"[:3] not in message.replace("character", "")
    assert key not in message and "def12345678" not in message


def test_http_tokens_must_be_long_and_clean(tmp_path: Path) -> None:
    home = {"HOME": str(tmp_path)}
    with pytest.raises(ConfigError, match="at least 16"):
        Settings.load(home | {"SILICONFLOW_MCP_TOKEN": "short"})
    assert Settings.load(home | {"SILICONFLOW_MCP_TOKEN": "t" * 32 + "\r\n"}).auth_token == "t" * 32
    settings = Settings.load(home, auth_token="x" * 20, api_key="sk-0123456789abcdef")
    assert settings.secrets == ("sk-0123456789abcdef", "x" * 20) and "xxxx" not in repr(settings)


def test_the_token_option_says_the_variable_is_safer(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert (
        "Prefer SILICONFLOW_MCP_TOKEN: a command line is visible to other users of this machine (ps)" in shown
    )


def test_the_http_policy_is_decided_once_and_served_as_decided(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import anyio

    import siliconflow_images_mcp
    from siliconflow_images_mcp import http_access, server

    decided: list[Exposure] = []
    served: list[tuple[object, ...]] = []

    def decide(*args: Any) -> Exposure:
        decided.append(real_decide(*args))
        return decided[-1]

    real_decide = http_access.decide
    monkeypatch.setattr(http_access, "decide", decide)
    monkeypatch.setattr(anyio, "run", lambda fn, *args: served.append((fn, *args)))
    monkeypatch.setattr(siliconflow_images_mcp, "configure_logging", lambda *args: None)
    monkeypatch.setenv("HOME", str(tmp_path))
    siliconflow_images_mcp.main(["--transport", "streamable-http", "--port", "8123"])
    assert len(decided) == 1 and served == [(server.serve, served[0][1], decided[0])]
    assert (decided[0].host, decided[0].port) == ("127.0.0.1", 8123)


def test_default_folders_are_absolute_and_never_the_whole_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir("/")
    env = {"HOME": str(tmp_path)}
    settings = Settings.load(env)
    assert settings.output_dir == (tmp_path / "Pictures" / "siliconflow").resolve()
    # Only the output folder by default: the home folder holds far more than pictures.
    assert settings.allowed_dirs == (settings.output_dir,)
    assert Settings.load(env, output_dir="pics").output_dir == (tmp_path / "pics").resolve()
    assert Path("/") not in Settings.load(env | {"SILICONFLOW_ALLOWED_DIRS": "/"}).allowed_dirs
    (tmp_path / ".config").mkdir()
    (tmp_path / ".config" / "user-dirs.dirs").write_text('XDG_PICTURES_DIR="$HOME/Bilder"\n')
    assert default_output_dir(env) == tmp_path / "Bilder" / "siliconflow"


def test_every_environment_variable_is_listed_and_documented() -> None:
    import siliconflow_images.config as sdk_config
    import siliconflow_images_mcp.config as mcp_config

    # What the code reads (the table itself left out, or it would only find itself).
    code = inspect.getsource(mcp_config).split("ENVIRONMENT: Final", 1)[0] + inspect.getsource(Settings)
    code += "".join(
        inspect.getsource(f) for f in (mcp_config._key, mcp_config._token, mcp_config.default_output_dir)
    )
    code += inspect.getsource(sdk_config)
    read = set(re.findall(r'"(SILICONFLOW_[A-Z_]+)"', code))
    assert read == set(ENVIRONMENT), "config.ENVIRONMENT must list exactly the variables the settings read"
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert [name for name in ENVIRONMENT if f"| `{name}` |" not in readme] == []


def client_on(handler: httpx.MockTransport) -> AsyncSiliconFlow:
    return AsyncSiliconFlow(api_key="sk-unit-secret-0123", base_url=BASE, transport=handler, wording=WORDING)


@pytest.mark.anyio
async def test_list_models_joins_the_table_with_the_live_list(tmp_path: Path) -> None:
    live = {
        "object": "list",
        "data": [
            {"id": "Kwai-Kolors/Kolors", "object": "model"},
            {"id": "example.invalid/new", "object": "model"},
        ],
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=live))
    settings = Settings.load({"HOME": str(tmp_path)}, api_key="sk-unit-secret-0123", base_url=BASE)
    async with client_on(transport) as client:
        result = await ImageTools(settings, client).list_models()
    entries = {e["name"]: e for e in (result.structured_content or {})["models"]}
    assert entries["Kwai-Kolors/Kolors"]["available"] is True
    assert all(
        entries[name]["available"] is False
        for name, caps in MODELS.items()
        if "cn" in caps.sites and name != "Kwai-Kolors/Kolors"
    )
    assert not [name for name, caps in MODELS.items() if "cn" not in caps.sites and name in entries]
    new = entries["example.invalid/new"]
    assert new["known"] is False and "Not in this server's table" in new["description"]


@pytest.mark.anyio
async def test_list_models_survives_an_unreachable_api(tmp_path: Path) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down")

    settings = Settings.load(
        {"HOME": str(tmp_path)}, api_key="sk-unit-secret-0123", base_url=BASE, max_retries=0
    )
    async with AsyncSiliconFlow(
        api_key="sk-unit-secret-0123", base_url=BASE, transport=httpx.MockTransport(down), max_retries=0
    ) as client:
        result = await ImageTools(settings, client).list_models()
    data = result.structured_content or {}
    assert not result.is_error and data["live_checked"] is False and "Could not connect" in data["live_error"]
    assert all(entry["available"] is None for entry in data["models"])


def offering(*names: str) -> httpx.MockTransport:
    """An API whose account offers `names`, and fails any generation (none should be sent)."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(
                200, json={"object": "list", "data": [{"id": n, "object": "model"} for n in names]}
            )
        return httpx.Response(500, json={"code": 50500, "message": "nothing should have been sent"})

    return httpx.MockTransport(answer)


@pytest.mark.anyio
async def test_without_a_key_list_models_says_how_to_get_one_as_the_image_tools_do(tmp_path: Path) -> None:
    tools = ImageTools(Settings.load({"HOME": str(tmp_path)}))
    listing = (await tools.list_models()).structured_content or {}
    with pytest.raises(ToolError) as refused:
        await tools.generate_image(prompt="a cat")
    assert listing["live_error"] == str(refused.value)
    assert "SILICONFLOW_API_KEY is not set" in listing["live_error"] and "--offline" in listing["live_error"]


@pytest.mark.anyio
async def test_refusals_before_sending_say_so_in_the_sdks_words(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("not a folder")
    settings = Settings.load(
        {"HOME": str(tmp_path)}, api_key="sk-unit-secret-0123", base_url=BASE, output_dir=blocked
    )
    async with client_on(offering("Kwai-Kolors/Kolors")) as client:
        with pytest.raises(ToolError) as unwritable:
            await ImageTools(settings, client).generate_image(prompt="a cat")
    com = Settings.load(
        {"HOME": str(tmp_path)}, api_key="sk-unit-secret-0123", base_url=SITES["com"].base_url
    )
    async with client_on(offering("black-forest-labs/FLUX.2-pro")) as client:
        with pytest.raises(ToolError) as no_model:
            await ImageTools(com, client).edit_image(image="https://e.test/a.png", prompt="x")
    assert "cannot be written" in str(unwritable.value) and NOTHING_SENT in str(unwritable.value)
    assert "No edit model is documented" in str(no_model.value) and NOTHING_SENT in str(no_model.value)
