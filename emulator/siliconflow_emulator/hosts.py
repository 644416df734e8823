"""Who may reach the emulator: loopback names, the bind rule, and the Host check.

On loopback the emulator asks for no key by default, so it must not be reachable through a
name that is not loopback: a web page whose own host name resolves to 127.0.0.1 (DNS rebinding)
could otherwise drive it, and with `--fetch-loopback` probe this machine's ports through it.
Beyond loopback it needs keys instead, and the Host check is off: which names reach it there
only the network knows.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from . import responses


def is_loopback(host: str) -> bool:
    """Whether a host name or address (without brackets or port) is this machine's loopback."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_refusal(host: str, api_keys: frozenset[str]) -> str | None:
    """Why the emulator may not listen on `host` with these keys; None when it may."""
    if is_loopback(host) or api_keys:
        return None
    return (
        f"listening on {host or 'every address'} needs an API key (--api-key KEY, or "
        "EmulatorSettings.api_keys): beyond loopback anyone who reaches the port could use it, and "
        "without a key any token passes. Or listen on loopback (127.0.0.1, the default)."
    )


def host_header_name(value: str) -> str | None:
    """The host name of a Host header (`127.0.0.1:8765`, `[::1]:8765`, `localhost`), None if malformed."""
    try:
        parts = urlsplit(f"//{value}")
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return None
    return parts.hostname


class LoopbackHostMiddleware:
    """Answers 400 to an HTTP request whose Host header names anything but a loopback address."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            name = host_header_name(headers.get(b"host", b"").decode("latin-1"))
            if name is None or not is_loopback(name):
                await responses.untrusted_host()(scope, receive, send)
                return
        await self.app(scope, receive, send)
