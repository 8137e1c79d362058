"""What every command shares: -q/-v, --color and --format, and how each prints through them.

Results go to stdout in the chosen format; summaries and hints go to stderr, in text only,
and not with -q. Colour is on for a terminal unless NO_COLOR is set (https://no-color.org).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

FORMATS = ("text", "json", "github")
COLORS = ("auto", "always", "never")
R = TypeVar("R")


@dataclass(frozen=True)
class Output:
    """How a command prints: its format, how much it says, and whether in colour."""

    format: str = "text"
    verbosity: int = 0
    """-1 with -q, 0 by default, 1 or more with -v."""
    color: bool | None = None
    """None: click decides (colour on a terminal only)."""

    @property
    def text(self) -> bool:
        return self.format == "text"

    def result(self, text: str, *, nl: bool = True) -> None:
        """What the command produces (stdout, in every format and verbosity)."""
        click.echo(text, nl=nl, color=self.color)

    def detail(self, text: str) -> None:
        """A line shown with -v only (stdout, text format)."""
        if self.text and self.verbosity > 0:
            click.echo(text, color=self.color)

    def summary(self, text: str) -> None:
        """The closing line or a hint (stderr, text format, not with -q)."""
        if self.text and self.verbosity >= 0:
            click.echo(text, err=True, color=self.color)

    def problem(self, text: str) -> None:
        """Why the command fails (stderr, text format, even with -q)."""
        if self.text:
            click.echo(text, err=True, color=self.color)

    def diff(self, text: str) -> None:
        """A unified diff, coloured by line on a terminal."""
        if text:
            self.result("".join(_styled(line) for line in text.splitlines(True)), nl=False)


def _styled(line: str) -> str:
    if line.startswith(("+++", "---")):
        return click.style(line, bold=True)
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    return line


def color_choice(choice: str) -> bool | None:
    """--color as click's `color`: never, always, or (auto) a terminal without NO_COLOR."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return None


def output_options(
    formats: tuple[str, ...] = FORMATS,
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """-q/-v, --color and --format on a command, handed to it as `output: Output`."""

    def decorate(command: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> R:
            quiet, verbose = kwargs.pop("quiet"), kwargs.pop("verbose")
            if quiet and verbose:
                raise click.UsageError("-q and -v cannot be used together")
            verbosity = -1 if quiet else verbose
            output = Output(
                kwargs.pop("output_format"), verbosity, color_choice(kwargs.pop("color"))
            )
            return command(*args, output=output, **kwargs)

        options = [
            click.option("-q", "--quiet", is_flag=True, help="Print only results and errors."),
            click.option("-v", "--verbose", count=True, help="Say more (generate: every file)."),
            click.option(
                "--color",
                type=click.Choice(COLORS),
                default="auto",
                show_default=True,
                help="Colour: on a terminal unless NO_COLOR is set (auto), always, or never.",
            ),
            click.option(
                "--format",
                "output_format",
                type=click.Choice(formats),
                default="text",
                show_default=True,
                help="json for tools; github for GitHub Actions annotations.",
            ),
        ]
        for option in reversed(options):
            run = option(run)
        return run

    return decorate
