"""A named type may refer to one declared after it: every class is still generated.

datamodel-code-generator prints a class after the classes it uses, so the first class it
prints need not be the first it parsed (which once cut every class printed before that one).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.packages import generate_package, import_package

SPEC = """\
[agent]
name = "later_types"

[tools.get_forecast]
description = "Forecast the weather for a city."
params.city = { type = "string" }

[tools.ship]
description = "Ship a parcel."
params.parcel = { "$ref" = "#/$defs/Parcel" }

[types.Parcel]
type = "object"
required = ["to"]
properties.to = { "$ref" = "#/$defs/Address" }

[types.Address]
type = "object"
required = ["city"]
properties.city = { type = "string" }
"""


def test_a_type_referring_to_a_later_one_generates_every_class(tmp_path: Path) -> None:
    spec = tmp_path / "later_types.toml"
    spec.write_text(SPEC, encoding="utf-8")
    package = import_package(generate_package(spec, tmp_path / "out"), "later_types")
    try:
        tools = package.tools
        names = ("Address", "Parcel", "GetForecast", "Ship", "DoneForNow")
        assert all(hasattr(tools, name) for name in names)
        ship = tools.Ship.model_validate({"intent": "ship", "parcel": {"to": {"city": "Oslo"}}})
        assert isinstance(ship.parcel.to, tools.Address)
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == "later_types"]:
            del sys.modules[name]
