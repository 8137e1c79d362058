"""Validate spec files: every problem, from TOML syntax to cross-references, as a diagnostic."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentgen.diagnostics import Diagnostic, has_errors, sort_diagnostics
from agentgen.spec.model import Spec
from agentgen.validate._problems import Problem
from agentgen.validate._salvage import salvaged_spec
from agentgen.validate._semantics import check_semantics
from agentgen.validate._source import Source, parse_source, read_source
from agentgen.validate._structure import check_structure

__all__ = ["SpecResult", "validate_bytes", "validate_file"]


@dataclass(frozen=True)
class SpecResult:
    """The outcome of validating one file: the spec when it is valid, and all diagnostics."""

    name: str
    spec: Spec | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return self.spec is not None


def validate_file(path: Path, name: str | None = None) -> SpecResult:
    """Validate one spec file; `name` is how diagnostics refer to it (default: the path)."""
    shown = name if name is not None else path.as_posix()
    return _validate_source(shown, read_source(path, shown))


def validate_bytes(raw: bytes, name: str) -> SpecResult:
    """Validate a spec's bytes, as if read from a file called `name`."""
    return _validate_source(name, parse_source(raw, name))


def _validate_source(name: str, source: Source | Diagnostic) -> SpecResult:
    if isinstance(source, Diagnostic):
        return SpecResult(name, None, [source])
    checked = check_structure(source.data)
    if isinstance(checked, list):
        problems = checked + _past_structure(source, checked)
    else:
        problems = check_semantics(checked, source.text, source.positions)
    diagnostics = sort_diagnostics(p.locate(name, source.positions) for p in problems)
    spec = None if has_errors(diagnostics) or isinstance(checked, list) else checked
    return SpecResult(name, spec, diagnostics)


def _past_structure(source: Source, problems: list[Problem]) -> list[Problem]:
    """The problems the rest of the spec has, so that one run reports them all."""
    salvaged = salvaged_spec(source.data, problems)
    if salvaged is None:
        return []
    found = check_semantics(salvaged.spec, source.text, source.positions)
    return [problem for problem in found if not salvaged.repeats_a_cut(problem)]
