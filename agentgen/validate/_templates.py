"""Check the Jinja2 prompt templates: syntax, and that every variable is declared."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import jinja2
from jinja2 import meta
from jinja2.lexer import Token, TokenStream
from jinja2.parser import Parser

from agentgen.spec.hints import did_you_mean
from agentgen.validate._positions import Path, PositionMap, position_in_string
from agentgen.validate._problems import Problem

_ENVIRONMENT = jinja2.Environment(autoescape=False)
# The variable the agent itself gives the next_step prompt: declaring it is an error elsewhere.
THREAD_VARIABLE = "thread"


@dataclass(frozen=True)
class _Lexeme:
    """One token jinja's lexer reads, with where it starts in the template."""

    offset: int
    lineno: int
    kind: str
    text: str


def check_template(
    value: str, path: Path, declared: Collection[str], source: str, positions: PositionMap
) -> list[Problem]:
    """Syntax errors and undeclared variables, each at its place in the file."""

    def pinned(offset: int, code: str, message: str, hint: str | None = None) -> Problem:
        where = position_in_string(source, positions, path, value, offset)
        return Problem(path, code, message, hint, pinned=where)

    try:
        tree = _ENVIRONMENT.parse(value)
    except jinja2.TemplateSyntaxError as error:
        message = "invalid template: " + _lower(re.sub(r" at \d+$", "", error.message or "?"))
        return [pinned(_error_offset(value, error), "AG040", message)]
    except RecursionError:
        return [Problem(path, "AG040", "invalid template: it is nested too deeply")]
    lexed = _lex(value)
    lexemes = lexed[0] if lexed is not None else []
    problems = []
    for name in sorted(meta.find_undeclared_variables(tree) - set(declared)):
        message = f"undeclared template variable '{name}'"
        hint = _undeclared_hint(name, declared)
        problems.append(pinned(_name_offset(lexemes, name), "AG041", message, hint))
    return problems


def uses_variable(value: str, name: str) -> bool:
    """Whether a template reads a variable (an unparsable one is reported elsewhere)."""
    try:
        return name in meta.find_undeclared_variables(_ENVIRONMENT.parse(value))
    except (jinja2.TemplateSyntaxError, RecursionError):
        return True


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
