"""`agentgen generate`, `check` and `diff`: one code path, the plan, written or compared."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import click

from agentgen.cli_output import Output, output_options
from agentgen.cli_reports import (
    agents_summary,
    conflict_lines_text,
    diffs_json,
    files_json,
    needs_you,
    stale_annotations,
    update_annotations,
)
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
@output_options()
def generate_command(
    paths: tuple[Path, ...],
    out: Path | None,
    templates: Path | None,
    jobs: int | None,
    output: Output,
) -> None:
    """Write one package per spec, keeping your edits (default: the project's specs folder)."""
    outcome = _run(generate, paths, out, templates, jobs, output)
    failed = any(update.conflicts or update.kind == "skip" for update in outcome.updates)
    if output.format == "json":
        output.result(json.dumps(files_json(outcome), indent=2))
    elif output.format == "github":
        _annotate(output, update_annotations(outcome.updates))
    elif output.text:
        for update in outcome.updates:
            _print_update(update, output)
    output.summary(agents_summary(outcome))
    if failed:
        output.problem("resolve what is listed above, then run `agentgen check`")
        sys.exit(1)


@click.command("check")
@_paths
@_out
@_templates
@_jobs
@click.option("--strict", is_flag=True, help="Also fail on any hand edit of generated files.")
@output_options()
def check_command(
    paths: tuple[Path, ...],
    out: Path | None,
    templates: Path | None,
    jobs: int | None,
    strict: bool,
    output: Output,
) -> None:
    """Fail when a spec is invalid, generated code is stale, or a conflict is left."""
    outcome = _run(plan_changes, paths, out, templates, jobs, output)
    reasons = check_reasons(outcome, strict)
    if output.format == "json":
        output.result(json.dumps([asdict(reason) for reason in reasons], indent=2))
    elif output.format == "github":
        _annotate(output, stale_annotations(reasons, FIX))
    if not reasons:
        agents = len(outcome.results)
        output.summary(f"{agents} agent{'' if agents == 1 else 's'} up to date")
        return
    if output.text:
        output.diff(unified_diff(outcome.updates, Path.cwd()))
    for reason in reasons:
        output.problem(str(reason))
    if all(reason.reason == STRICT_REASON for reason in reasons):
        output.problem("generated files were edited by hand, which --strict forbids")
    else:
        output.problem(f"generated code is not up to date: {FIX}")
    sys.exit(1)


@click.command("diff")
@_paths
@_out
@_templates
@_jobs
@output_options()
def diff_command(
    paths: tuple[Path, ...],
    out: Path | None,
    templates: Path | None,
    jobs: int | None,
    output: Output,
) -> None:
    """Show what `generate` would change, writing nothing; exit 1 if it would conflict."""
    outcome = _run(plan_changes, paths, out, templates, jobs, output)
    if output.format == "json":
        output.result(json.dumps(diffs_json(outcome.updates, Path.cwd()), indent=2))
    elif output.format == "github":
        _annotate(output, update_annotations(outcome.updates))
    else:
        output.diff(unified_diff(outcome.updates, Path.cwd()))
    for update in outcome.updates:
        if update.conflicts:
            lines = conflict_lines_text(update)
            output.problem(f"{update.path.as_posix()}: would conflict at line {lines}")
    if not any(update.changes_disk for update in outcome.updates):
        output.summary("no changes")
    if any(update.conflicts for update in outcome.updates):
        sys.exit(1)


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


def _annotate(output: Output, annotations: list[str]) -> None:
    """GitHub annotations, one a line; nothing at all when there are none."""
    if annotations:
        output.result("\n".join(annotations))


def _print_update(update: FileUpdate, output: Output) -> None:
    """A file that needs the user (a conflict, a skipped file) always; the others with -v."""
    line = _report(update)
    if line is None:
        return
    if needs_you(update):
        output.result(line)
    else:
        output.detail(line)


def _report(update: FileUpdate) -> str | None:
    """One line per file whose content changes or that needs the user's attention (a merge by
    units names the units: where the user's edits were kept, and each conflict)."""
    path = update.path.as_posix()
    notes = update.units
    if update.kind == "baseline":
        return None
    if notes.conflicting:
        both = "; ".join(
            f"{unit}: both changed; markers at line {n}" for unit, n in notes.conflicting
        )
        return f"conflict {path}: {both}"
    if update.conflicts:
        lines = conflict_lines_text(update)
        return f"conflict {path}: markers at line {lines}"
    parts = [f"your edits kept in {', '.join(notes.kept)}"] if notes.kept else []
    if notes.orphans:
        kept = ", ".join(f"{unit} (line {n})" for unit, n in notes.orphans)
        parts.append(f"kept, though the spec no longer has them: {kept}")
    return f"merged {path}: {'; '.join(parts)}" if parts else f"{_VERBS[update.kind]} {path}"


def _run(
    job: Job,
    paths: tuple[Path, ...],
    out: Path | None,
    templates: Path | None,
    jobs: int | None,
    output: Output,
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
        output.result(render(outcome.diagnostics, output.format))
        output.problem("nothing was generated: fix the specs first")
        sys.exit(1)
    return outcome
