"""`agentgen graph SPEC`: an agent's states, tools and transitions as a Mermaid flowchart."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from agentgen.cli_files import write_output
from agentgen.cli_output import Output, output_options
from agentgen.config import ConfigError, load_config
from agentgen.diagnostics import render
from agentgen.graph import mermaid_graph
from agentgen.ir import build_ir
from agentgen.specfiles import SpecFilesError
from agentgen.validate import SpecResult
from agentgen.workflow import validate_paths

EXIT_SPEC_ERRORS = 1


@click.command("graph")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the diagram to this file (folders are created) instead of printing it.",
)
@output_options()
def graph_command(spec: Path, out: Path | None, output: Output) -> None:
    """Draw a spec's states, tools and transitions as a Mermaid flowchart."""
    result = _validated(spec)
    if result.diagnostics:
        # On stderr in every format: stdout is the diagram, often redirected to a file.
        click.echo(render(result.diagnostics, output.format), err=True, color=output.color)
    if result.spec is None:
        output.problem(f"{result.name} is invalid: nothing was drawn")
        sys.exit(EXIT_SPEC_ERRORS)
    diagram = mermaid_graph(build_ir(result.spec, result.name))
    if out is None:
        output.result(diagram, nl=False)
        return
    write_output(out, diagram)
    output.summary(f"wrote {out.as_posix()}")


def _validated(spec: Path) -> SpecResult:
    """Validate the one spec (beside it, the specs its sub-agents name); usage errors exit 2."""
    if spec.is_dir() and not spec.name.endswith(".toml"):
        raise click.BadParameter(
            f"'{spec.as_posix()}' is a folder: give one spec file", param_hint="'SPEC'"
        )
    try:
        results = validate_paths([spec], load_config(Path.cwd()))
    except (ConfigError, SpecFilesError) as error:
        raise click.UsageError(str(error)) from error
    return results[0]
