"""Errors a person or a caller can act on: a refused response, an unreadable thread."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ._base import AgentgenError
from ._errors import problem_text

if TYPE_CHECKING:
    from pydantic import ValidationError


class ResponseRefused(AgentgenError, ValueError):
    """A response that does not fit the thread (wrong call_id, nothing pending); nothing changed."""

    http_status = 409

    def __init__(self, message: str, problems: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems: Mapping[str, str] = dict(problems or {})
        """Edited args that do not fit: each problem by its param's path ("amount.currency")."""


class IncompatibleThread(AgentgenError, RuntimeError):
    """A thread written by another spec version, which this agent cannot read."""

    http_status = 409


def edits_refused(intent: str, error: ValidationError) -> ResponseRefused:
    """The refusal of a person's edits that the call's model rejects, with each problem by param."""
    # loc[0] is the union's tag (the intent): the param's own path follows it
    found = [(tuple(problem["loc"][1:]), problem["msg"]) for problem in error.errors()]
    text = "; ".join(problem_text(loc, message) for loc, message in found)
    problems: dict[str, str] = {}
    for loc, message in found:  # a param's first problem is the one shown beside its field
        problems.setdefault(".".join(map(str, loc)), message)
    return ResponseRefused(f"the edited args do not fit '{intent}': {text}", problems)
