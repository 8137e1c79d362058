"""Integers too long to print: Python's str() refuses more than 4300 digits (quadratic time).

TOML's hexadecimal, octal and binary integers, and template and `when` literals, can hold
such values, and any message or generated code that prints one would fail.
"""

from __future__ import annotations

import math
import sys


def digits_over_limit(value: int) -> int | None:
    """How many decimal digits an integer has when str() would refuse it, else None."""
    limit = sys.get_int_max_str_digits()
    # A cheap bound first: n bits make fewer than n * 0.302 + 1 digits.
    if not limit or value.bit_length() * math.log10(2) < limit - 1 or abs(value) < 10**limit:
        return None
    return math.floor(math.log10(abs(value))) + 1


def too_many_digits(digits: int) -> str:
    """The message for an integer of `digits` digits."""
    limit = sys.get_int_max_str_digits()
    return f"an integer of {digits} digits is too large (the limit is {limit})"
