"""`agentgen import mcp`: a real MCP server's tools into a spec that validates and generates,
appended without touching the spec's bytes, and called by handlers through the runtime."""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import ValidationError

from agentgen_runtime import McpClient, McpToolError, MemoryStore, ScriptedModel, call_mcp_tool
from tests.import_cli import in_project, run
from tests.packages import import_package
from tests.strict_mypy import mypy_errors

ROOT = Path(__file__).resolve().parent.parent
SERVER = [sys.executable, str(ROOT / "tests" / "mcp_weather_server.py")]
SHOWN = shlex.join(SERVER)
CALCULATOR = ROOT / "specs" / "calculator.toml"

FORECAST_AND_SHIP = f"""\
# MCP tool 'get-forecast' of `{SHOWN}`
[tools.get_forecast]
description = "Forecast the weather for a city."
params.city = {{ type = "string" }}
params.days = {{ type = "integer", default = 3 }}
params.units = {{ type = "string", enum = ["metric", "imperial"], default = "metric" }}

# MCP tool 'ship' of `{SHOWN}`
[tools.ship]
description = "Ship a parcel to an address."
params.parcel = {{ "$ref" = "#/$defs/Parcel" }}
params.note = {{ anyOf = [{{ type = "string" }}, {{ type = "null" }}] }}

[types.Parcel]
type = "object"
required = ["to", "weight_kg"]
properties.to = {{ "$ref" = "#/$defs/Address" }}

[types.Parcel.properties.weight_kg]
type = "number"
exclusiveMinimum = 0
description = "The parcel's weight in kilograms."

[types.Address]
type = "object"
required = ["street", "city"]
properties.street = {{ type = "string" }}
properties.city = {{ type = "string" }}
properties.zip_code = {{ anyOf = [{{ type = "string" }}, {{ type = "null" }}] }}
"""
ADD = f"""\
# MCP tool 'add' of `{SHOWN}`
[tools.add]
description = "Add two numbers."
params.a = {{ type = "number" }}
params.b = {{ type = "number" }}
"""
_FORECAST, _SHIP = FORECAST_AND_SHIP.split("\n\n# MCP tool 'ship'")
NEW_SPEC = f"""\
# Tools of the MCP server `{SHOWN}`, imported by `agentgen import mcp`.

[agent]
name = "weather_desk"

{_FORECAST}

{ADD}
# MCP tool 'ship'{_SHIP}"""

