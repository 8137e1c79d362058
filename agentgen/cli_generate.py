"""`agentgen generate` and `agentgen check`: one code path, the plan, written or compared."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from agentgen.config import ConfigError, load_config
from agentgen.diagnostics import render
from agentgen.plan import GenerationError
from agentgen.specfiles import SpecFilesError
from agentgen.sync import Change, unified_diff
from agentgen.workflow import Outcome, generate, plan_changes

FIX = "run `agentgen generate` to update it"

_paths = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
_out = click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where packages are written (default: [tool.agentgen] out, else generated/).",
)
_templates = click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="A folder of templates that override any of the built-in ones.",
)


@click.command("generate")
@_paths
@_out
@_templates
def generate_command(paths: tuple[Path, ...], out: Path | None, templates: Path | None) -> None:
    """Write one Python package per spec (default: the project's specs folder)."""
    outcome = _run(generate, paths, out, templates)
    for change in outcome.changes:
        click.echo(f"{_VERBS[change.kind]} {change.path.as_posix()}")
    agents = len(outcome.results)
    click.echo(f"{agents} agent{'s' if agents != 1 else ''}: {_counts(outcome.changes)}", err=True)


@click.command("check")
@_paths
@_out
@_templates
def check_command(paths: tuple[Path, ...], out: Path | None, templates: Path | None) -> None:
    """Fail when a spec is invalid or the generated code is not what the specs produce."""
    outcome = _run(plan_changes, paths, out, templates)
    if outcome.changes:
        click.echo(unified_diff(outcome.changes, Path.cwd()), nl=False)
        stale = len(outcome.changes)
        click.echo(
            f"generated code is stale ({stale} file{'s' if stale != 1 else ''}): {FIX}", err=True
        )
        sys.exit(1)
    click.echo(f"{len(outcome.results)} agents up to date", err=True)


_VERBS = {"create": "created", "update": "updated", "delete": "removed"}


def _run(job: object, paths: tuple[Path, ...], out: Path | None, templates: Path | None) -> Outcome:
    """Run generate or check; invalid specs print their diagnostics and exit 1."""
    assert callable(job)
    try:
        config = load_config(Path.cwd())
        outcome: Outcome = job(list(paths), config, out, templates)
    except (ConfigError, SpecFilesError) as error:
        raise click.UsageError(str(error)) from error
    except GenerationError as error:
        # With templates of their own, the user's template is the likely culprit.
        own = templates is not None or config.templates is not None
        blame = "check your templates" if own else "internal error, please report it"
        raise click.ClickException(f"{blame}: {error}") from error
    if not outcome.valid:
        click.echo(render(outcome.diagnostics, "text"))
        click.echo("nothing was generated: fix the specs first", err=True)
        sys.exit(1)
    return outcome


def _counts(changes: list[Change]) -> str:
    if not changes:
        return "up to date"
    kinds = [change.kind for change in changes]
    parts = [f"{kinds.count(kind)} {_VERBS[kind]}" for kind in _VERBS if kind in kinds]
    return ", ".join(parts)
