"""An MCP server written with the official `mcp` SDK (MCPServer, called
FastMCP before mcp 2), for Tandem's MCP client to talk to.

Usage: mcp_server.py            serve over stdio
       mcp_server.py PORT       serve streamable HTTP on 127.0.0.1:PORT/mcp
"""

import sys

from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

# The smallest valid PNG: 1x1, one grey pixel (67 bytes).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a4944415478da63600000000200015e2b9c1f0000000049454e44ae426082"
)

server = MCPServer("peer")


@server.tool()
def shout(text: str) -> str:
    """Return the text in capitals."""
    return text.upper()


@server.tool()
def refuse(reason: str) -> str:
    """Always fails, saying why."""
    # The SDK turns a ToolError into a result with isError set and the
    # message as its text (other exceptions' text is hidden from clients).
    raise ToolError(f"refused: {reason}")


@server.tool()
def picture() -> Image:
    """A one-pixel PNG."""
    return Image(data=PNG, format="png")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
    else:
        server.run()
