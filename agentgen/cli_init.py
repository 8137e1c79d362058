"""`agentgen init [DIR]`: a new project, its example agent generated, ready for check and test."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from agentgen.cli_output import Output, output_options
from agentgen.config import ConfigError, load_config
from agentgen.init import InitRefused, plan_project, write_project
from agentgen.workflow import generate

EXIT_USAGE = 2


@click.command("init")
@click.argument("folder", default=".", type=click.Path(path_type=Path, file_okay=False))
@output_options(("text",))
def init_command(folder: Path, output: Output) -> None:
    """Start a project in FOLDER (default: here): a commented spec, its package, a CI workflow."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        starter = plan_project(folder)
    except (InitRefused, OSError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    for path in write_project(folder, starter):
        output.detail(f"wrote {(folder / path).as_posix()}")
    try:
        outcome = generate([folder / "specs"], load_config(folder), folder / "generated", None)
    except ConfigError as error:  # a pyproject.toml of the user's that init appended to
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    for update in outcome.updates:
        if update.kind != "baseline":
            output.detail(f"wrote {update.path.as_posix()}")
    output.summary(_next_steps(folder))


def _next_steps(folder: Path) -> str:
    here = "" if folder.resolve() == Path.cwd().resolve() else f"  cd {folder.as_posix()}\n"
    return (
        f"a new project in {folder.as_posix()}: specs/assistant.toml, generated/assistant/, "
        ".github/workflows/agentgen.yml\nnext:\n"
        f"{here}"
        "  agentgen test            # the spec's [[tests]], no model needed\n"
        "  agentgen check           # generated/ is what the specs produce\n"
        '  python -m generated.assistant launch "Where is my order ord_1001?"'
    )
