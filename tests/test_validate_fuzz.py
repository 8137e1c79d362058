"""A seeded mutation fuzz of the example specs: validate answers every case with diagnostics.

Each case mutates one example spec one to three times (lines deleted, duplicated, swapped or cut,
random bytes, huge numbers, deep nesting, template payloads) and validates it in-process. No case
may raise, every diagnostic points inside the file (and at 1:1 only when the whole file is at
fault, or something is written there), no case may run past CASE_TIMEOUT_S (an alarm stops it),
and memory may not grow by more than MAX_GROWTH_MB.
"""

from __future__ import annotations

import random
import re
import resource
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from agentgen.diagnostics import Diagnostic
from agentgen.spec.model import PromptsSection
from agentgen.validate import validate_bytes

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted([*(ROOT / "specs").glob("*.toml"), *(ROOT / "tests" / "specs").glob("*.toml")])
SEED = 20_240_612
CASES = 2_000
CASE_TIMEOUT_S = 10
MAX_GROWTH_MB = 300
# Diagnostics about the whole file, at 1:1 by design.
WHOLE_FILE_CODES = frozenset({"AG004", "AG011"})

Lines = list[bytes]
Mutation = Callable[[random.Random, Lines], Lines]

_NUMBERS = [
    "1" * 5000,
    "-" + "9" * 4301,
    "+" + "1_2" * 2200,
    "7" * 4300,
    "1" * 4000,
    "0x" + "f" * 5000,
    "0o" + "7" * 5000,
    "1e99999",
    "-1." + "5" * 5000,
    "9" * 20,
    "nan",
    "-inf",
]
_PAYLOADS = [
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ '{0.__class__}'.format(1) }}",
    "{{ x | attr('__dict__') }}",
    "{{ 10**5000 }}",
    "{{ 'a' * 10**9 }}",
    "{{ 'a' * 10**10 }}",
    "{{ [1] * 10**8 }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ 'x' | center(999999999) }}",
    "{{ 2 ** 2 ** 2 ** 2 ** 2 ** 2 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{{ (10 ** 4000) * (10 ** 4000) }}",
    "{{ " + "1" * 5000 + " }}",
    "{{ " + "(" * 400 + "1" + ")" * 400 + " }}",
    "{{ " + " + ".join(["1"] * 3000) + " }}",
    "{{ " + "[" * 300 + "]" * 300 + " }}",
    "{% for x in y %}",
    "{% if %}",
    "{{ x | nofilter }}",
    "{% if x is nope %}{% endif %}",
    "{% raw %}",
    "{#",
    "{{",
    "{% extends 'base' %}{% block b %}{% endblock %}",
    "{% block b %}{% endblock %}{% block b %}{% endblock %}",
    "{% if x %}{% extends 'base' %}{% endif %}{% for loop in x %}{% endfor %}",
    "{% macro m(a=10**5000) %}{{ caller() }}{% endmacro %}",
    "{% set ns = namespace(a=1) %}{{ joiner() }}",
    "{% filter upper %}{{ 'a' * 10**9 }}{% endfilter %}",
    "{{ range(10) | join }}{{ dict(a=1) }}",
    "{{ 0x" + "f" * 5000 + " }}",
    # Allowed, and must then compile as prompts.py compiles it:
    "{{ 2 ** 64 }}{{ '-' * 40 }}{{ 10 ** 4299 }}",
    "{{ 'ab' * 50000 }}",
    "{{ ('a' * 50000) ~ ('b' * 40000) }}",
    "{{ '%05d' % 3 }}{{ 'x' | center(80) }}{{ [1, 2] | join(', ') }}",
    "{% if 3 is odd %}{{ -1 }}{% endif %}{{ 'x' if true else 'y' }}",
    "\\r\\n{{ x }}\\r{{ y.__class__ }}",
]
_WHENS = [
    "b == 0x" + "f" * 5000,
    "b == " + "1" * 5000,
    "b in [" + ", ".join(["0o7" * 10] * 200) + "]",
    "(" * 400 + "b" + ")" * 400,
    "b == 1e99999 or not not not b",
    "__import__('os').system('id')",
    "b" + ".a" * 1000,
]


