"""Checks across specs: each sub-agent tool names an agent of another spec, without cycles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from agentgen.diagnostics import Diagnostic, sort_diagnostics
from agentgen.spec.hints import did_you_mean
from agentgen.spec.model import Spec
from agentgen.validate import SpecResult, validate_file
from agentgen.validate._positions import PositionMap, scan_positions


def check_sub_agents(results: list[SpecResult], files: list[Path]) -> list[SpecResult]:
    """The results, with an error on each `agent = "..."` that is unknown or closes a cycle."""
    specs = {r.spec.agent.name: r.spec for r in results if r.spec is not None}
    if any(_missing(spec, specs) for spec in list(specs.values())):
        specs = {**_siblings(files), **specs}
    checked = []
    for result, file in zip(results, files, strict=True):
        found = list(_problems(result.spec, specs)) if result.spec is not None else []
        if not found:
            checked.append(result)
            continue
        positions = scan_positions(file.read_text(encoding="utf-8-sig"))
        diagnostics = [*result.diagnostics, *_located(result.name, positions, found)]
        checked.append(SpecResult(result.name, None, sort_diagnostics(diagnostics)))
    return checked


def _missing(spec: Spec, specs: dict[str, Spec]) -> bool:
    return any(t.agent is not None and t.agent not in specs for t in spec.tools.values())


def _siblings(files: list[Path]) -> dict[str, Spec]:
    """The valid specs beside the given files: a spec given alone may run its neighbours."""
    given = {file.resolve() for file in files}
    found: dict[str, Spec] = {}
    for folder in sorted({file.parent for file in files}):
        for path in sorted(folder.glob("*.toml")):
            result = validate_file(path) if path.resolve() not in given else None
            if result is not None and result.spec is not None:
                found.setdefault(result.spec.agent.name, result.spec)
    return found


def _located(
    name: str, positions: PositionMap, found: list[tuple[str, str, str, str | None]]
) -> Iterator[Diagnostic]:
    for tool, code, message, hint in found:
        where = positions.value(("tools", tool, "agent"))
        yield Diagnostic(name, where.line, where.column, code, message, hint)


def _problems(spec: Spec, specs: dict[str, Spec]) -> Iterator[tuple[str, str, str, str | None]]:
    """(tool, code, message, hint) for each sub-agent tool of `spec` that cannot run."""
    for tool, section in spec.tools.items():
        if section.agent is None:
            continue
        if section.agent not in specs:
            hint = (
                did_you_mean(section.agent, specs) or "add the spec of that agent beside this one"
            )
            message = f"undefined agent '{section.agent}' (no spec here has it)"
            yield tool, "AG030", message, hint
            continue
        cycle = _cycle(spec.agent.name, section.agent, specs)
        if cycle:
            message = f"sub-agents call each other in a cycle: {' -> '.join(cycle)}"
            yield tool, "AG037", message, "an agent cannot run itself, directly or not"
        timed = _timed_calls(specs[section.agent])
        if timed:
            message = (
                f"agent '{section.agent}' has a timeout on {', '.join(timed)}, which a sub-agent's"
                " thread cannot keep yet (its parent would not hear of the timeout)"
            )
            yield tool, "AG053", message, f"remove the timeouts from '{section.agent}'"


def _timed_calls(spec: Spec) -> list[str]:
    """The tools and human contacts of `spec` that have a `timeout`."""
    tools = [name for name, tool in spec.tools.items() if tool.timeout is not None]
    humans = [name for name, human in spec.humans.items() if human.timeout is not None]
    return [f"'{name}'" for name in (*tools, *humans)]


def _cycle(start: str, child: str, specs: dict[str, Spec]) -> list[str]:
    """The path start -> child -> ... -> start through sub-agent tools; [] when there is none."""
    stack = [(child, [start, child])]
    seen: set[str] = set()
    while stack:
        name, path = stack.pop()
        if name == start:
            return path
        if name in seen or name not in specs:
            continue
        seen.add(name)
        for section in specs[name].tools.values():
            if section.agent is not None:
                stack.append((section.agent, [*path, section.agent]))
    return []
