"""`agentgen test` and `agentgen replay`: the specs' own cases, and stored threads re-asked."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from agentgen.cli_output import Output, output_options
from agentgen.config import ConfigError, load_config
from agentgen.diagnostics import render
from agentgen.plan import GenerationError
from agentgen.specfiles import SpecFilesError
from agentgen.testing import (
    FORMATS,
    TestOptions,
    render_cases,
    render_replays,
    replay_summary,
    run_replay,
    run_tests,
    summary,
)
from agentgen.validate import SpecResult
from agentgen_runtime import (
    AgentgenError,
    ConfigurationError,
    ModelNotConfigured,
    ThreadNotFound,
    split_model,
)

DEFAULT_CACHE = Path(".agentgen-cache")
EXIT_USAGE = 2


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--model", help="Run the live cases against this model: provider:name.")
@click.option(
    "--repeat",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Runs of each live case: an eval, with a pass rate per case.",
)
@click.option(
    "--min-pass",
    type=click.FloatRange(0.0, 1.0),
    default=1.0,
    show_default=True,
    help="The pass rate a live case needs (0 to 1).",
)
@click.option(
    "--cache",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_CACHE,
    show_default=True,
    help="Where live answers are kept, so that a rerun with nothing changed asks no model.",
)
@click.option("--no-cache", is_flag=True, help="Ask the model every time; keep nothing.")
@output_options(FORMATS)
def test_command(
    paths: tuple[Path, ...],
    model: str | None,
    repeat: int,
    min_pass: float,
    cache: Path,
    no_cache: bool,
    output: Output,
) -> None:
    """Run the [[tests]] cases of specs (default: the project's specs folder); writes nothing."""
    if model is not None:
        _check_model(model)
    options = TestOptions(model, repeat, min_pass, None if no_cache else cache)
    try:
        suite = run_tests(list(paths), load_config(Path.cwd()), options)
    except (ConfigError, SpecFilesError) as error:
        raise click.UsageError(str(error)) from error
    except GenerationError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    if not suite.valid:
        _invalid(suite.results, "test", output)
    shown = render_cases(suite.cases, output.format, min_pass, output.verbosity)
    if shown:
        output.result(shown)
    output.summary(summary(suite.cases, min_pass))
    failed = any(case.verdict(min_pass) == "failed" for case in suite.cases)
    sys.exit(1 if failed else 0)


def _check_model(model: str) -> None:
    try:
        split_model(model, "--model")
    except ModelNotConfigured as error:
        raise click.BadParameter(str(error), param_hint="--model") from error


@click.command("replay")
@click.argument("thread_ids", nargs=-1, required=True)
@click.option(
    "--spec",
    "spec_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The spec whose current prompts re-ask each decision.",
)
@click.option("--store", "store_url", help="Where the threads are (default: AGENTGEN_STORE).")
@click.option("--model", help="The model to re-ask: provider:name (default: the spec's).")
@click.option(
    "--min-agree",
    type=click.FloatRange(0.0, 1.0),
    help="Exit 1 when a thread's share of agreeing decisions is under this (0 to 1).",
)
@output_options(FORMATS)
def replay_command(
    thread_ids: tuple[str, ...],
    spec_file: Path,
    store_url: str | None,
    model: str | None,
    min_agree: float | None,
    output: Output,
) -> None:
    """Re-ask the model at each decision of stored threads and compare; writes nothing."""
    if model is not None:
        _check_model(model)
    try:
        replay = run_replay(spec_file, list(thread_ids), load_config(Path.cwd()), store_url, model)
    except (ConfigError, SpecFilesError) as error:
        raise click.UsageError(str(error)) from error
    except AgentgenError as error:
        click.echo(f"error: {error}", err=True)
        usage = ThreadNotFound | ConfigurationError | ModelNotConfigured
        sys.exit(EXIT_USAGE if isinstance(error, usage) else 1)
    if not all(result.ok for result in replay.results):
        _invalid(replay.results, "replay", output)
    threshold = 0.0 if min_agree is None else min_agree
    output.result(render_replays(replay.threads, output.format, threshold))
    output.summary(replay_summary(replay.threads))
    sys.exit(1 if any(thread.agreement < threshold for thread in replay.threads) else 0)


def _invalid(results: list[SpecResult], command: str, output: Output) -> NoReturn:
    output.result(render([d for r in results for d in r.diagnostics], output.format))
    output.problem(f"fix the specs above, then run `agentgen {command}` again")
    sys.exit(1)
