"""Identifiers for threads and calls."""

from __future__ import annotations

import uuid


def new_id(prefix: str) -> str:
    """`prefix` followed by 24 random hex characters, e.g. "call_3f9c…"."""
    return prefix + uuid.uuid4().hex[:24]
