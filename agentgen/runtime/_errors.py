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
    problems = []
    for detail in error.errors(include_url=False):
        path = ".".join(str(part) for part in detail["loc"])
        problems.append(f"{path}: {detail['msg']}" if path else detail["msg"])
    return f"{error.title}: {'; '.join(problems)}"