# What handlers.py of the generated package holds once written: each tool calls the server.
HANDLERS = '''\
"""The weather_desk agent's handlers: each calls the MCP server it was imported from."""

from __future__ import annotations

from agentgen_runtime import McpClient

from .handler_types import ToolContext
from .tools import Add, GetForecast, Ship


async def get_forecast(call: GetForecast, ctx: ToolContext[McpClient]) -> object:
    return await ctx.deps.call("get-forecast", call)


async def add(call: Add, ctx: ToolContext[McpClient]) -> object:
    return await ctx.deps.call("add", call)


async def ship(call: Ship, ctx: ToolContext[McpClient]) -> object:
    return await ctx.deps.call("ship", call)
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return in_project(tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def weather_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package generated from the server's imported tools, with handlers that call it."""
    folder = tmp_path_factory.mktemp("weather")
    spec = folder / "weather_desk.toml"
    assert run("import", "mcp", "--spec", str(spec), "--", *SERVER).exit_code == 0
    assert run("generate", str(spec), "--out", str(folder / "out")).exit_code == 0
    (folder / "out" / "weather_desk" / "handlers.py").write_text(HANDLERS, encoding="utf-8")
    yield import_package(folder / "out", "weather_desk")
    for name in [name for name in sys.modules if name.split(".")[0] == "weather_desk"]:
        del sys.modules[name]


def test_a_servers_tools_become_a_new_spec_that_validates_and_generates(project: Path) -> None:
    result = run("import", "mcp", "--", *SERVER)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "created specs/weather_desk.toml: 3 tools (get_forecast, add, ship)\n"
    assert (project / "specs" / "weather_desk.toml").read_text(encoding="utf-8") == NEW_SPEC
    assert run("validate").exit_code == 0
    assert run("generate", "--out", "out").exit_code == 0
    package = import_package(project / "out", "weather_desk")
    try:
        forecast = package.tools.GetForecast(intent="get_forecast", city="Oslo")
        assert (forecast.days, forecast.units) == (3, "metric")
        with pytest.raises(ValidationError, match="units"):
            package.tools.GetForecast(intent="get_forecast", city="Oslo", units="kelvin")
        to = {"street": "Karl Johans gate 1", "city": "Oslo"}
        ship = package.tools.Ship.model_validate(
            {"intent": "ship", "parcel": {"to": to, "weight_kg": 2}}
        )
        assert (ship.note, ship.parcel.to.zip_code) == (None, None)
        with pytest.raises(ValidationError, match="weight_kg"):
            package.tools.Parcel(to=ship.parcel.to, weight_kg=0)
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == "weather_desk"]:
            del sys.modules[name]


def test_handlers_of_imported_tools_call_the_server_and_pass_mypy(
    weather_desk: ModuleType,
) -> None:
    folder = Path(weather_desk.__file__).parent.parent
    assert mypy_errors(folder, "weather_desk") == ""
    to = {"street": "Karl Johans gate 1", "city": "Oslo"}
    atlantis = {"street": "Main Street 1", "city": "Atlantis"}
    model = ScriptedModel(
        [
            {"intent": "get_forecast", "city": "Oslo", "days": 2},
            {"intent": "ship", "parcel": {"to": to, "weight_kg": 1.5}},
            {"intent": "ship", "parcel": {"to": atlantis, "weight_kg": 1}},  # the server fails
            {"intent": "done_for_now", "message": "done"},
        ]
    )

    async def go() -> object:
        async with McpClient(SERVER) as server:
            return await weather_desk.launch(
                "plan a trip", model=model, store=MemoryStore(), deps=server
            )

    thread = asyncio.run(go())
    results = [event.result for event in thread.events if event.type == "tool_result"]
    assert results == [{"result": "Oslo: sunny for 2 days (metric)"}, {"city": "Oslo", "note": ""}]
    [error] = [event for event in thread.events if event.type == "error"]
    assert (error.source, error.intent) == ("tool", "ship")
    assert error.message == (
        "McpToolError: MCP tool 'ship' failed: Error executing tool ship: no route to Atlantis"
    )
    assert thread.status == "done"


def test_call_mcp_tool_starts_the_server_calls_it_and_returns_its_result() -> None:
    assert asyncio.run(call_mcp_tool(SERVER, "add", {"a": 1, "b": 2})) == {"result": 3.0}
    with pytest.raises(McpToolError, match=r"^MCP tool 'add' failed: Error executing tool add: "):
        asyncio.run(call_mcp_tool(SERVER, "add", {"a": "one", "b": 2}))


def test_appending_to_a_spec_keeps_every_byte_it_had(project: Path) -> None:
    spec = project / "calc.toml"
    shutil.copy(CALCULATOR, spec)
    before = spec.read_bytes()
    result = run("import", "mcp", "--spec", "calc.toml", "--only", "get-forecast", "--only", "ship",
                 "--", *SERVER)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == "appended to calc.toml: 2 tools (get_forecast, ship)\n"
    after = spec.read_bytes()
    assert after == before + b"\n" + FORECAST_AND_SHIP.encode()
    assert run("validate", "calc.toml").exit_code == 0


def test_appending_keeps_a_specs_crlf_line_endings(project: Path) -> None:
    spec = project / "calc.toml"
    before = CALCULATOR.read_bytes().replace(b"\n", b"\r\n").rstrip(b"\r\n")  # no last newline
    spec.write_bytes(before)
    assert (
        run("import", "mcp", "--spec", "calc.toml", "--only", "ship", "--", *SERVER).exit_code == 0
    )
    added = spec.read_bytes()[len(before) :]
    assert added.startswith(b"\r\n\r\n# MCP tool 'ship'") and b"\r\n[types.Address]\r\n" in added
    assert b"\n" not in added.replace(b"\r\n", b"")


def test_a_tool_the_spec_already_has_is_refused_and_nothing_is_written(project: Path) -> None:
    spec = project / "calc.toml"
    shutil.copy(CALCULATOR, spec)
    result = run("import", "mcp", "--spec", "calc.toml", "--", *SERVER)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "error: tool 'add' already exists in calc.toml\n"
    assert spec.read_bytes() == CALCULATOR.read_bytes()


def test_importing_the_same_tool_again_is_refused(project: Path) -> None:
    assert run("import", "mcp", "--only", "add", "--", *SERVER).exit_code == 0
    written = (project / "specs" / "weather_desk.toml").read_bytes()
    result = run("import", "mcp", "--only", "add", "--", *SERVER)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: tool 'add' already exists in specs/weather_desk.toml\n",
    )
    assert (project / "specs" / "weather_desk.toml").read_bytes() == written


def test_only_names_tools_by_their_mcp_or_spec_names(project: Path) -> None:
    result = run("import", "mcp", "--agent", "desk", "--only", "get_forecast", "--", *SERVER)
    assert result.exit_code == 0, result.output
    assert result.stderr == "created specs/desk.toml: 1 tool (get_forecast)\n"
    result = run("import", "mcp", "--only", "get-forcast", "--", *SERVER)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: the server has no tool 'get-forcast' (did you mean 'get-forecast'?); "
        "its tools are: get-forecast, add, ship\n",
    )
    assert sorted(path.name for path in (project / "specs").iterdir()) == ["desk.toml"]


def test_what_the_spec_cannot_express_is_a_warning_naming_tool_and_param(project: Path) -> None:
    result = run("import", "mcp", "--only", "odd", "--", *SERVER, "--odd")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "specs/weather_desk.toml:9:8: warning[AG090]: tool 'odd', param 'word': left out "
        "'errorMessage': the spec language has no such keyword\n"
        "specs/weather_desk.toml:10:8: warning[AG090]: tool 'odd', param 'count': left out "
        "'maximum': 1180591620717411303424 is past TOML's 64-bit integers\n"
        "specs/weather_desk.toml:11:8: warning[AG090]: tool 'odd', param 'maybe': required, but "
        "it may be null: the spec makes it optional (None if left out)\n"
    )
    lines = (project / "specs" / "weather_desk.toml").read_text(encoding="utf-8").splitlines()
    assert lines[8:11] == [
        'params.word = { type = "string" }',
        'params.count = { type = "integer" }',
        'params.maybe = { anyOf = [{ type = "string" }, { type = "null" }] }',
    ]
    assert run("validate").exit_code == 0


def test_json_format_reports_the_file_tools_types_and_warnings(project: Path) -> None:
    result = run("import", "mcp", "--format", "json", "--only", "ship", "--", *SERVER)
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "file": "specs/weather_desk.toml",
        "created": True,
        "tools": [{"name": "ship", "source": "ship"}],
        "types": ["Parcel", "Address"],
        "warnings": [],
    }


def test_a_server_that_cannot_start_or_dies_is_one_line_and_exit_2(project: Path) -> None:
    result = run("import", "mcp", "--", "no-such-mcp-server", "--stdio")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: cannot list the tools of `no-such-mcp-server --stdio`: "
        "cannot start 'no-such-mcp-server': No such file or directory\n"
    )
    dies = [sys.executable, "-c", "import sys; sys.exit('no config file')"]
    result = run("import", "mcp", "--", *dies)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot list the tools of `{shlex.join(dies)}`: ")
    assert result.stderr.endswith(" (its stderr ends: no config file)\n")
    assert not (project / "specs").exists()


def test_a_server_that_does_not_answer_times_out(project: Path) -> None:
    silent = [sys.executable, "-c", "import time; time.sleep(60)"]
    result = run("import", "mcp", "--timeout", "1", "--", *silent)
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: cannot list the tools of `{shlex.join(silent)}`: no answer within 1 s\n",
    )


def test_a_bad_agent_name_is_refused_before_the_server_starts(project: Path) -> None:
    result = run("import", "mcp", "--agent", "Weather", "--", "no-such-mcp-server")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for '--agent': 'Weather' is not a snake_case identifier "
        "(did you mean 'weather'?)\n"
    )


def test_agent_must_match_the_spec_appended_to(project: Path) -> None:
    shutil.copy(CALCULATOR, project / "calc.toml")
    result = run("import", "mcp", "--spec", "calc.toml", "--agent", "desk", "--", *SERVER)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: calc.toml is the spec of agent 'calculator', not 'desk': "
        "--agent names the agent of a new spec\n",
    )


def test_without_the_mcp_extra_a_handler_gets_the_one_line_install_hint() -> None:
    code = (
        "import asyncio, sys; sys.modules['mcp'] = None\n"
        "import agentgen_runtime\n"
        "try:\n"
        "    asyncio.run(agentgen_runtime.call_mcp_tool(['server'], 'add', {}))\n"
        "except agentgen_runtime.MissingExtra as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    expected = "mcp is not installed: pip install 'agentgen-runtime[mcp]'\n"
    assert (result.stdout, result.stderr) == (expected, "")
