"""Generation: agentgen generate/check on synthesized specs, against datamodel-codegen and BAML."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

TOOLS = 10
MODES = ["fast", "careful", "dry_run"]


def tool_params(agent: int, tool: int) -> dict[str, Any]:
    """The JSON Schema properties of one synthesized tool: scalars, enum, array, nested object."""
    options = {"depth": {"type": "integer", "minimum": 0}, "label": {"type": "string"}}
    return {
        "target": {"type": "string", "description": f"What tool {tool} of agent {agent} acts on."},
        "count": {"type": "integer", "minimum": 1, "maximum": 100},
        "ratio": {"type": "number"},
        "mode": {"type": "string", "enum": MODES},
        "tags": {"type": "array", "items": {"type": "string"}},
        "options": {"type": "object", "properties": options, "required": ["depth"]},
    }


def toml_value(value: Any) -> str:
    """A JSON value as a TOML inline value (JSON strings are valid TOML basic strings)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def spec_toml(agent: int) -> str:
    """The TOML spec of synthesized agent number `agent`, with TOOLS tools."""
    lines = [
        "[agent]",
        f'name = "agent_{agent:03d}"',
        f'description = "Synthetic agent {agent} for the generation benchmark."',
        "",
        "[prompts]",
        f'system = "You are agent {agent}; pick the right tool."',
    ]
    for tool in range(TOOLS):
        lines += ["", f"[tools.tool_{tool}]", f'description = "Tool {tool} of agent {agent}."']
        params = tool_params(agent, tool)
        lines += [f"params.{name} = {toml_value(schema)}" for name, schema in params.items()]
    return "\n".join(lines) + "\n"


def write_specs(root: Path, agents: int) -> Path:
    """A fresh folder of `agents` spec files."""
    specs = root / "specs"
    specs.mkdir(parents=True)
    for agent in range(agents):
        (specs / f"agent_{agent:03d}.toml").write_text(spec_toml(agent))
    return specs


def write_json_schemas(root: Path, agents: int) -> Path:
    """One JSON Schema file per agent, its tools' params as $defs: datamodel-codegen's input."""
    schemas = root / "schemas"
    schemas.mkdir(parents=True)
    for agent in range(agents):
        defs = {
            f"Tool{tool}": {"type": "object", "properties": tool_params(agent, tool)}
            for tool in range(TOOLS)
        }
        refs = {f"tool_{tool}": {"$ref": f"#/$defs/Tool{tool}"} for tool in range(TOOLS)}
        schema = {"title": f"Agent{agent}", "type": "object", "properties": refs, "$defs": defs}
        (schemas / f"agent_{agent:03d}.json").write_text(json.dumps(schema, indent=2))
    return schemas


BAML_TYPES = {"string": "string", "integer": "int", "number": "float", "boolean": "bool"}


def baml_type(schema: dict[str, Any], nested: str) -> str:
    """The BAML type of a JSON Schema property; `nested` names the class of an object."""
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    if schema["type"] == "array":
        return baml_type(schema["items"], nested) + "[]"
    if schema["type"] == "object":
        return nested
    return BAML_TYPES[schema["type"]]


def baml_class(name: str, properties: dict[str, Any], intent: str | None) -> list[str]:
    """A BAML class (and the classes of its nested objects) for one set of properties."""
    lines, nested_classes = [f"class {name} {{"], []
    if intent is not None:
        lines.append(f'  intent "{intent}"')
    for field, schema in properties.items():
        nested = f"{name}{field.title()}"
        lines.append(f"  {field} {baml_type(schema, nested)}")
        if schema.get("type") == "object":
            nested_classes += baml_class(nested, schema["properties"], None)
    return [*lines, "}", "", *nested_classes]


def baml_agent(agent: int) -> str:
    """One .baml file: a class per tool and the agent's next-step function returning their union."""
    lines: list[str] = []
    names = [f"Agent{agent}Tool{tool}" for tool in range(TOOLS)]
    for tool, name in enumerate(names):
        lines += baml_class(name, tool_params(agent, tool), f"tool_{tool}")
    lines += [
        f"function Agent{agent}NextStep(thread: string) -> {' | '.join(names)} {{",
        '  client "openai/gpt-4o-mini"',
        '  prompt #"',
        f'    {{{{ _.role("system") }}}} You are agent {agent}; pick the right tool.',
        '    {{ _.role("user") }} {{ thread }}',
        "    {{ ctx.output_format }}",
        '  "#',
        "}",
    ]
    return "\n".join(lines) + "\n"


