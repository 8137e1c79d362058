"""Settings read from the environment: a number of seconds, checked with one wording."""

from __future__ import annotations

import math
import os

from ._base import ConfigurationError

MAX_SECONDS = 3600.0
"""No interval the runtime reads waits longer than an hour: more is a typo."""


def env_seconds(name: str, default: float) -> float:
    """$name as seconds above 0 and at most an hour, else `default` when unset or blank."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise ConfigurationError(f"{name} must be seconds above 0 (at most 3600), not {text!r}")
    return value