def _pick(rng: random.Random, lines: Lines) -> int:
    return rng.randrange(len(lines)) if lines else 0


def _delete(rng: random.Random, lines: Lines) -> Lines:
    index = _pick(rng, lines)
    return lines[:index] + lines[index + 1 :]


def _duplicate(rng: random.Random, lines: Lines) -> Lines:
    index = _pick(rng, lines)
    return lines[: index + 1] + lines[index:]


def _swap(rng: random.Random, lines: Lines) -> Lines:
    if len(lines) < 2:
        return lines
    a, b = rng.sample(range(len(lines)), 2)
    swapped = list(lines)
    swapped[a], swapped[b] = swapped[b], swapped[a]
    return swapped


def _cut(rng: random.Random, lines: Lines) -> Lines:
    text = b"\n".join(lines)
    return text[: rng.randrange(len(text) + 1)].split(b"\n")


def _random_bytes(rng: random.Random, lines: Lines) -> Lines:
    """Insert random bytes, or (as often) random printable ASCII, which still decodes."""
    text = b"\n".join(lines)
    at = rng.randrange(len(text) + 1)
    alphabet = range(256) if rng.random() < 0.5 else range(32, 127)
    junk = bytes(rng.choice(alphabet) for _ in range(rng.randrange(1, 64)))
    return (text[:at] + junk + text[at:]).split(b"\n")


def _huge_number(rng: random.Random, lines: Lines) -> Lines:
    """Replace a value with a number of any size, or add a key holding one."""
    number = rng.choice(_NUMBERS).encode()
    values = [i for i, line in enumerate(lines) if b" = " in line and not line.startswith(b"#")]
    if not values or rng.random() < 0.3:
        return [*lines[:1], b"max_turns = " + number, *lines[1:]]
    index = rng.choice(values)
    key = lines[index].split(b" = ", 1)[0]
    return [*lines[:index], key + b" = " + number, *lines[index + 1 :]]


def _deep_nesting(rng: random.Random, lines: Lines) -> Lines:
    depth = rng.choice([63, 64, 65, 200, 3000])
    shapes = [
        b"deep = " + b"[" * depth + b"]" * depth,
        b"deep = " + b"{ a = " * depth + b"1" + b" }" * depth,
        b"[" + b".".join([b"a"] * depth) + b"]",
        b"[tools.deep.params]\n" + b".".join([b"p"] * depth) + b' = "string"',
    ]
    index = _pick(rng, lines)
    return [*lines[:index], rng.choice(shapes), *lines[index:]]


def _template_payload(rng: random.Random, lines: Lines) -> Lines:
    """Put a template payload into a prompt (most often), or into any string value."""
    payload = rng.choice(_PAYLOADS).replace('"', '\\"').encode()
    strings = [i for i, line in enumerate(lines) if b' = "' in line]
    prompts = [i for i in strings if lines[i].startswith((b"system", b"next_step"))]
    pool = prompts if prompts and rng.random() < 0.8 else strings
    if not pool:
        return [*lines, b"[prompts]", b'system = "' + payload + b'"']
    index = rng.choice(pool)
    key, value = lines[index].split(b' = "', 1)
    # After the opening quotes, whether one or three: the string stays well formed.
    quotes = b'"' + b'""' * value.startswith(b'""')
    rest = value[len(quotes) - 1 :]
    return [*lines[:index], key + b" = " + quotes + payload + rest, *lines[index + 1 :]]


_WHEN = re.compile(rb'when = "(?:[^"\\]|\\.)*"')


def _when_payload(rng: random.Random, lines: Lines) -> Lines:
    """Replace an approval's `when` expression, or add a tool with one."""
    written = b'when = "' + rng.choice(_WHENS).replace('"', '\\"').encode() + b'"'
    whens = [i for i, line in enumerate(lines) if _WHEN.search(line)]
    if not whens:
        tool = [b"[tools.fuzzed]", b'description = "d"', b"approval = { " + written + b" }"]
        return [*lines, *tool]
    index = rng.choice(whens)
    replaced = _WHEN.sub(lambda _: written, lines[index], count=1)
    return [*lines[:index], replaced, *lines[index + 1 :]]


