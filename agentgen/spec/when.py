"""The `approval.when` expression language: a small, safe subset of Python expressions.

Allowed: comparisons (`==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not in`, `is None`), `and`, `or`,
`not`, literals (strings, numbers, booleans, None, and lists or tuples of them) and the tool's
params by name. It is checked at generate time and emitted as plain Python over the call.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from agentgen.spec.hints import did_you_mean

_COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_LITERAL_TYPES = (str, int, float, bool, type(None))
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


@dataclass(frozen=True)
class WhenProblem:
    """A problem in a `when` expression, at a 0-based character offset into it."""

    code: str
    offset: int
    message: str
    hint: str | None = None


def check_when(expression: str, params: Collection[str]) -> list[WhenProblem]:
    """Return every problem of `expression` given the tool's param names (empty when valid)."""
    tree = _parse(expression)
    if isinstance(tree, WhenProblem):
        return [tree]
    checker = _Checker(expression, params)
    checker.visit(tree.body)
    return checker.problems


def when_to_python(expression: str, attributes: Mapping[str, str], receiver: str = "call") -> str:
    """Emit a checked expression as Python over `receiver`, e.g. `call.b == 0`."""
    tree = _parse(expression)
    if isinstance(tree, WhenProblem):
        raise ValueError(tree.message)
    rewritten = _Qualify(attributes, receiver).visit(tree)
    return ast.unparse(ast.fix_missing_locations(rewritten))


def _parse(expression: str) -> ast.Expression | WhenProblem:
    """Parse as one Python expression; a syntax error becomes a problem."""
    try:
        return ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        offset = max((error.offset or 1) - 1, 0) + _leading_space(expression)
        return WhenProblem("AG060", offset, f"invalid when expression: {error.msg}")
    except (ValueError, RecursionError, MemoryError):
        return WhenProblem("AG060", 0, "invalid when expression: it cannot be parsed")


def _leading_space(expression: str) -> int:
    return len(expression) - len(expression.lstrip())


class _Checker(ast.NodeVisitor):
    """Collect every construct outside the allowed subset."""

    def __init__(self, expression: str, params: Collection[str]) -> None:
        self.shift = _leading_space(expression)
        self.params = params
        self.problems: list[WhenProblem] = []

    def report(self, node: ast.AST, code: str, message: str, hint: str | None = None) -> None:
        offset = getattr(node, "col_offset", 0) + self.shift
        self.problems.append(WhenProblem(code, offset, message, hint))

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        for value in node.values:
            self.visit(value)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        signed_literal = isinstance(node.operand, ast.Constant) and isinstance(
            node.op, ast.USub | ast.UAdd
        )
        if isinstance(node.op, ast.Not) or signed_literal:
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
        for operand in operands:
            self.visit(operand)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id not in self.params:
            known = ", ".join(sorted(self.params)) or "none"
            hint = did_you_mean(node.id, self.params) or f"the tool's params are: {known}"
            self.report(node, "AG061", f"unknown name '{node.id}' in when expression", hint)

    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, _LITERAL_TYPES):
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
            if isinstance(item, ast.Constant):
                self.visit(item)
            else:
                self.report(item, "AG062", "collections in a when expression hold literals only")

    def generic_visit(self, node: ast.AST) -> None:
        what = _NODE_NAMES.get(type(node), type(node).__name__)
        self.report(node, "AG062", f"not allowed in a when expression: {what}")


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
