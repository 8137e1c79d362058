"""The `agentgen` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from agentgen import __version__
from agentgen.cli_files import write_output
from agentgen.cli_generate import check_command, diff_command, generate_command
from agentgen.cli_graph import graph_command
from agentgen.cli_import import import_command
from agentgen.cli_init import init_command
from agentgen.cli_output import Output, output_options
from agentgen.cli_test import replay_command, test_command
from agentgen.config import ConfigError, load_config
from agentgen.diagnostics import render
from agentgen.parallel import available_cpus
from agentgen.spec.schema import spec_json_schema_text
from agentgen.specfiles import SpecFilesError
from agentgen.validate import SpecResult
from agentgen.workflow import validate_paths

EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="agentgen")
def main() -> None:
    """Turn agent specs (TOML) into plain, typed Python packages that you own."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@output_options()
def validate(paths: tuple[Path, ...], output: Output) -> None:
    """Check spec files (or folders of them; default: the project's specs folder)."""
    results = _validate_all(paths)
    diagnostics = [d for result in results for d in result.diagnostics]
    if diagnostics:
        output.result(render(diagnostics, output.format))
    elif output.format == "json":
        output.result("[]")
    output.summary(_summary(results))
    sys.exit(EXIT_OK if all(result.ok for result in results) else EXIT_SPEC_ERRORS)


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the schema to this file (folders are created) instead of printing it.",
)
@output_options(("text",))
def schema(out: Path | None, output: Output) -> None:
    """Print the JSON Schema (draft-07) of the spec language, for TOML editors."""
    if out is None:
        output.result(spec_json_schema_text(), nl=False)
    else:
        write_output(out, spec_json_schema_text())
        output.detail(f"wrote {out.as_posix()}")


def _validate_all(paths: tuple[Path, ...]) -> list[SpecResult]:
    """Validate every spec the paths name; usage problems exit with status 2."""
    try:
        return validate_paths(list(paths), load_config(Path.cwd()), available_cpus())
    except (ConfigError, SpecFilesError) as error:
        raise click.UsageError(str(error)) from error


def _summary(results: list[SpecResult]) -> str:
    failed = sum(1 for result in results if not result.ok)
    noun = "spec" if len(results) == 1 else "specs"
    if failed:
        return f"{failed} of {len(results)} {noun} invalid"
    return f"{len(results)} {noun} valid"


main.add_command(init_command)
main.add_command(generate_command)
main.add_command(check_command)
main.add_command(diff_command)
main.add_command(test_command)
main.add_command(replay_command)
main.add_command(graph_command)
main.add_command(import_command)
