"""The `approval.when` expression language: a small, safe subset of Python expressions.

Allowed: comparisons (`==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not in`, `is None`), `and`, `or`,
`not`, literals (strings, numbers, booleans, None, and lists or tuples of them) and the tool's
params by name. It is checked at generate time and emitted as plain Python over the call.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from agentgen.spec.hints import did_you_mean
from agentgen.spec.numbers import digits_over_limit, too_many_digits

_COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_LITERAL_TYPES = (str, int, float, bool, type(None))
_NEWLINE = re.compile(r"\r\n|\r|\n")
# Literals as TOML, JSON or YAML spell them.
_OTHER_LITERALS = {"true": "True", "false": "False", "null": "None", "none": "None"}
_NODE_NAMES = {
    ast.Call: "function calls",
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.BinOp: "arithmetic",
    ast.Lambda: "lambdas",
    ast.NamedExpr: "assignment expressions",
    ast.IfExp: "conditional expressions",
    ast.Dict: "dicts",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.Await: "await",
    ast.Starred: "starred expressions",
}


MAX_PROBLEMS = 20  # per expression; more would only bury the first ones


@dataclass(frozen=True)
class WhenProblem:
    """A problem in a `when` expression, at a 0-based character offset into it."""

    code: str
    offset: int
    message: str
    hint: str | None = None


def check_when(
    expression: str, params: Collection[str], enums: Mapping[str, tuple[Any, ...]] | None = None
) -> list[WhenProblem]:
    """Return every problem of `expression` given the tool's param names (empty when valid)."""
    tree = _parse(expression)
    if isinstance(tree, WhenProblem):
        return [tree]
    checker = _Checker(expression, params, enums or {})
    checker.visit(tree.body)
    return checker.problems


def when_to_python(expression: str, attributes: Mapping[str, str], receiver: str = "call") -> str:
    """Emit a valid expression as Python over `receiver`, e.g. `call.b == 0`.

    The expression is checked again here, so nothing outside the safe subset is ever emitted.
    """
    problems = check_when(expression, attributes)
    if problems:
        raise ValueError(problems[0].message)
    tree = _parse(expression)
    assert not isinstance(tree, WhenProblem)
    rewritten = _Qualify(attributes, receiver).visit(tree)
    return ast.unparse(ast.fix_missing_locations(rewritten))


def _parse(expression: str) -> ast.Expression | WhenProblem:
    """Parse as one Python expression; a syntax error becomes a problem."""
    text = expression.strip()
    shift = _leading_space(expression)
    if not text:
        return WhenProblem("AG060", 0, "invalid when expression: it is empty")
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as error:
        return _syntax_problem(text, error, shift)
    except (ValueError, RecursionError, MemoryError):
        return WhenProblem("AG060", shift, "invalid when expression: it cannot be parsed")


def _syntax_problem(text: str, error: SyntaxError, shift: int) -> WhenProblem:
    """Point at the offending character; Python reports offset 0 when the text ends too early."""
    if not error.offset or not error.lineno:
        message = "invalid when expression: it ends too early"
        return WhenProblem("AG060", shift + len(text), message, _multi_line_hint(text))
    offset = _line_start(text, error.lineno) + error.offset - 1
    for written, hint in _SYNTAX_HINTS:
        start = text.rfind(written, 0, offset + 1)
        if start >= 0 and start + len(written) > offset and _alone(text, start, written):
            message = f"invalid when expression: unexpected '{written}'"
            return WhenProblem("AG060", shift + start, message, hint)
    reason = re.sub(r" \(detected at line \d+\)$", "", error.msg)
    message = f"invalid when expression: {reason}"
    return WhenProblem("AG060", shift + offset, message, _multi_line_hint(text))


# Other languages' operators, which people write out of habit.
_SYNTAX_HINTS = (
    ("&&", "use 'and' instead of '&&'"),
    ("||", "use 'or' instead of '||'"),
    ("!", "use 'not' instead of '!'"),
    ("=", "use '==' to compare"),
)


def _alone(text: str, start: int, written: str) -> bool:
    """Whether `written` at `start` is not part of a longer operator (`==`, `!=`, `<=`)."""
    before = text[start - 1 : start] if start else ""
    after = text[start + len(written) : start + len(written) + 1]
    return before not in ("=", "!", "<", ">") and after != "="


def _multi_line_hint(text: str) -> str | None:
    return "wrap a multi-line expression in parentheses" if _NEWLINE.search(text) else None


def _line_start(text: str, lineno: int) -> int:
    """Offset of the first character of a 1-based line of `text` (its end if there is none)."""
    starts = [0] + [match.end() for match in _NEWLINE.finditer(text)]
    return starts[lineno - 1] if 0 < lineno <= len(starts) else len(text)


