"""The cases' outcomes as text, JSON, GitHub annotations or JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from agentgen.diagnostics import Diagnostic, Severity
from agentgen.testing._suite import CaseReport

FORMATS = ("text", "json", "github", "junit")
LABELS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


def render_cases(
    cases: list[CaseReport], output_format: str, min_pass: float, verbosity: int = 0
) -> str:
    """All cases in one format; text has a line per case and its problems indented (with -q,
    verbosity -1, the failed cases only)."""
    if output_format == "text" and verbosity < 0:
        cases = [case for case in cases if case.verdict(min_pass) == "failed"]
    if output_format == "json":
        return json.dumps([_json(case, min_pass) for case in cases], indent=2)
    if output_format == "junit":
        return _junit(cases, min_pass)
    if output_format == "github":
        return "\n".join(_github(case, min_pass) for case in cases)
    return "\n".join(_text(case, min_pass) for case in cases)


def summary(cases: list[CaseReport], min_pass: float) -> str:
    """`3 passed, 1 failed, 2 skipped`: the line that ends a run."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for case in cases:
        counts[case.verdict(min_pass)] += 1
    if not cases:
        return "no test cases found: add [[tests]] to a spec"
    return ", ".join(f"{number} {verdict}" for verdict, number in counts.items() if number)


def _title(case: CaseReport) -> str:
    return f"{case.agent}: {case.name}"


def _text(case: CaseReport, min_pass: float) -> str:
    head = f"{LABELS[case.verdict(min_pass)]} {_title(case)}"
    if case.skipped is not None:
        return f"{head} ({case.skipped})"
    head += f" ({_figures(case)})"
    return "\n".join([head, *(f"    {problem}" for problem in _problems(case))])


def _figures(case: CaseReport) -> str:
    seconds = sum(run.seconds for run in case.runs)
    parts = [f"{seconds:.2f} s"]
    if case.live:
        passed = sum(1 for run in case.runs if run.verdict == "passed")
        parts.insert(0, f"{passed}/{len(case.runs)} runs passed")
        calls = sum(run.model_calls for run in case.runs)
        cached = sum(run.cached_calls for run in case.runs)
        tokens = sum(run.tokens for run in case.runs)
        about = "~" if any(run.estimated for run in case.runs) else ""
        parts.append(f"{calls} model calls, {cached} cached, {about}{tokens:,} tokens")
    return ", ".join(parts)


def _problems(case: CaseReport) -> list[str]:
    """Each failing run's problems, numbered by run when there were several."""
    lines = []
    for number, run in enumerate(case.runs, 1):
        prefix = f"run {number}: " if len(case.runs) > 1 else ""
        lines += [f"{prefix}{problem}" for problem in run.problems]
    return lines


def _json(case: CaseReport, min_pass: float) -> dict[str, Any]:
    return {
        "file": case.file,
        "line": case.line,
        "agent": case.agent,
        "name": case.name,
        "live": case.live,
        "verdict": case.verdict(min_pass),
        "skipped": case.skipped,
        "pass_rate": None if case.skipped else case.pass_rate,
        "runs": [
            {
                "verdict": run.verdict,
                "problems": list(run.problems),
                "seconds": round(run.seconds, 4),
                "model_calls": run.model_calls,
                "cached_calls": run.cached_calls,
                "tokens": run.tokens,
                "tokens_estimated": run.estimated,
            }
            for run in case.runs
        ],
    }


def _github(case: CaseReport, min_pass: float) -> str:
    verdict = case.verdict(min_pass)
    if verdict == "passed":
        return f"{_title(case)}: passed"
    text = case.skipped or "; ".join(_problems(case))
    severity: Severity = "warning" if verdict == "skipped" else "error"
    message = f"test '{case.name}' {verdict}: {text}"
    annotation = Diagnostic(case.file, case.line, 1, "agentgen test", message, None, severity)
    return annotation.github()


def _junit(cases: list[CaseReport], min_pass: float) -> str:
    suites = ET.Element("testsuites")
    for file in dict.fromkeys(case.file for case in cases):
        mine = [case for case in cases if case.file == file]
        suite = ET.SubElement(suites, "testsuite", name=file, tests=str(len(mine)))
        verdicts = [case.verdict(min_pass) for case in mine]
        suite.set("failures", str(verdicts.count("failed")))
        suite.set("skipped", str(verdicts.count("skipped")))
        for case, verdict in zip(mine, verdicts, strict=True):
            _junit_case(suite, case, verdict)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def _junit_case(suite: ET.Element, case: CaseReport, verdict: str) -> None:
    seconds = f"{sum(run.seconds for run in case.runs):.3f}"
    element = ET.SubElement(
        suite, "testcase", name=case.name, classname=case.agent, file=case.file, time=seconds
    )
    element.set("line", str(case.line))
    if verdict == "skipped":
        ET.SubElement(element, "skipped", message=case.skipped or "")
    elif verdict == "failed":
        problems = _problems(case)
        failure = ET.SubElement(element, "failure", message=problems[0] if problems else "")
        failure.text = "\n".join(problems)
