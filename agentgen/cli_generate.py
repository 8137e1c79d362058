"""`agentgen generate`, `check` and `diff`: one code path, the plan, written or compared."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from agentgen.config import Config, ConfigError, load_config
from agentgen.diagnostics import render
from agentgen.parallel import available_cpus
from agentgen.plan import GenerationError
from agentgen.specfiles import SpecFilesError
from agentgen.sync import STRICT_REASON, FileUpdate, unified_diff
from agentgen.workflow import Outcome, check_reasons, generate, plan_changes

FIX = "run `agentgen generate` to update it"
Job = Callable[[list[Path], Config, Path | None, Path | None, int], Outcome]

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
_jobs = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Render agents on up to this many processes (default: one per CPU).",
)


@click.command("generate")
@_paths
@_out
@_templates
@_jobs
def generate_command(
    paths: tuple[Path, ...], out: Path | None, templates: Path | None, jobs: int | None
) -> None:
    """Write one package per spec, keeping your edits (default: the project's specs folder)."""
    outcome = _run(generate, paths, out, templates, jobs)
    for update in outcome.updates:
        line = _report(update)
        if line:
            click.echo(line)
    agents = len(outcome.results)
    click.echo(f"{agents} agent{'s' if agents != 1 else ''}: {_counts(outcome.updates)}", err=True)
    if any(update.conflicts or update.kind == "skip" for update in outcome.updates):
        click.echo("resolve what is listed above, then run `agentgen check`", err=True)
        sys.exit(1)


@click.command("check")
@_paths
@_out
@_templates
@_jobs
@click.option("--strict", is_flag=True, help="Also fail on any hand edit of generated files.")
def check_command(
    paths: tuple[Path, ...],
    out: Path | None,
    templates: Path | None,
    jobs: int | None,
    strict: bool,
) -> None:
    """Fail when a spec is invalid, generated code is stale, or a conflict is left."""
    outcome = _run(plan_changes, paths, out, templates, jobs)
    reasons = check_reasons(outcome, strict)
    if reasons:
        click.echo(unified_diff(outcome.updates, Path.cwd()), nl=False)
        for reason in reasons:
            click.echo(reason, err=True)
        if all(reason.endswith(STRICT_REASON) for reason in reasons):
            click.echo("generated files were edited by hand, which --strict forbids", err=True)
        else:
            click.echo(f"generated code is not up to date: {FIX}", err=True)
        sys.exit(1)
    click.echo(f"{len(outcome.results)} agents up to date", err=True)


@click.command("diff")
@_paths
@_out
@_templates
@_jobs
def diff_command(
    paths: tuple[Path, ...], out: Path | None, templates: Path | None, jobs: int | None
) -> None:
    """Show what `generate` would change, writing nothing."""
    outcome = _run(plan_changes, paths, out, templates, jobs)
    click.echo(unified_diff(outcome.updates, Path.cwd()), nl=False)
    for update in outcome.updates:
        if update.conflicts:
            lines = ", ".join(str(line) for line in update.conflicts)
            click.echo(f"{update.path.as_posix()}: would conflict at line {lines}", err=True)
    if not any(update.changes_disk for update in outcome.updates):
        click.echo("no changes", err=True)


_VERBS = {
    "create": "created",
    "update": "updated",
    "merge": "merged (your edits kept)",
    "conflict": "conflict",
    "recreate": "recreated (it had been deleted)",
    "delete": "removed",
    "keep": "kept (edited by hand; no longer generated)",
    "stubs": "added handler stubs to",
    "skip": "skipped (not valid UTF-8 Python; fix it and generate again)",
}


def _report(update: FileUpdate) -> str | None:
    """One line per file whose content changes or that needs the user's attention."""
    path = update.path.as_posix()
    if update.kind == "baseline":
        return None
    if update.conflicts:
        lines = ", ".join(str(line) for line in update.conflicts)
        return f"conflict {path}: markers at line {lines}"
    return f"{_VERBS[update.kind]} {path}"


def _run(
    job: Job,
    paths: tuple[Path, ...],
    out: Path | None,
    templates: Path | None,
    jobs: int | None,
) -> Outcome:
    """Run generate, check or diff; invalid specs print their diagnostics and exit 1."""
    try:
        config = load_config(Path.cwd())
        outcome = job(list(paths), config, out, templates, jobs or available_cpus())
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


def _counts(updates: list[FileUpdate]) -> str:
    shown = [update.kind for update in updates if update.kind != "baseline"]
    if not shown:
        return "up to date"
    return ", ".join(f"{shown.count(kind)} {kind}" for kind in _VERBS if kind in shown)
