"""A small MCP server over stdio for the import tests, built with the mcp SDK's MCPServer
(mcp 2's name for FastMCP): tools with a hyphenated name, defaults, an enum, an optional
param and nested objects (pydantic models, so `$defs` and `$ref`s).

With `--odd` it also has a tool whose schema holds what the spec language cannot express.
"""

from __future__ import annotations

import sys
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

server = MCPServer("Weather desk")


class Address(BaseModel):
    street: str
    city: str
    zip_code: str | None = None


class Parcel(BaseModel):
    to: Address
    weight_kg: float = Field(gt=0, description="The parcel's weight in kilograms.")


@server.tool(name="get-forecast")
def get_forecast(city: str, days: int = 3, units: Literal["metric", "imperial"] = "metric") -> str:
    """Forecast the weather for a city."""
    return f"{city}: sunny for {days} days ({units})"


@server.tool()
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


@server.tool()
def ship(parcel: Parcel, note: str | None = None) -> dict[str, str]:
    """Ship a parcel to an address."""
    if parcel.to.city == "Atlantis":
        raise ToolError("no route to Atlantis")  # the SDK passes on a ToolError's message
    return {"city": parcel.to.city, "note": note or ""}


def odd(
    word: Annotated[str, Field(json_schema_extra={"errorMessage": "say one word"})],
    count: Annotated[int, Field(le=2**70)],
    maybe: str | None,
) -> str:
    """Has an unknown keyword, a bound past 64 bits and a required param that may be null."""
    return word * min(count, 3) + (maybe or "")


if __name__ == "__main__":
    if "--odd" in sys.argv:
        server.tool()(odd)
    server.run()
