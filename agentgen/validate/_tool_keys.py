"""Checks of the keys that change what a tool is: `terminal`, `summary`, `agent`, `timeout`,
state `system`."""

from __future__ import annotations

import jinja2
from jinja2 import nodes

from agentgen.spec.hints import did_you_mean
from agentgen.spec.model import Spec, ToolSection
from agentgen.validate._positions import Path, PositionMap
from agentgen.validate._problems import Problem
from agentgen.validate._templates import check_template

# What a summary template sees: the call being approved, as `call.<param>`.
CALL_VARIABLE = "call"


def check_tool_keys(spec: Spec, text: str, positions: PositionMap) -> list[Problem]:
    """Keys that contradict each other, and the templates of summaries and state prompts."""
    problems = []
    for name, tool in spec.tools.items():
        path = ("tools", name)
        problems += _terminal_keys(name, tool, path) + _sub_agent_keys(name, tool, path)
        problems += _timeout_keys(name, tool, path)
        if tool.summary is not None:
            problems += _summary(name, tool, path, text, positions)
    for name, human in spec.humans.items():
        if human.on_timeout is not None and human.timeout is None:
            problems.append(_on_timeout_alone(("humans", name)))
    for name, state in spec.states.items():
        if state.system is not None:
            where = ("states", name, "system")
            variables = set(spec.prompts.vars) | set(spec.prompts.step_vars)
            problems += check_template(state.system, where, variables, text, positions)
    return problems


def _terminal_keys(name: str, tool: ToolSection, path: Path) -> list[Problem]:
    """A terminal tool ends the thread: nothing runs, so nothing returns or waits for approval."""
    if not tool.terminal:
        return []
    clashes = {
        "returns": tool.returns is not None,
        "approval": tool.approval != "never",
        "agent": tool.agent is not None,
    }
    return [
        Problem(
            path + (key,),
            "AG036",
            f"terminal tool '{name}' has no handler, so it cannot have {key}",
            "remove it, or drop terminal = true",
            at="key",
        )
        for key, clash in clashes.items()
        if clash
    ]


def _summary(
    name: str, tool: ToolSection, path: Path, text: str, positions: PositionMap
) -> list[Problem]:
    assert tool.summary is not None
    where = path + ("summary",)
    problems = check_template(tool.summary, where, {CALL_VARIABLE}, text, positions)
    if not problems:
        problems = _unknown_call_args(tool.summary, tool, where)
    if tool.approval == "never":
        message = f"tool '{name}' never needs approval, so no one reads its summary"
        hint = 'add approval = "always" or a { when = "..." }, or remove the summary'
        problems.append(Problem(where, "AG036", message, hint, at="key"))
    return problems


def _unknown_call_args(summary: str, tool: ToolSection, where: Path) -> list[Problem]:
    """`call.<name>` must name a param: the summary is rendered from the call's args."""
    tree = jinja2.Environment().parse(summary)  # already checked: it parses
    problems = []
    for node in tree.find_all(nodes.Getattr):
        on_call = isinstance(node.node, nodes.Name) and node.node.name == CALL_VARIABLE
        if on_call and node.attr not in tool.params:
            known = ", ".join(tool.params) or "none"
            hint = did_you_mean(node.attr, tool.params) or f"its params are: {known}"
            message = f"summary reads call.{node.attr}, but the tool has no param '{node.attr}'"
            problems.append(Problem(where, "AG030", message, hint))
    return problems


def terminal_problem(spec: Spec, tool: str, path: Path, use: str) -> Problem | None:
    """A transition or `from` rule on a terminal tool: it never succeeds, it ends the thread."""
    if tool not in spec.tools or not spec.tools[tool].terminal:
        return None
    message = f"{use} on terminal tool '{tool}': choosing it ends the thread"
    return Problem(path, "AG036", message, "use a tool with a handler", at="key")


def _sub_agent_keys(name: str, tool: ToolSection, path: Path) -> list[Problem]:
    """A sub-agent's result is its child's final answer: a `returns` would contradict it."""
    if tool.agent is None or tool.returns is None:
        return []
    message = f"sub-agent tool '{name}' returns what its agent ends with, so it cannot have returns"
    return [Problem(path + ("returns",), "AG036", message, "remove returns", at="key")]


def _timeout_keys(name: str, tool: ToolSection, path: Path) -> list[Problem]:
    """A timeout bounds a wait for a person: a call that never waits has nothing to bound."""
    if tool.timeout is not None and tool.approval == "never":
        message = f"tool '{name}' never waits for approval, so it cannot time out"
        hint = 'add approval = "always" or a { when = "..." }, or remove the timeout'
        return [Problem(path + ("timeout",), "AG053", message, hint, at="key")]
    if tool.on_timeout is not None and tool.timeout is None:
        return [_on_timeout_alone(path)]
    return []


def _on_timeout_alone(path: Path) -> Problem:
    message = "on_timeout says what happens after the timeout, but there is no timeout"
    return Problem(path + ("on_timeout",), "AG053", message, 'add timeout = "24h"', at="key")
