"""Who may reach the emulator: loopback binds only without a key, and loopback Host headers only."""

from __future__ import annotations

import httpx
import pytest
from emulator_support import TOKEN

from siliconflow_emulator import EmulatorSettings, RunningEmulator, run_in_thread
from siliconflow_emulator.cli import parse_args
from siliconflow_emulator.hosts import bind_refusal, host_header_name, is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost", "LOCALHOST"])
def test_loopback_names(host: str) -> None:
    assert is_loopback(host)
    assert bind_refusal(host, frozenset()) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.168.1.20", "example.com", "localhost.evil.test"])
def test_a_bind_beyond_loopback_needs_a_key(host: str) -> None:
    assert not is_loopback(host)
    assert "--api-key" in (bind_refusal(host, frozenset()) or "")
    assert bind_refusal(host, frozenset({"k"})) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.7"])
def test_the_command_refuses_a_public_bind_without_a_key(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--host", host])
    assert exit_info.value.code == 2
    assert "needs an API key (--api-key KEY" in capsys.readouterr().err
    assert parse_args(["--host", host, "--api-key", "k"]).host == host


def test_a_blank_key_does_not_count(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--host", "0.0.0.0", "--api-key", " "])
    assert "must not be blank" in capsys.readouterr().err


def test_run_in_thread_refuses_a_public_bind_without_a_key() -> None:
    with pytest.raises(ValueError, match="needs an API key"), run_in_thread(host="0.0.0.0"):
        pass


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8765", "127.0.0.1"),
        ("[::1]:8765", "::1"),
        ("localhost", "localhost"),
        ("evil.test:8765", "evil.test"),
        ("127.0.0.1@evil.test", "evil.test"),
        ("127.0.0.1:port", None),
        ("", None),
    ],
)
def test_host_header_names(header: str, name: str | None) -> None:
    assert host_header_name(header) == name


def get(emulator: RunningEmulator, path: str, host: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if host is not None:
        headers["Host"] = host
    return httpx.get(emulator.origin + path, headers=headers, trust_env=False, timeout=30)


@pytest.mark.parametrize(
    "host", ["evil.test", "evil.test:{port}", "attacker.example.com", "127.0.0.1.nip.io"]
)
@pytest.mark.parametrize("path", ["/v1/models", "/files/abc.png", "/v1/images/generations"])
def test_on_loopback_a_foreign_host_header_is_refused(
    emulator: RunningEmulator, host: str, path: str
) -> None:
    # What a browser sends after a DNS rebinding: the attacker's name, resolved to 127.0.0.1.
    response = get(emulator, path, host.format(port=emulator.port))
    assert response.status_code == 400
    assert response.headers["x-siliconcloud-trace-id"]
    body = response.json()
    assert (body["code"], body["data"]) == (20015, "Host")
    assert "loopback" in body["message"]


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "localhost"])
def test_on_loopback_loopback_host_headers_pass(emulator: RunningEmulator, host: str) -> None:
    assert get(emulator, "/v1/models", host.format(port=emulator.port)).status_code == 200


def test_beyond_loopback_the_key_guards_and_any_host_header_passes() -> None:
    settings = EmulatorSettings(api_keys=frozenset({TOKEN}))
    with run_in_thread(settings, host="0.0.0.0") as emulator:
        origin = f"http://127.0.0.1:{emulator.port}"
        headers = {"Host": "emulator.lan:8765"}
        with httpx.Client(base_url=origin, trust_env=False, timeout=30) as client:
            assert (
                client.get("/v1/models", headers={**headers, "Authorization": "Bearer x"}).status_code == 401
            )
            answer = client.get("/v1/models", headers={**headers, "Authorization": f"Bearer {TOKEN}"})
            assert answer.status_code == 200
