"""The `siliconflow-emulator` command line and the in-process runner."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import Field, fields, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from siliconflow_emulator import EmulatorSettings, Faults, create_app, run_in_thread
from siliconflow_emulator.cli import FAULT_FLAGS, _describe_faults, main, parse_args


def test_defaults() -> None:
    options = parse_args([])
    assert (options.host, options.port, options.log_level) == ("127.0.0.1", 8765, "info")
    assert options.settings.api_keys == frozenset()
    assert options.settings.image_ttl == 3600.0
    assert options.settings.faults == Faults()
    assert (options.settings.site, options.settings.fetch_loopback, options.settings.photo_like) == (
        "cn",
        False,
        False,
    )


def test_every_flag() -> None:
    options = parse_args(
        [
            "--host", "0.0.0.0", "--port", "9000",
            "--api-key", "one", "--api-key", "two",
            "--image-ttl", "12.5",
            "--rate-limit", "3", "--retry-after", "4",
            "--overload", "2", "--gateway-timeout", "1", "--malformed", "5",
            "--step-latency", "0.05", "--latency", "0.2",
            "--extra-urls", "20", "--not-an-image", "1", "--pixel-bomb", "2", "--trailing-bytes", "3",
            "--trickle", "0.5", "--download-rate", "1000000",
            "--site", "com", "--fetch-loopback", "--photo-like",
            "--log-level", "debug",
        ]
    )  # fmt: skip
    assert (options.host, options.port, options.log_level) == ("0.0.0.0", 9000, "debug")
    assert options.settings.api_keys == frozenset({"one", "two"})
    assert options.settings.image_ttl == 12.5
    assert (options.settings.site, options.settings.fetch_loopback, options.settings.photo_like) == (
        "com",
        True,
        True,
    )
    assert options.settings.faults == Faults(
        rate_limit=3,
        retry_after=4.0,
        overload=2,
        gateway_timeout=1,
        malformed=5,
        step_latency=0.05,
        fixed_latency=0.2,
        extra_urls=20,
        not_an_image=1,
        pixel_bomb=2,
        trailing_bytes=3,
        trickle=0.5,
        download_rate=1_000_000.0,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--rate-limit", "-1"],
        ["--rate-limit", "two"],
        ["--step-latency", "-0.5"],
        ["--latency", "nan"],
        ["--image-ttl", "inf"],
        ["--port", "70000"],
        ["--log-level", "loud"],
        ["--site", "us"],
        ["--pixel-bomb", "-2"],
        ["--trickle", "-1"],
        ["--download-rate", "inf"],
    ],
)
def test_bad_values_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    assert "siliconflow-emulator" in capsys.readouterr().err


def test_create_app_is_a_starlette_app() -> None:
    assert isinstance(create_app(EmulatorSettings()), Starlette)
    assert isinstance(create_app(), Starlette)


def test_run_in_thread_picks_a_free_port_and_stops() -> None:
    settings = EmulatorSettings()
    with run_in_thread(settings) as first, run_in_thread(settings) as second:
        assert first.port != second.port
        assert first.base_url == f"http://127.0.0.1:{first.port}/v1"
        assert first.settings is settings
        response = httpx.get(
            first.base_url + "/models", headers={"Authorization": "Bearer x"}, trust_env=False
        )
        assert response.status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(first.base_url + "/models", trust_env=False, timeout=2)


def test_reset_puts_back_every_setting_it_started_with() -> None:
    started = EmulatorSettings(
        api_keys=frozenset({"k"}), image_ttl=60.0, faults=Faults(retry_after=2), site="com"
    )
    with run_in_thread(started) as running:
        settings = running.settings
        settings.faults.rate_limit = 3
        settings.faults.trickle = 0.5
        settings.api_keys = frozenset()
        settings.image_ttl = 1.0
        settings.site = "cn"
        settings.fetch_loopback = settings.photo_like = True
        running.reset()
        assert settings is running.settings  # the app's own object, changed in place
        assert settings.faults == Faults(retry_after=2)
        assert (settings.api_keys, settings.image_ttl, settings.site) == (frozenset({"k"}), 60.0, "com")
        assert (settings.fetch_loopback, settings.photo_like) == (False, False)
        # The reset faults are a fresh object: counting them down leaves the next reset's alone.
        settings.faults.overload = 1
        running.reset()
        assert settings.faults.overload == 0


def test_run_in_thread_refuses_a_taken_port() -> None:
    with run_in_thread() as running, pytest.raises(OSError), run_in_thread(port=running.port):
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_console_script_serves_and_keeps_keys_out_of_its_log(tmp_path: Path) -> None:
    port = free_port()
    secret = "sk-never-in-the-log-42"
    script = Path(sys.executable).with_name("siliconflow-emulator")
    command = [
        str(script),
        "--port",
        str(port),
        "--api-key",
        secret,
        "--rate-limit",
        "1",
        "--log-level",
        "info",
    ]
    log = tmp_path / "emulator.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"}
        )
    try:
        url = f"http://127.0.0.1:{port}/v1/images/generations"
        body = {"model": "Kwai-Kolors/Kolors", "prompt": "x", "image_size": "64x64"}
        headers = {"Authorization": f"Bearer {secret}"}
        deadline = time.monotonic() + 15
        while True:
            try:
                first = httpx.post(url, json=body, headers=headers, trust_env=False)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
        assert first.status_code == 429  # --rate-limit 1
        assert httpx.post(url, json=body, headers=headers, trust_env=False).status_code == 200
        assert (
            httpx.post(url, json=body, headers={"Authorization": "Bearer other"}, trust_env=False).status_code
            == 401
        )
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    text = log.read_text()
    assert f"http://127.0.0.1:{port}/v1 as site cn" in text
    assert "1 key(s)" in text
    assert "rate_limit=1" in text
    assert secret not in text


def test_describe_faults_names_every_armed_fault() -> None:
    armed = Faults(
        extra_urls=20, pixel_bomb=1, trailing_bytes=2, not_an_image=3, trickle=0.5, download_rate=1e6
    )
    assert _describe_faults(armed) == (
        "extra_urls=20, not_an_image=3, pixel_bomb=1, trailing_bytes=2, trickle=0.5, download_rate=1e+06"
    )
    assert _describe_faults(Faults()) == "none"


def test_port_0_prints_the_port_it_picked() -> None:
    script = Path(sys.executable).with_name("siliconflow-emulator")
    process = subprocess.Popen(
        [str(script), "--port", "0", "--log-level", "warning"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert first.startswith("siliconflow-emulator: http://127.0.0.1:"), first
        port = int(first.removeprefix("siliconflow-emulator: http://127.0.0.1:").partition("/")[0])
        assert port != 0
        # The socket listens before the line is printed: no waiting for the server to come up.
        response = httpx.get(
            f"http://127.0.0.1:{port}/v1/models",
            headers={"Authorization": "Bearer x"},
            trust_env=False,
            timeout=30,
        )
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)


def test_a_taken_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SystemExit) as exit_info:
            main(["--port", str(taken.getsockname()[1])])
    assert "cannot listen on 127.0.0.1 port" in str(exit_info.value.code)


def test_every_fault_has_exactly_one_flag() -> None:
    assert list(FAULT_FLAGS) == [setting.name for setting in fields(Faults)]


@pytest.mark.parametrize("setting", fields(Faults), ids=lambda setting: setting.name)
def test_each_fault_flag_sets_its_field(setting: Field[Any]) -> None:
    flag = FAULT_FLAGS[setting.name].name or "--" + setting.name.replace("_", "-")
    value = setting.default + 3
    faults = parse_args([flag, str(value)]).settings.faults
    assert faults == replace(Faults(), **{setting.name: value})
    assert _describe_faults(faults) == f"{setting.name}={value:g}"
