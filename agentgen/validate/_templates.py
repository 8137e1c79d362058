"""Check the Jinja2 prompt templates: syntax, declared variables, and nothing unsafe.

Templates are only parsed and their trees walked (see _template_tree): never compiled or
rendered, so no constant in them is ever computed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import jinja2
from jinja2 import nodes
from jinja2.lexer import Token, TokenStream
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from agentgen.spec.hints import did_you_mean
from agentgen.spec.numbers import digits_over_limit, too_many_digits
from agentgen.validate._positions import Path, PositionMap, position_in_string
from agentgen.validate._problems import Problem
from agentgen.validate._template_tree import (
    UNSAFE_GLOBALS,
    Anchor,
    Finding,
    free_names,
    huge_constants,
    other_templates,
    unknown_filters,
    unsafe_access,
    unsafe_global,
)


def _environment() -> jinja2.Environment:
    """The generated prompts.py's environment, minus the unsafe globals.

    Without them, jinja's own scoping tells whether a template reads one: it is a free name.
    """
    environment = ImmutableSandboxedEnvironment(autoescape=False)
    globals_ = environment.globals
    environment.globals = {k: v for k, v in globals_.items() if k not in UNSAFE_GLOBALS}
    return environment


_ENVIRONMENT = _environment()
# The variable the agent itself gives the next_step prompt: declaring it is an error elsewhere.
THREAD_VARIABLE = "thread"
_NESTED_TOO_DEEPLY = "invalid template: it is nested too deeply"
# Per template: more would only bury the first ones (and each is looked up among all tokens).
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class _Lexeme:
    """One token jinja's lexer reads, with where it starts in the template."""

    offset: int
    lineno: int
    kind: str
    text: str


@dataclass(frozen=True)
class _Failure:
    """A template that does not parse: why, and where (None: the whole template)."""

    offset: int | None
    message: str


def check_template(
    value: str, path: Path, declared: Collection[str], source: str, positions: PositionMap
) -> list[Problem]:
    """Syntax errors, undeclared variables and unsafe constructs, each at its place in the file."""

    def pinned(offset: int, code: str, message: str, hint: str | None = None) -> Problem:
        where = position_in_string(source, positions, path, value, offset)
        return Problem(path, code, message, hint, pinned=where)

    tree = _parse(value)
    if isinstance(tree, _Failure):
        if tree.offset is None:
            return [Problem(path, "AG040", tree.message)]
        return [pinned(tree.offset, "AG040", tree.message)]
    try:
        findings = _findings(tree)
        undeclared = sorted(free_names(tree, _ENVIRONMENT) - set(declared))
        if not findings and not undeclared:
            return []  # what follows only places problems
        lexemes, findings = _located_findings(value, findings)
    except RecursionError:
        return [Problem(path, "AG040", _NESTED_TOO_DEEPLY)]
    except jinja2.TemplateSyntaxError as error:
        # What jinja's code generator asserts beyond the parser (what it cannot compile).
        message = "invalid template: " + _lower(error.message or "?")
        return [pinned(_line_offset(value, error.lineno), "AG040", message)]
    used: set[int] = set()
    problems = [
        pinned(_anchor_offset(value, lexemes, f.anchor, used), f.code, f.message, f.hint)
        for f in findings[:MAX_PROBLEMS]
    ]
    for name in undeclared[: MAX_PROBLEMS - len(problems)]:
        problems.append(pinned(_name_offset(lexemes, name), *_free_name_problem(name, declared)))
    return problems


def _findings(tree: nodes.Template) -> list[Finding]:
    unknown = unknown_filters(tree, set(_ENVIRONMENT.filters), set(_ENVIRONMENT.tests))
    return [*unsafe_access(tree), *unknown, *other_templates(tree), *huge_constants(tree)]


def _located_findings(value: str, findings: list[Finding]) -> tuple[list[_Lexeme], list[Finding]]:
    """The template's tokens, and the findings again from a tree that says where nodes start.

    jinja's nodes know only their line: parsed from tokens whose "line" is their index, each
    node's `lineno` is the index of a token at or before the one a finding is about.
    Without tokens (`\r` newlines), the findings keep their lines.
    """
    lexed = _lex(value)
    if lexed is None:
        return [], findings
    lexemes = lexed[0]
    numbered = ((index, lexeme.kind, lexeme.text) for index, lexeme in enumerate(lexemes, 1))
    parser = Parser(_ENVIRONMENT, value)  # lexes its first token; replaced below
    parser.stream = TokenStream(_ENVIRONMENT.lexer.wrap(numbered), None, None)
    return lexemes, _findings(parser.parse()) if findings else []


def _free_name_problem(name: str, declared: Collection[str]) -> tuple[str, str, str]:
    """The code, message and hint for a name a template reads but no one gives it."""
    if name in UNSAFE_GLOBALS:
        return ("AG043", *unsafe_global(name))
    message = f"undeclared template variable '{name}'"
    return "AG041", message, _undeclared_hint(name, declared)


def uses_variable(value: str, name: str) -> bool:
    """Whether a template reads a variable (an unparsable one is reported elsewhere)."""
    tree = _parse(value)
    if isinstance(tree, _Failure):
        return True
    try:
        return name in free_names(tree, _ENVIRONMENT)
    except (RecursionError, jinja2.TemplateSyntaxError):
        return True


