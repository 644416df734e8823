"""What starting the MCP server loads: the budget of a cold start is mostly imports.

An MCP client waits on the server's start before it can list tools, so the HTTP client (httpx
and the generated client) and Pillow load on the first call that needs them, not at start.
The figures are `make bench`'s; this holds the structure that makes them.
"""

from __future__ import annotations

import subprocess
import sys

import siliconflow_images

DEFERRED = ("httpx", "siliconflow_client", "PIL")


def _loaded_after(statement: str) -> list[str]:
    probe = f"import sys\n{statement}\nprint(' '.join(m for m in {DEFERRED!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.split()


def test_starting_the_mcp_server_loads_no_http_client_or_pillow() -> None:
    assert _loaded_after("import siliconflow_images_mcp.server") == []


def test_the_command_line_reaches_mcp_without_loading_the_http_client() -> None:
    assert _loaded_after("import siliconflow_images.cli") == []


def test_what_the_server_reads_at_start_comes_without_the_http_client() -> None:
    statement = (
        "from siliconflow_images import SiliconFlowError, ImageLimits, rules, catalog, files, redaction\n"
        "from siliconflow_images.config import base_url_from, site_from\n"
        "base_url_from('https://api.siliconflow.com/v1')"
    )
    assert _loaded_after(statement) == []


def test_the_clients_load_on_first_use_and_are_listed() -> None:
    assert "SiliconFlow" in dir(siliconflow_images)
    assert set(siliconflow_images.__all__) <= set(dir(siliconflow_images))
    assert siliconflow_images.AsyncSiliconFlow.__name__ == "AsyncSiliconFlow"
    assert _loaded_after("from siliconflow_images import SiliconFlow") == ["httpx", "siliconflow_client"]
