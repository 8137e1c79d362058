"""Diagnostics as values: every problem agentgen finds in a spec, with its position."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


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
        head = (
            f"{self.file}:{self.line}:{self.column}: {self.severity}[{self.code}]: {self.message}"
        )
        return head if self.hint is None else f"{head}\n    hint: {self.hint}"

    def github(self) -> str:
        """Render as a GitHub Actions workflow annotation."""
        message = self.message if self.hint is None else f"{self.message} (hint: {self.hint})"
        return (
            f"::{self.severity} file={_gh_property(self.file)},line={self.line},"
            f"col={self.column},title={self.code}::{_gh_data(message)}"
        )


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sort by file, then position, then code; drop exact repeats."""
    return sorted(set(diagnostics))


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
