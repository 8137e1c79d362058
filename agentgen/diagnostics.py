"""Diagnostics as values: every problem agentgen finds in a spec, with its position."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "notice"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one file, at a 1-based line and column."""

    file: str
    line: int
    column: int
    code: str
    message: str
    hint: str | None = None
    severity: Severity = "error"

    def text(self) -> str:
        """Render as `file:line:col: error[AGnnn]: message`, hint on the next line."""
        where = f"{_one_line(self.file)}:{self.line}:{self.column}"
        head = f"{where}: {self.severity}[{self.code}]: {_one_line(self.message)}"
        return head if self.hint is None else f"{head}\n    hint: {_one_line(self.hint)}"

    def github(self) -> str:
        """Render as a GitHub Actions workflow annotation."""
        message = self.message if self.hint is None else f"{self.message} (hint: {self.hint})"
        return (
            f"::{self.severity} file={_gh_property(self.file)},line={self.line},"
            f"col={self.column},title={self.code}::{_gh_data(message)}"
        )


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sort by file, then position, then code; drop exact repeats."""
    return sorted(set(diagnostics), key=_sort_key)


def _sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str, str, bool, str, str]:
    # Not the dataclass order: it would compare a hint of None with a string and fail.
    d = diagnostic
    return (
        d.file,
        d.line,
        d.column,
        d.code,
        d.message,
        d.hint is not None,
        d.hint or "",
        d.severity,
    )


def clip(value: str, limit: int = 80) -> str:
    """A value as a message quotes it: on one line, and not a whole megabyte of it."""
    shown = _one_line(value[: limit + 1])
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _one_line(text: str) -> str:
    """Escape newlines and other control characters: one diagnostic stays one line."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """True when any diagnostic is an error (warnings do not fail a run)."""
    return any(d.severity == "error" for d in diagnostics)


def render(diagnostics: list[Diagnostic], output_format: str) -> str:
    """Render diagnostics as `text`, `json` or `github` output."""
    if output_format == "json":
        return json.dumps([asdict(d) for d in diagnostics], indent=2, ensure_ascii=False)
    if output_format == "github":
        return "\n".join(d.github() for d in diagnostics)
    return "\n".join(d.text() for d in diagnostics)


def _gh_data(value: str) -> str:
    """Escape the message part of a workflow command."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(value: str) -> str:
    """Escape a property value of a workflow command."""
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")
