"""Fixtures of the MCP tests: defined once in mcp_support.py, shared with the security suite."""

# Imported names are how pytest finds fixtures in a conftest.
from mcp_support import anyio_backend, emulator, folders, running_emulator  # noqa: F401
