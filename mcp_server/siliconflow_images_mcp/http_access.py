"""What the streamable-HTTP transport lets in: who may call it, and from which Host and Origin.

Anyone who can reach the port can spend the user's credits and read images through the
tools, so: off loopback a bearer token is required (compared in constant time), and Host and
Origin are checked on every bind, not only on loopback where the MCP SDK turns the check on.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Final

from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from .config import MIN_TOKEN_CHARS, ConfigError, Settings

LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True, slots=True)
class Exposure:
    """The decided policy for one bind."""

    host: str
    port: int
    token: str | None
    security: TransportSecuritySettings
    advice: str | None = None
    """What to tell whoever starts a public bind, for the log."""

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/mcp"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def decide(settings: Settings, host: str, port: int) -> Exposure:
    """The policy for serving on host:port, or ConfigError saying why the server will not start."""
    public = not is_loopback(host)
    if public and not settings.auth_token:
        raise ConfigError(
            f"refusing to serve on {host}: anyone who can reach it could spend your SiliconFlow credits and read "
            "images through the tools. Set SILICONFLOW_MCP_TOKEN (or --auth-token) to a secret of "
            f"{MIN_TOKEN_CHARS}+ characters that clients send as `Authorization: Bearer <token>`, or bind 127.0.0.1."
        )
    hosts = [f"{name}:*" for name in LOOPBACK_NAMES] + [*LOOPBACK_NAMES]
    if public:
        hosts += _names_of_this_machine(host)
    for name in settings.allowed_hosts:
        hosts += host_patterns(name)
    origins = [f"http://{name}:*" for name in LOOPBACK_NAMES] + list(settings.allowed_origins)
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(dict.fromkeys(hosts)),
        allowed_origins=list(dict.fromkeys(origins)),
    )
    advice = None
    if public:
        names = ", ".join(dict.fromkeys(h.removesuffix(":*") for h in security.allowed_hosts or ()))
        advice = (
            "clients must reach this server by a name it knows, or get 421 Misdirected Request. Known: "
            f"{names}. For another (a proxy's public name, a DNS name), start it with --allowed-host NAME "
            "(repeatable) or SILICONFLOW_MCP_ALLOWED_HOSTS=NAME,..."
        )
    return Exposure(host=host, port=port, token=settings.auth_token, security=security, advice=advice)


def host_patterns(name: str) -> list[str]:
    """The Host headers an --allowed-host admits: a name without a port stands for every port."""
    with contextlib.suppress(ValueError):
        # A bare IPv6 address: its colons are no port, and a Host header brackets it.
        if ipaddress.ip_address(name).version == 6:
            name = f"[{name}]"
    if re.fullmatch(r"(\[[^\]]+\]|[^:\[\]]+):(\d+|\*)", name):
        return [name]
    return [name, f"{name}:*"]


def _names_of_this_machine(bind: str) -> list[str]:
    """Host headers clients reaching this bind may send: the address itself, or for a wildcard
    bind the machine's names. Anything else (a proxy's public name) goes in --allowed-host."""
    if bind not in ("0.0.0.0", "::", ""):
        shown = f"[{bind}]" if ":" in bind else bind
        return [shown, f"{shown}:*"]
    names = {socket.gethostname(), socket.getfqdn()}
    with contextlib.suppress(OSError):
        names |= {str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None)}
    bracketed = [f"[{name}]" if ":" in name else name for name in sorted(n for n in names if n)]
    return bracketed + [f"{name}:*" for name in bracketed]


class BearerTokenMiddleware:
    """401 for any HTTP request without `Authorization: Bearer <token>`; the token compared in constant time."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((value for name, value in scope.get("headers", ()) if name == b"authorization"), b"")
        scheme, _, credentials = given.partition(b" ")
        # The scheme is case-insensitive (RFC 7235, 6750): "bearer x" is as good as "Bearer x".
        if scheme.lower() == b"bearer" and hmac.compare_digest(credentials.lstrip(b" "), self._token):
            await self.app(scope, receive, send)
            return
        body = b'{"error": "unauthorized", "error_description": "send Authorization: Bearer <SILICONFLOW_MCP_TOKEN>"}'
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b'Bearer realm="siliconflow-images"'),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
