"""Checks of `[context]`: keys that only act with a budget, and the summary prompt."""

from __future__ import annotations

from agentgen.spec.model import Spec
from agentgen.validate._positions import PositionMap
from agentgen.validate._problems import Problem
from agentgen.validate._templates import THREAD_VARIABLE, check_template, uses_variable

# Keys that say how to compact: without max_tokens, a thread is never compacted.
_COMPACTION_KEYS = ("keep_last", "summarize", "summary_prompt")


def check_context(spec: Spec, text: str, positions: PositionMap) -> list[Problem]:
    """AG059 for a key that has no effect, and the summary prompt's template problems."""
    context = spec.context
    given = context.model_fields_set
    if context.max_tokens is None:
        return [
            _no_effect(key, "there is no max_tokens", "set max_tokens")
            for key in _COMPACTION_KEYS
            if key in given
        ]
    if not context.summarize:
        if "summary_prompt" in given:
            return [_no_effect("summary_prompt", "summarize is false", "set summarize = true")]
        return []
    return _summary_prompt(spec, text, positions)


def _no_effect(key: str, why: str, fix: str) -> Problem:
    message = f"[context] {key} has no effect: {why}"
    return Problem(("context", key), "AG059", message, f"{fix}, or remove {key}", at="key")


def _summary_prompt(spec: Spec, text: str, positions: PositionMap) -> list[Problem]:
    """The summary prompt sees the prompts' variables and `thread`, which it must show."""
    prompt, path = spec.context.summary_prompt, ("context", "summary_prompt")
    variables = set(spec.prompts.vars) | set(spec.prompts.step_vars) | {THREAD_VARIABLE}
    problems = check_template(prompt, path, variables, text, positions)
    if not uses_variable(prompt, THREAD_VARIABLE):
        message = "the summary_prompt must show the events to summarize with {{ thread }}"
        hint = "add {{ thread }} where the events should appear"
        problems.append(Problem(path, "AG042", message, hint, at="key"))
    return problems
