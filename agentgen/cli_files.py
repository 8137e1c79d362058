"""Writing a command's output to the file its `--out` names."""

from __future__ import annotations

from pathlib import Path

import click


class UnwritableOutput(click.ClickException):
    """The `--out` file cannot be written: a usage problem, so exit status 2, on one line."""

    exit_code = 2


def write_output(path: Path, text: str) -> None:
    """Write `text` to `path` as UTF-8 with LF line ends, creating missing folders."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # newline="\n": the same bytes on every platform, so the file can be compared in CI.
        path.write_text(text, encoding="utf-8", newline="\n")
    except OSError as error:
        reason = (error.strerror or type(error).__name__).lower()
        raise UnwritableOutput(f"cannot write '{path.as_posix()}': {reason}") from error
