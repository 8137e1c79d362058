"""`agentgen import mcp` and `agentgen import openapi`: tools from where they already are.

Exit 0 when the tools are written (warnings name what was left out), 1 when they would make
a spec that does not validate or generate, 2 for a usage error; nothing is written unless 0.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

import click

from agentgen.cli_output import Output, output_options
from agentgen.config import ConfigError, load_config
from agentgen.diagnostics import render
from agentgen.importers import (
    ImportFailed,
    ImportPlan,
    ImportRefused,
    Source,
    check_agent_name,
    plan_import,
    read_openapi,
    read_server,
    write,
)

EXIT_INVALID, EXIT_USAGE = 1, 2

_spec = click.option(
    "--spec",
    "spec_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The spec to append the tools to, or to create (default: <specs folder>/<agent>.toml).",
)


def _agent_name(context: click.Context, option: click.Parameter, value: str | None) -> str | None:
    """Refuse a bad --agent before a server is started or a document read."""
    try:
        if value is not None:
            check_agent_name(value)
    except ImportRefused as error:
        raise click.BadParameter(str(error).removeprefix("--agent: ")) from None
    return value


_agent = click.option(
    "--agent",
    callback=_agent_name,
    help="The agent's name, for a new spec (default: from the server's or the API's name).",
)


@click.group("import")
def import_command() -> None:
    """Write the tools of an MCP server or an OpenAPI document into a spec."""


@import_command.command("mcp")
@_spec
@_agent
@click.option(
    "--only",
    multiple=True,
    metavar="TOOL",
    help="Import only this tool (its MCP name or its spec name); repeat for more.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds to wait for the server to start and list its tools.",
)
@output_options()
@click.argument("command", nargs=-1, required=True, metavar="-- CMD [ARGS]...")
def mcp_command(
    spec_file: Path | None,
    agent: str | None,
    only: tuple[str, ...],
    timeout: float,
    output: Output,
    command: tuple[str, ...],
) -> None:
    """Write an MCP server's tools into a spec (the server: the command after `--`, on stdio)."""
    _import(lambda: read_server(command, only, timeout), spec_file, agent, output)


@import_command.command("openapi")
@click.argument("document", type=click.Path(path_type=Path, dir_okay=False))
@_spec
@_agent
@click.option(
    "--operation",
    "operations",
    multiple=True,
    required=True,
    metavar="ID",
    help="The operationId of an operation to import as a tool; repeat for more.",
)
@output_options()
def openapi_command(
    document: Path,
    spec_file: Path | None,
    agent: str | None,
    operations: tuple[str, ...],
    output: Output,
) -> None:
    """Write an OpenAPI document's operations into a spec as tools (3.0 or 3.1, JSON or YAML)."""
    _import(lambda: read_openapi(document, operations), spec_file, agent, output)


def _import(
    read: Callable[[], Source], spec_file: Path | None, agent: str | None, output: Output
) -> None:
    """Read the source, plan the spec, and write it only if it validates and generates."""
    try:
        plan = plan_import(read(), spec_file, agent, _specs_folder())
        if plan.ok:
            write(plan.path, plan.content, plan.original)
    except ImportRefused as error:
        _fail(str(error), EXIT_USAGE)
    except ImportFailed as error:
        _fail(str(error), EXIT_INVALID)
    if not plan.ok:
        output.result(render(list(plan.errors), output.format))
        output.problem(
            f"the imported tools would make {plan.path.as_posix()} invalid: nothing was written"
        )
        sys.exit(EXIT_INVALID)
    _report(plan, output)


def _specs_folder() -> Path:
    """The project's specs folder, relative to here when it is below."""
    try:
        folder = load_config(Path.cwd()).specs
    except ConfigError as error:
        raise click.UsageError(str(error)) from error
    if folder.is_absolute() and folder.is_relative_to(Path.cwd()):
        return folder.relative_to(Path.cwd())
    return folder


def _fail(message: str, status: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def _report(plan: ImportPlan, output: Output) -> None:
    """The warnings (results, in the chosen format), then what was written."""
    warnings = list(plan.warnings)
    if output.format == "json":
        output.result(json.dumps(_summary(plan), indent=2, ensure_ascii=False))
    elif warnings:
        output.result(render(warnings, output.format))
    for tool, source in zip(plan.tools, plan.source_names, strict=True):
        output.detail(f"  {tool.name} (from {source!r})")
    verb = "created" if plan.original is None else "appended to"
    count = len(plan.tools)
    names = ", ".join(tool.name for tool in plan.tools)
    output.summary(
        f"{verb} {plan.path.as_posix()}: {count} tool{'s' if count != 1 else ''} ({names})"
    )


def _summary(plan: ImportPlan) -> dict[str, object]:
    """What --format json prints: the file, its new tools and types, and the warnings."""
    return {
        "file": plan.path.as_posix(),
        "created": plan.original is None,
        "tools": [
            {"name": tool.name, "source": source}
            for tool, source in zip(plan.tools, plan.source_names, strict=True)
        ],
        "types": list(plan.types),
        "warnings": [asdict(warning) for warning in plan.warnings],
    }
