"""Client configuration: key, base URL, site, timeout, retries settings, bring-your-own httpx,
context managers and with_options()."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sdk_support import CN, IMAGE_URL, KEY, FakeApi, FakeClock, leaks, recording_server

from siliconflow_images import (
    DEFAULT_BASE_URL,
    AsyncSiliconFlow,
    DownloadError,
    InternalServerError,
    RateLimitError,
    RequestRefusedError,
    SiliconFlow,
    SiliconFlowError,
    _http,
)

QWEN = "Qwen/Qwen-Image"
FLUX2 = "black-forest-labs/FLUX.2-pro"


def _generate(client: SiliconFlow, model: str = QWEN) -> None:
    client.images.generate(model=model, prompt="a lighthouse")


# --- the key ------------------------------------------------------------------------------------


def test_key_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch, api: FakeApi) -> None:
    monkeypatch.setenv("SILICONFLOW_API_KEY", "sk-fromtheenvironment000")
    with SiliconFlow(api_key=KEY, transport=api.transport) as client:
        _generate(client)
    assert api.requests[0].headers["Authorization"] == f"Bearer {KEY}"


def test_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, api: FakeApi) -> None:
    monkeypatch.setenv("SILICONFLOW_API_KEY", KEY)
    with SiliconFlow(transport=api.transport) as client:
        _generate(client)
    assert api.requests[0].headers["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("given", [None, "", "   \r\n"])
def test_a_missing_key_fails_at_construction_naming_the_variable(given: str | None) -> None:
    with pytest.raises(SiliconFlowError, match="SILICONFLOW_API_KEY"):
        SiliconFlow(api_key=given)


def test_the_async_client_also_needs_a_key() -> None:
    with pytest.raises(SiliconFlowError, match="SILICONFLOW_API_KEY"):
        AsyncSiliconFlow()


@pytest.mark.parametrize("raw", [f"{KEY}\r\n", f"  {KEY}\n", f"\t{KEY} "])
def test_surrounding_whitespace_is_stripped(monkeypatch: pytest.MonkeyPatch, api: FakeApi, raw: str) -> None:
    monkeypatch.setenv("SILICONFLOW_API_KEY", raw)  # a CRLF .env file leaves "\r"
    with SiliconFlow(transport=api.transport) as client:
        _generate(client)
    assert api.requests[0].headers["Authorization"] == f"Bearer {KEY}"


_BAD_KEYS = {
    "space": f"{KEY[:12]} {KEY[12:]}",
    "tab": f"{KEY[:12]}\t{KEY[12:]}",
    "escape": f"{KEY[:12]}\x1b{KEY[12:]}",
    "nul": f"{KEY[:12]}\x00{KEY[12:]}",  # an environment variable cannot hold NUL: argument only
}


@pytest.mark.parametrize(
    ("source", "raw"),
    [("argument", raw) for raw in _BAD_KEYS.values()]
    + [("environment", raw) for raw in _BAD_KEYS.values() if "\x00" not in raw],
    ids=[f"argument-{name}" for name in _BAD_KEYS] + [f"environment-{name}" for name in list(_BAD_KEYS)[:3]],
)
def test_a_key_with_inner_whitespace_or_control_characters_is_refused_unseen(
    monkeypatch: pytest.MonkeyPatch, raw: str, source: str
) -> None:
    if source == "environment":
        monkeypatch.setenv("SILICONFLOW_API_KEY", raw)
    with pytest.raises(SiliconFlowError) as caught:
        SiliconFlow(api_key=raw if source == "argument" else None)
    message = str(caught.value)
    assert "character 13" in message
    assert leaks(message) == []
    assert leaks(repr(caught.value)) == []


# --- base URL and site ---------------------------------------------------------------------------


def test_the_default_base_url_is_the_chinese_site(api: FakeApi) -> None:
    assert DEFAULT_BASE_URL == "https://api.siliconflow.cn/v1"
    with SiliconFlow(api_key=KEY, transport=api.transport) as client:
        _generate(client)
    assert str(api.requests[0].url) == "https://api.siliconflow.cn/v1/images/generations"


def test_the_base_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, api: FakeApi) -> None:
    monkeypatch.setenv("SILICONFLOW_BASE_URL", "https://api.siliconflow.com/v1/")
    with SiliconFlow(api_key=KEY, transport=api.transport) as client:
        _generate(client, FLUX2)
        assert client.site is not None and client.site.name == "com"
    assert str(api.requests[0].url) == "https://api.siliconflow.com/v1/images/generations"


def test_the_base_url_argument_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, api: FakeApi
) -> None:
    monkeypatch.setenv("SILICONFLOW_BASE_URL", "https://api.siliconflow.com/v1")
    with SiliconFlow(api_key=KEY, base_url="http://127.0.0.1:8765/v1", transport=api.transport) as client:
        _generate(client)
        assert client.site is None  # an emulator or a proxy: no site's catalogue applies
    assert str(api.requests[0].url) == "http://127.0.0.1:8765/v1/images/generations"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://api.siliconflow.cn/v1",
        "api.siliconflow.cn/v1",
        "http://",
        "http://exa mple.com/v1",  # whitespace inside, not just around
        "http://[::1/v1",  # an unclosed IPv6 literal
        "http://127.0.0.1:99999/v1",  # no such port
        "http://a\x00b/v1",
    ],
)
def test_a_base_url_that_is_not_http_is_refused(url: str) -> None:
    # A SiliconFlowError naming the setting, never httpx's InvalidURL from deep inside.
    with pytest.raises(SiliconFlowError, match="base_url"):
        SiliconFlow(api_key=KEY, base_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:s3cret-pass@api.example/v1",
        "https://s3cret-pass@api.example/v1",
        "ftp://u:s3cret-pass@x/v1",
    ],
)
def test_a_base_url_with_a_password_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    with pytest.raises(SiliconFlowError, match="base_url holds a user name or password") as caught:
        SiliconFlow(api_key=KEY, base_url=url)
    assert "s3cret" not in str(caught.value) and "api_key=" in str(caught.value)
    monkeypatch.setenv("SILICONFLOW_BASE_URL", url)
    with pytest.raises(SiliconFlowError, match="SILICONFLOW_BASE_URL holds a user name") as caught:
        SiliconFlow(api_key=KEY)
    assert "s3cret" not in str(caught.value)


def test_site_can_be_named_for_a_proxy(api: FakeApi) -> None:
    with SiliconFlow(
        api_key=KEY, base_url="https://proxy.example/v1", site="com", transport=api.transport
    ) as client:
        with pytest.raises(RequestRefusedError, match=r"documented on api\.siliconflow\.cn"):
            _generate(client, QWEN)
        _generate(client, FLUX2)
    assert len(api.requests) == 1


def test_an_unknown_site_name_is_refused() -> None:
    with pytest.raises(SiliconFlowError, match="site must be one of"):
        SiliconFlow(api_key=KEY, site="eu")  # type: ignore[arg-type]


def test_repr_shows_the_base_url_not_the_key() -> None:
    client = SiliconFlow(api_key=KEY)
    try:
        assert CN in repr(client)
        assert leaks(repr(client)) == []
    finally:
        client.close()


# --- timeouts and retry settings ------------------------------------------------------------------


def _timeouts(request: httpx.Request) -> dict[str, float | None]:
    timeouts: dict[str, float | None] = request.extensions["timeout"]
    return timeouts


def test_a_timeout_is_on_by_default(api: FakeApi) -> None:
    with SiliconFlow(api_key=KEY, transport=api.transport) as client:
        _generate(client)
    timeouts = _timeouts(api.requests[0])
    assert timeouts == {"connect": 10.0, "read": 120.0, "write": 120.0, "pool": 120.0}


def test_timeout_none_still_means_a_timeout(api: FakeApi) -> None:
    with SiliconFlow(api_key=KEY, transport=api.transport, timeout=None) as client:
        _generate(client)
    assert all(value is not None for value in _timeouts(api.requests[0]).values())


def test_a_given_timeout_is_used(api: FakeApi) -> None:
    with SiliconFlow(api_key=KEY, transport=api.transport, timeout=7.5) as client:
        _generate(client)
    assert _timeouts(api.requests[0]) == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}


@pytest.mark.parametrize("settings", [{"max_retries": -1}, {"retry_budget": -0.5}])
def test_negative_retry_settings_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(SiliconFlowError, match="must not be negative"):
        SiliconFlow(api_key=KEY, **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("settings", [{"max_retries": -1}, {"retry_budget": -0.5}])
def test_with_options_refuses_negative_retry_settings_too(
    make_client: Callable[..., SiliconFlow], settings: dict[str, float]
) -> None:
    # A negative budget used to reach httpx-retries as "no limit on waiting".
    with pytest.raises(SiliconFlowError, match="must not be negative"):
        make_client().with_options(**settings)  # type: ignore[arg-type]


# --- bring your own httpx ----------------------------------------------------------------------------


def test_a_callers_http_client_is_used_with_its_hooks_and_left_open(api: FakeApi) -> None:
    seen: list[str] = []
    http = httpx.Client(transport=api.transport, event_hooks={"request": [lambda r: seen.append(str(r.url))]})
    with SiliconFlow(api_key=KEY, http_client=http) as client:
        client.images.generate(model=QWEN, prompt="a lighthouse").download()
    assert seen == [f"{CN}/images/generations", "https://images.example.net/out/1.png"]
    assert [r.headers.get("Authorization") for r in api.requests] == [f"Bearer {KEY}", None]
    assert not http.is_closed  # the caller's, so the caller closes it
    http.close()


@pytest.mark.anyio
async def test_a_callers_async_http_client_is_used_with_its_hooks(api: FakeApi) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    http = httpx.AsyncClient(transport=api.transport, event_hooks={"request": [hook]})
    async with AsyncSiliconFlow(api_key=KEY, http_client=http) as client:
        await (await client.images.generate(model=QWEN, prompt="a lighthouse")).download()
    assert seen == ["/v1/images/generations", "/out/1.png"]
    assert [r.headers.get("Authorization") for r in api.requests] == [f"Bearer {KEY}", None]
    assert not http.is_closed
    await http.aclose()


def test_the_context_manager_closes_the_client(api: FakeApi) -> None:
    with SiliconFlow(api_key=KEY, transport=api.transport) as client:
        assert isinstance(client, SiliconFlow)
        _generate(client)
    with pytest.raises(RuntimeError, match="closed"):
        _generate(client)
    assert len(api.requests) == 1


@pytest.mark.anyio
async def test_the_async_context_manager_closes_the_client(api: FakeApi) -> None:
    async with AsyncSiliconFlow(api_key=KEY, transport=api.transport) as client:
        assert isinstance(client, AsyncSiliconFlow)
        await client.images.generate(model=QWEN, prompt="a lighthouse")
    with pytest.raises(RuntimeError, match="closed"):
        await client.images.generate(model=QWEN, prompt="a lighthouse")


# --- with_options ----------------------------------------------------------------------------------


def test_with_options_shares_the_connections() -> None:
    with recording_server() as server:
        parent = SiliconFlow(api_key=KEY, base_url=server.base_url)
        child = parent.with_options(timeout=30, max_retries=0)
        parent.models.list()
        child.images.generate(model=QWEN, prompt="a lighthouse")
        parent.models.list()
        child.close()  # the child's own API client only: the pool is the parent's
        parent.models.list()
        parent.close()
    peers = {peer for peer, _, _ in server.seen}
    assert len(server.seen) == 4
    assert len(peers) == 1, f"one keep-alive connection expected, got {peers}"
    assert {auth for _, _, auth in server.seen} == {f"Bearer {KEY}"}


def test_with_options_changes_only_what_it_is_given(api: FakeApi, clock: FakeClock) -> None:
    api.answers = [httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": "1"})]
    with SiliconFlow(api_key=KEY, transport=api.transport, clock=clock, max_retries=2) as parent:
        child = parent.with_options(timeout=5)
        with pytest.raises(RateLimitError) as caught:
            _generate(child)
        assert caught.value.retries == 2  # max_retries kept from the parent
        assert _timeouts(api.requests[0])["read"] == 5
        no_retries = parent.with_options(max_retries=0)
        with pytest.raises(RateLimitError):
            _generate(no_retries)
        assert len(api.requests) == 3 + 1
        assert parent.timeout.read == 120.0  # the parent is unchanged


def test_with_options_applies_to_downloads_too(api: FakeApi, clock: FakeClock) -> None:
    api.images[IMAGE_URL] = lambda request: httpx.Response(503)
    with SiliconFlow(api_key=KEY, transport=api.transport, clock=clock, max_retries=2) as parent:
        child = parent.with_options(timeout=7, max_retries=0)
        with pytest.raises(DownloadError):
            child.images.generate(model=QWEN, prompt="a fox").download()
        (asked,) = api.image_requests
        assert _timeouts(asked)["read"] == 7
        with pytest.raises(DownloadError):
            parent.images.generate(model=QWEN, prompt="a fox").download()  # two retries: the parent's
        assert len(api.image_requests) == 1 + 3


@pytest.mark.anyio
async def test_async_with_options(api: FakeApi, clock: FakeClock) -> None:
    api.answers = [httpx.Response(503, json={"code": 50505, "message": "busy"})]
    async with AsyncSiliconFlow(api_key=KEY, transport=api.transport, clock=clock) as parent:
        child = parent.with_options(max_retries=0, timeout=3)
        with pytest.raises(InternalServerError):
            await child.images.generate(model=QWEN, prompt="a lighthouse")
        assert len(api.requests) == 1 and clock.sleeps == []
        assert _timeouts(api.requests[0])["read"] == 3
        await child.aclose()
        with pytest.raises(InternalServerError):
            await parent.images.generate(model=QWEN, prompt="a lighthouse")  # still open, still retrying
    assert len(api.requests) == 1 + 5


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.siliconflow.cn/v1",
        "https://api.siliconflow.cn/v1/",
        "http://127.0.0.1:8765",
        "https://p.example/a/v1",
    ],
)
def test_requests_go_where_httpx_would_send_them_under_any_base_url(api: FakeApi, base_url: str) -> None:
    # The SDK resolves the generated client's paths once per client; the result must be httpx's own merge.
    expected = str(httpx.Client(base_url=base_url).build_request("POST", "/images/generations").url)
    with SiliconFlow(api_key=KEY, base_url=base_url, transport=api.transport) as client:
        _generate(client)
        _generate(client)
    assert [str(r.url) for r in api.requests] == [expected, expected]


def test_no_repr_shows_the_key(client: SiliconFlow) -> None:
    shown = repr(client) + repr(client._stack()) + repr(client.with_options(max_retries=1))
    assert not leaks(shown)


def test_no_siliconflow_variable_of_the_developer_reaches_a_test() -> None:
    # Run the suite with SILICONFLOW_SITE=com (or any SILICONFLOW_*) set: none may leak in.
    import os

    assert [name for name in os.environ if name.startswith("SILICONFLOW_")] == []


def test_the_user_agent_is_looked_up_once(monkeypatch: pytest.MonkeyPatch, api: FakeApi) -> None:
    looked_up: list[str] = []

    def version(name: str) -> str:
        looked_up.append(name)
        return "9.9"

    _http.user_agent.cache_clear()
    monkeypatch.setattr(_http, "version", version)
    try:
        for _ in range(3):
            with SiliconFlow(api_key=KEY, transport=api.transport) as client:
                _generate(client)
        assert looked_up == ["siliconflow-images"]
        assert api.requests[-1].headers["User-Agent"] == "siliconflow-images/9.9"
    finally:
        _http.user_agent.cache_clear()
