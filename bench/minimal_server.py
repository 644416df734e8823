"""The yardstick of the cold-start benchmark: the smallest useful `MCPServer`, one tool, over stdio.

`siliconflow-images mcp` should start about as fast as this: importing the SDK is most of either.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server: MCPServer[object] = MCPServer("minimal")


@server.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


if __name__ == "__main__":
    server.run("stdio")