def write_baml(root: Path, agents: int, version: str) -> Path:
    """A baml_src folder: the python/pydantic generator and one file per agent."""
    src = root / "baml_src"
    src.mkdir(parents=True)
    generator = (
        'generator target {\n  output_type "python/pydantic"\n  output_dir "../"\n'
        f'  version "{version}"\n  default_client_mode "async"\n}}\n'
    )
    (src / "generators.baml").write_text(generator)
    for agent in range(agents):
        (src / f"agent_{agent:03d}.baml").write_text(baml_agent(agent))
    return src


def tool(name: str) -> str:
    """A console script of this interpreter's environment (bench/.env/bin/...)."""
    return str(Path(sys.executable).parent / name)


def wall(command: list[str | Path], cwd: Path) -> float:
    """Seconds one run of `command` takes; a failure raises with its output."""
    start = time.perf_counter()
    done = subprocess.run(list(map(str, command)), cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed:\n{done.stdout}{done.stderr}")
    return seconds


def fresh(run: Callable[[], float], output: Path) -> Callable[[], float]:
    """`run`, each time after deleting `output`, for generators whose output folder is fixed."""

    def repeat() -> float:
        shutil.rmtree(output, ignore_errors=True)
        os.sync()  # the deletions reach the disk now, not while the next run is timed
        return run()

    return repeat


def into_new_folders(run: Callable[[Path], float], base: Path) -> Callable[[], float]:
    """`run(folder)` into a new folder each time, so that every repeat starts from scratch.

    Deleting the last output just before a timed run would have the disk busy with the
    deletions during it (a second or more on this project's CI disk): no part of generating.
    """
    count = itertools.count()
    return lambda: run(base.with_name(f"{base.name}-{next(count)}"))


def writing_to(command: list[str | Path], cwd: Path) -> Callable[[Path], float]:
    """A timed run of `command` whose last argument, the output folder, is given later."""
    return lambda out: wall([*command, out], cwd)


def agentgen_runs(root: Path, agents: int) -> dict[str, Callable[[], float]]:
    """`agentgen generate` (from scratch) and `agentgen check` (of its output) on `agents`.

    By default agentgen renders on one process per CPU; the `-j 1` rows show one process.
    """
    specs, checked = write_specs(root, agents), root / "checked"
    agentgen = [sys.executable, "-m", "agentgen"]
    wall([*agentgen, "generate", specs, "--out", checked], root)  # untimed: what check reads
    runs: dict[str, Callable[[], float]] = {}
    for label, jobs in (("", []), (" -j 1", ["-j", "1"])):
        generate = [*agentgen, "generate", specs, *jobs, "--out"]
        check = [*agentgen, "check", specs, "--out", checked, *jobs]
        runs[f"agentgen generate{label}"] = into_new_folders(
            writing_to(generate, root), root / f"out{label}"
        )
        runs[f"agentgen check{label}"] = partial(wall, check, root)
    # The floor under generate: only writing the files it writes.
    runs["writing generate's files (disk only)"] = into_new_folders(
        partial(write_seconds, checked), root / "copy"
    )
    return runs


def write_seconds(source: Path, target: Path) -> float:
    """Seconds to write `source`'s files again under `target`, as generate writes them."""
    files = {path.relative_to(source): path.read_bytes() for path in source.rglob("*.py")}
    start = time.perf_counter()
    for relative, data in files.items():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_bytes(data)
    return time.perf_counter() - start


def datamodel_run(root: Path, agents: int) -> Callable[[], float]:
    """datamodel-codegen on one JSON Schema file per agent (one process for the folder)."""
    schemas = write_json_schemas(root, agents)
    command: list[str | Path] = [tool("datamodel-codegen"), "--input", schemas]
    command += ["--input-file-type", "jsonschema", "--output-model-type", "pydantic_v2.BaseModel"]
    return into_new_folders(writing_to([*command, "--output"], root), root / "models")


def baml_run(root: Path, agents: int, version: str) -> Callable[[], float]:
    """`baml-cli generate` of the python/pydantic client for one .baml file per agent."""
    src, out = write_baml(root, agents, version), root / "baml_client"
    return fresh(lambda: wall([tool("baml-cli"), "generate", "--from", src], root), out)