MUTATIONS: list[Mutation] = [
    _delete,
    _duplicate,
    _swap,
    _cut,
    _random_bytes,
    _huge_number,
    _deep_nesting,
    _template_payload,
    _when_payload,
]
# Payloads more often: most line edits already end in a TOML syntax error.
WEIGHTS = [1, 1, 1, 1, 1, 2, 1, 4, 2]


@dataclass
class _Case:
    index: int
    seed_name: str
    mutations: list[str]
    raw: bytes


def _cases() -> Iterator[_Case]:
    rng = random.Random(SEED)
    seeds = [(path.name, path.read_bytes().split(b"\n")) for path in SEEDS]
    for index in range(CASES):
        name, lines = rng.choice(seeds)
        applied = rng.choices(MUTATIONS, weights=WEIGHTS, k=rng.randint(1, 3))
        for mutation in applied:
            lines = mutation(rng, lines)
        yield _Case(index, name, [m.__name__ for m in applied], b"\n".join(lines))


class _Overran(Exception):
    """A case ran past CASE_TIMEOUT_S."""


@contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    def overran(signum: int, frame: FrameType | None) -> None:
        raise _Overran(f"over {seconds} s")

    previous = signal.signal(signal.SIGALRM, overran)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _misplaced(diagnostic: Diagnostic, raw: bytes) -> str | None:
    """Why a diagnostic's position is wrong for this file, if it is."""
    text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    lines = text.split("\n")
    line, column = diagnostic.line, diagnostic.column
    if not 1 <= line <= len(lines) or not 1 <= column <= len(lines[line - 1]) + 1:
        return f"{line}:{column} is outside the file"
    written = lines[0].lstrip()[:1] not in ("", "#")
    if (line, column) == (1, 1) and not written and diagnostic.code not in WHOLE_FILE_CODES:
        return "unpositioned (1:1, where nothing is written)"
    return None


# As the generated prompts.py compiles its templates (import time).
_PROMPTS = ImmutableSandboxedEnvironment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
)


def _compile_errors(prompts: PromptsSection) -> list[str]:
    """What goes wrong compiling a valid spec's prompts like prompts.py does (nothing should)."""
    try:
        with _alarm(CASE_TIMEOUT_S):
            for template in (prompts.system, prompts.next_step):
                _PROMPTS.from_string(template)
    except Exception:
        return ["a valid spec's prompt does not compile: " + traceback.format_exc(limit=-3)]
    return []


def _problems(case: _Case) -> list[str]:
    """Everything wrong with how validate answered one case."""
    try:
        with _alarm(CASE_TIMEOUT_S):
            result = validate_bytes(case.raw, "fuzz.toml")
    except Exception:
        return [traceback.format_exc(limit=-3)]
    found = [] if result.spec is None else _compile_errors(result.spec.prompts)
    for diagnostic in result.diagnostics:
        reason = _misplaced(diagnostic, case.raw)
        if reason is not None:
            found.append(f"{reason}: {diagnostic.text()}")
    return found


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def test_mutated_specs_always_get_positioned_diagnostics() -> None:
    failures: list[str] = []
    timings: list[tuple[float, int]] = []
    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    for case in _cases():
        case_started = time.perf_counter()
        for problem in _problems(case):
            failures.append(f"case {case.index} ({case.seed_name}, {case.mutations}): {problem}")
        timings.append((time.perf_counter() - case_started, case.index))
    total = time.perf_counter() - started
    growth = _peak_rss_mb() - rss_before
    slowest, slowest_case = max(timings)
    print(
        f"\n{CASES} cases in {total:.1f} s; slowest case {slowest_case}: {slowest:.2f} s; "
        f"peak RSS grew {growth:.0f} MB"
    )
    assert failures == []
    assert growth < MAX_GROWTH_MB
