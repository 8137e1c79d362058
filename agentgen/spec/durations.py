"""Durations in a spec, such as `timeout = "24h"`: days, hours, minutes, seconds, in that order."""

from __future__ import annotations

import re

from pydantic_core import PydanticCustomError

# ASCII digits only: Python's \d also takes fullwidth and Arabic-Indic digits, which the JSON
# Schema's pattern refuses
DURATION_PATTERN = r"^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$"
MAX_DURATION_S = 366 * 86_400  # a year and a day: past that, a pause is an abandoned thread
_UNIT_S = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_PARTS = re.compile(r"([0-9]+)([dhms])")


def duration_seconds(text: str) -> int:
    """The seconds of a duration the spec model already checked (`check_duration`)."""
    return sum(int(count) * _UNIT_S[unit] for count, unit in _PARTS.findall(text))


def check_duration(text: str) -> str:
    """AG053 unless `text` is a duration above zero and at most MAX_DURATION_S."""
    if not text or not re.fullmatch(DURATION_PATTERN, text) or len(text) > 40:
        raise PydanticCustomError(
            "AG053",
            '\'{value}\' is not a duration: write it as "24h", "30m", "90s" or "1d12h"',
            {"value": text[:40]},
        )
    seconds = duration_seconds(text)
    if not 0 < seconds <= MAX_DURATION_S:
        raise PydanticCustomError(
            "AG053",
            "timeout '{value}' must be above 0s and at most 366d",
            {"value": text},
        )
    return text