def _parse(value: str) -> nodes.Template | _Failure:
    """The template's tree (never compiled), or why it has none."""
    try:
        return _ENVIRONMENT.parse(value)
    except jinja2.TemplateSyntaxError as error:
        message = "invalid template: " + _lower(re.sub(r" at \d+$", "", error.message or "?"))
        return _Failure(_error_offset(value, error), message)
    except RecursionError:
        return _Failure(None, _NESTED_TOO_DEEPLY)
    except ValueError:
        # jinja's lexer calls int() on each integer: Python refuses more than 4300 digits.
        return _huge_integer(value)


def _huge_integer(value: str) -> _Failure:
    lexed = _lex(value)
    for lexeme in lexed[0] if lexed is not None else []:
        digits = sum(char.isdigit() for char in lexeme.text)
        if lexeme.kind == "integer" and digits > sys.get_int_max_str_digits():
            return _Failure(lexeme.offset, f"invalid template: {too_many_digits(digits)}")
    limit = sys.get_int_max_str_digits()
    return _Failure(0, f"invalid template: an integer is too large (the limit is {limit} digits)")


def _anchor_offset(value: str, lexemes: list[_Lexeme], anchor: Anchor, used: set[int]) -> int:
    """The first token a finding is about that no other finding took, else its line's start.

    With tokens, `anchor.lineno` is the index of a token at or before it (see above).
    """
    found = [
        lexeme.offset
        for lexeme in lexemes[max(anchor.lineno - 1, 0) :]
        if lexeme.kind == anchor.kind and _spells(lexeme, anchor)
    ]
    for offset in found:
        if offset not in used:
            used.add(offset)
            return offset
    if found:
        return found[0]
    if lexemes:
        return lexemes[min(max(anchor.lineno - 1, 0), len(lexemes) - 1)].offset
    return _line_offset(value, anchor.lineno)


def _spells(lexeme: _Lexeme, anchor: Anchor) -> bool:
    """Whether a token of the anchor's kind is the one the finding is about."""
    if anchor.kind == "string":
        return anchor.text in lexeme.text
    if anchor.kind == "integer":
        # As jinja's lexer reads it: `0x`, `0o` and `0b` literals convert in linear time.
        return digits_over_limit(int(lexeme.text.replace("_", ""), 0)) is not None
    return lexeme.text == anchor.text


def _undeclared_hint(name: str, declared: Collection[str]) -> str:
    if name == THREAD_VARIABLE:
        return "{{ thread }} is only given to the next_step prompt"
    return did_you_mean(name, declared) or f'declare it under [prompts.vars]: {name} = "string"'


def _lex(value: str) -> tuple[list[_Lexeme], int | None] | None:
    """Every token with its offset, and the offset where lexing failed (None if it did not).

    None when offsets cannot be known: the lexer rewrites `\r` newlines.
    """
    lexemes: list[_Lexeme] = []
    position = 0
    try:
        for lineno, kind, text in _ENVIRONMENT.lexer.tokeniter(value, None):
            found = value.find(text, position)
            if found < 0:
                return None
            lexemes.append(_Lexeme(found, lineno, kind, text))
            position = found + len(text)
    except jinja2.TemplateSyntaxError:
        # An unclosed comment or raw block fails right after its opening tag: point at the tag.
        opened = bool(lexemes) and lexemes[-1].kind.endswith("_begin")
        return lexemes, lexemes[-1].offset if opened else position
    return lexemes, None


def _error_offset(value: str, error: jinja2.TemplateSyntaxError) -> int:
    """Where a syntax error is: the lexer's stop, the parser's token, else its line's start."""
    lexed = _lex(value)
    found = None
    if lexed is not None:
        lexemes, failed_at = lexed
        found = failed_at if failed_at is not None else _parser_token_offset(value, lexemes)
    return found if found is not None else _line_offset(value, error.lineno)


def _parser_token_offset(value: str, lexemes: list[_Lexeme]) -> int | None:
    """Run the parser over our own token stream to learn which token it stopped at."""
    located: list[tuple[Token, int]] = []

    def raw() -> Iterator[tuple[int, str, str]]:
        for lexeme in lexemes:
            located.append((Token(0, "", ""), lexeme.offset))
            yield lexeme.lineno, lexeme.kind, lexeme.text

    def wrapped() -> Iterator[Token]:
        for token in _ENVIRONMENT.lexer.wrap(raw()):
            located[-1] = (token, located[-1][1])
            yield token

    try:
        parser = Parser(_ENVIRONMENT, value)  # lexes its first token; replaced below
    except jinja2.TemplateSyntaxError:
        return None
    parser.stream = TokenStream(wrapped(), None, None)
    try:
        parser.parse()
    except ValueError:
        return None
    except jinja2.TemplateSyntaxError:
        current = parser.stream.current
        if current.type == "eof":
            return len(value)
        return next((offset for token, offset in located if token is current), None)
    return None


def _name_offset(lexemes: list[_Lexeme], name: str) -> int:
    """Where a variable is first read: a name token that is not an attribute (`x.name`)."""
    previous = ""
    for lexeme in lexemes:
        if lexeme.kind == "name" and lexeme.text == name and previous != ".":
            return lexeme.offset
        if lexeme.kind != "whitespace":
            previous = lexeme.text
    return 0


def _line_offset(value: str, lineno: int) -> int:
    """Offset of the first character of a 1-based line of the template."""
    offset = 0
    for _ in range(max(lineno, 1) - 1):
        found = value.find("\n", offset)
        if found < 0:
            break
        offset = found + 1
    return offset


def _lower(message: str) -> str:
    return message[:1].lower() + message[1:]
