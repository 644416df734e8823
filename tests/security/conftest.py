"""Fixtures of the security suite: the shared ones from mcp_support.py, and both transports."""

from __future__ import annotations

import pytest

# Imported names are how pytest finds fixtures in a conftest.
from mcp_support import anyio_backend, emulator, folders, running_emulator  # noqa: F401


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)
