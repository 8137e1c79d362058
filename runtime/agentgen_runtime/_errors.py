"""Short, one-line error texts for thread events (factor 9: compact errors into the context)."""

from __future__ import annotations

from pydantic import ValidationError

ELLIPSIS = "…"


def one_line(text: str, limit: int) -> str:
    """`text` with whitespace runs collapsed to one space, cut to `limit` characters with "…"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: max(limit - 1, 0)] + ELLIPSIS


def compact_error(error: BaseException, limit: int = 300) -> str:
    """The error as "Type: message" on one line, at most `limit` characters."""
    name = type(error).__name__
    message = _validation_text(error) if isinstance(error, ValidationError) else str(error)
    return one_line(f"{name}: {message}" if message.strip() else name, limit)


def _validation_text(error: ValidationError) -> str:
    """pydantic's errors as "Model: field: problem; ...", without its URLs and input echoes."""
    details = error.errors(include_url=False)
    problems = "; ".join(problem_text(detail["loc"], detail["msg"]) for detail in details)
    return f"{error.title}: {problems}"


def problem_text(loc: tuple[int | str, ...], message: str) -> str:
    """One pydantic problem as "path.to.field: message" (the message alone at the root)."""
    path = ".".join(str(part) for part in loc)
    return f"{path}: {message}" if path else message
