"""Short, one-line error texts for thread events (factor 9: compact errors into the context)."""

from __future__ import annotations

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
    message = str(error)
    return one_line(f"{name}: {message}" if message.strip() else name, limit)
