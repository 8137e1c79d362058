"""Replayed threads as text, JSON, GitHub annotations or JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from agentgen.testing._replay import Decision, ThreadReplay
from agentgen_runtime import call_text


def render_replays(replays: list[ThreadReplay], output_format: str, min_agree: float) -> str:
    """Agreement per thread, naming each decision the model now makes otherwise."""
    if output_format == "json":
        return json.dumps([_json(replay, min_agree) for replay in replays], indent=2)
    if output_format == "junit":
        return _junit(replays, min_agree)
    lines = []
    for replay in replays:
        changed = [_changed(d) for d in replay.decisions if not d.agrees]
        if output_format == "github":
            severity = "error" if replay.agreement < min_agree else "notice"
            text = "; ".join([_head(replay), *changed])
            lines.append(f"::{severity} title=agentgen replay::{text}")
        else:
            lines += [_head(replay), *(f"    {line}" for line in changed)]
    return "\n".join(lines)


def replay_summary(replays: list[ThreadReplay]) -> str:
    """`3 of 4 decisions agree across 2 threads`: the line that ends a replay."""
    decisions = [d for replay in replays for d in replay.decisions]
    agreed = sum(1 for d in decisions if d.agrees)
    threads = f"{len(replays)} thread{'' if len(replays) == 1 else 's'}"
    return f"{agreed} of {len(decisions)} decisions agree across {threads}"


def _head(replay: ThreadReplay) -> str:
    agreed = sum(1 for d in replay.decisions if d.agrees)
    total = len(replay.decisions)
    return f"{replay.thread_id}: {agreed} of {total} decisions agree ({replay.agreement:.0%})"


def _changed(decision: Decision) -> str:
    now = call_text(decision.now)
    if decision.problem is not None:
        now = f"{now}: {decision.problem}"
    return f"event {decision.index}: recorded {call_text(decision.recorded)}; now {now}"


def _json(replay: ThreadReplay, min_agree: float) -> dict[str, Any]:
    return {
        "thread_id": replay.thread_id,
        "agreement": replay.agreement,
        "passed": replay.agreement >= min_agree,
        "decisions": [
            {
                "event": d.index,
                "recorded": d.recorded,
                "now": d.now,
                "problem": d.problem,
                "agrees": d.agrees,
            }
            for d in replay.decisions
        ],
    }


def _junit(replays: list[ThreadReplay], min_agree: float) -> str:
    """A suite per thread and a case per decision; a change fails only under --min-agree."""
    suites = ET.Element("testsuites")
    for replay in replays:
        suite = ET.SubElement(suites, "testsuite", name=replay.thread_id)
        suite.set("tests", str(len(replay.decisions)))
        failing = replay.agreement < min_agree
        changed = [d for d in replay.decisions if not d.agrees]
        suite.set("failures", str(len(changed) if failing else 0))
        for decision in replay.decisions:
            name = f"event {decision.index}: {decision.recorded['intent']}"
            case = ET.SubElement(suite, "testcase", name=name, classname=replay.thread_id)
            if decision.agrees:
                continue
            if failing:
                ET.SubElement(case, "failure", message=_changed(decision))
            else:
                ET.SubElement(case, "system-out").text = _changed(decision)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)