class _Offsets:
    """Character offsets of AST nodes; `col_offset` counts UTF-8 bytes, not characters."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [match.end() for match in _NEWLINE.finditer(text)]
        self.lines = _NEWLINE.split(text)

    def of(self, node: ast.AST) -> int:
        lineno, column = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        if not 0 < lineno <= len(self.lines):
            return self.starts[-1]
        line = self.lines[lineno - 1]
        return self.starts[lineno - 1] + len(line.encode()[:column].decode(errors="ignore"))


def _leading_space(expression: str) -> int:
    return len(expression) - len(expression.lstrip())


class _Checker(ast.NodeVisitor):
    """Collect every construct outside the allowed subset."""

    def __init__(
        self, expression: str, params: Collection[str], enums: Mapping[str, tuple[Any, ...]]
    ) -> None:
        self.enums = enums
        self.offsets = _Offsets(expression.strip())
        self.shift = _leading_space(expression)
        self.params = params
        self.problems: list[WhenProblem] = []

    def report(self, node: ast.AST, code: str, message: str, hint: str | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            offset = self.offsets.of(node) + self.shift
            self.problems.append(WhenProblem(code, offset, message, hint))

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        for value in node.values:
            self.visit(value)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not) or _is_signed_number(node):
            self.visit(node.operand)
        else:
            self.report(node, "AG062", "not allowed in a when expression: arithmetic")

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            if isinstance(op, ast.Is | ast.IsNot) and not _is_none(left) and not _is_none(right):
                self.report(node, "AG062", "'is' compares only with None here", "use '==' instead")
            elif not isinstance(op, (*_COMPARISONS, ast.Is, ast.IsNot)):
                self.report(node, "AG062", "unsupported comparison")
            else:
                self._check_enum(left, right)
                self._check_enum(right, left)
        for operand in operands:
            self.visit(operand)

    def _check_enum(self, name: ast.expr, other: ast.expr) -> None:
        """A literal compared with an enum param must be one of its values (else never true)."""
        if not isinstance(name, ast.Name) or name.id not in self.enums:
            return
        values = self.enums[name.id]
        literals = other.elts if isinstance(other, ast.List | ast.Tuple | ast.Set) else [other]
        for literal in literals:
            if _is_huge(literal):
                continue  # reported on its own, and it cannot be shown
            if isinstance(literal, ast.Constant) and literal.value not in values:
                shown = ", ".join(repr(v) for v in values)
                message = f"{literal.value!r} is not a value of '{name.id}' (one of: {shown})"
                hint = did_you_mean(str(literal.value), [str(v) for v in values])
                self.report(literal, "AG063", message, hint)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id not in self.params:
            message = f"unknown name '{node.id}' in when expression"
            self.report(node, "AG061", message, self._name_hint(node.id))

    def _name_hint(self, name: str) -> str:
        literal = _OTHER_LITERALS.get(name.lower())
        if literal is not None:
            return f"write {literal}"
        if not self.params:
            return "the tool has no params"
        known = ", ".join(sorted(self.params))
        return did_you_mean(name, self.params) or f"the tool's params are: {known}"

    def visit_Constant(self, node: ast.Constant) -> None:
        digits = digits_over_limit(node.value) if isinstance(node.value, int) else None
        if digits is not None:
            # Hexadecimal literals parse however long; the generated code could not print one.
            self.report(node, "AG060", f"invalid when expression: {too_many_digits(digits)}")
        elif not isinstance(node.value, _LITERAL_TYPES):
            self.report(
                node,
                "AG062",
                f"not allowed in a when expression: {type(node.value).__name__} literals",
            )

    def visit_List(self, node: ast.List) -> None:
        self._literal_items(node.elts)

    def visit_Tuple(self, node: ast.Tuple) -> None:
        self._literal_items(node.elts)

    def visit_Set(self, node: ast.Set) -> None:
        self._literal_items(node.elts)

    def _literal_items(self, items: list[ast.expr]) -> None:
        for item in items:
            if isinstance(item, ast.Constant) or _is_signed_number(item):
                self.visit(item)
            else:
                self.report(item, "AG062", "collections in a when expression hold literals only")

    def generic_visit(self, node: ast.AST) -> None:
        what = _NODE_NAMES.get(type(node), type(node).__name__)
        self.report(node, "AG062", f"not allowed in a when expression: {what}")


def _is_signed_number(node: ast.expr) -> bool:
    """`-1` or `+2.5`: a literal, though Python parses it as an operator on a constant."""
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
        and not isinstance(node.operand.value, bool)
    )


def _is_huge(node: ast.expr) -> bool:
    """An integer literal too long to print."""
    value = node.value if isinstance(node, ast.Constant) else None
    return isinstance(value, int) and digits_over_limit(value) is not None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


class _Qualify(ast.NodeTransformer):
    """Turn each param name into an attribute of the call: `b` -> `call.b`."""

    def __init__(self, attributes: Mapping[str, str], receiver: str) -> None:
        self.attributes = attributes
        self.receiver = receiver

    def visit_Name(self, node: ast.Name) -> ast.Attribute:
        attribute = self.attributes.get(node.id, node.id)
        return ast.Attribute(ast.Name(self.receiver, ast.Load()), attribute, ast.Load())
