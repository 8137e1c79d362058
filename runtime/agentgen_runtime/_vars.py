"""Launch vars are the spec's, by name: a typo is refused, never dropped."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from pydantic import BaseModel

from ._limits import ValueRefused


def check_known_vars(given: Mapping[str, object], model: type[BaseModel]) -> None:
    """Refuse a var `model` (the agent's PromptVars) does not declare, naming the close ones."""
    known = [field.alias or name for name, field in model.model_fields.items()]
    unknown = sorted(name for name in given if name not in known)
    if not unknown:
        return
    close = difflib.get_close_matches(unknown[0], known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    takes = f"its vars are: {', '.join(known)}" if known else "it takes no vars"
    names = ", ".join(f"'{name}'" for name in unknown)
    raise ValueRefused(f"unknown var {names}{hint}; {takes}")
