"""The `approval.when` expression language: a small, safe subset of Python expressions.

Allowed: comparisons (`==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not in`, `is None`), `and`, `or`,
`not`, literals (strings, numbers, booleans, None, and lists or tuples of them), the tool's
params by name, and

- attribute access into object params (`type = "object"` with `properties`, or a `$ref` to a
  named object type), to any depth: `target.environment == 'production'`;
- `len()` of a string or array param or attribute: `len(tags) > 2`;
- arithmetic (`+ - * / // %`, unary minus) between numbers: `amount * quantity > 1000`.

Nothing else: no other calls, no indexing, no lambdas, comprehensions or f-strings. It is checked
at generate time and emitted as plain Python over the call
(`step.target.environment == 'production'`), each JSON name written as the attribute the
generated model gives it (`target.dryRun` -> `step.target.dry_run`).

None: a param whose schema admits null, and a property its object does not list as `required`,
may be None at run time. Reading its attributes, taking its `len()`, arithmetic on it, ordering
it (`<`, `<=`, `>`, `>=`) or testing `in` it would then raise (and fail `mypy --strict`), so such
a use is refused (AG064) unless the expression guards it first, in an `and` (or after an `or`):
`owner is not None and owner.team == 'ops'`, `owner is None or len(owner.name) > 3`. The guard is
emitted as written, so the generated code type-checks and reads as the spec does. A literal zero
divisor is refused; a param that may be zero raises ZeroDivisionError when the call is handled,
so guard it too: `b != 0 and a / b > 2`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from agentgen.spec.hints import did_you_mean
from agentgen.spec.numbers import digits_over_limit, too_many_digits
from agentgen.spec.when_types import Shape, attribute_shape, param_shape

Path = tuple[str, ...]  # a param, then the JSON names of the attributes read from it
Rename = Callable[[Path], str]  # a path -> the Python attribute of its last name

_COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)
_DIVISIONS = (ast.Div, ast.FloorDiv, ast.Mod)
_LITERAL_TYPES = (str, int, float, bool, type(None))
_NEWLINE = re.compile(r"\r\n|\r|\n")
# Literals as TOML, JSON or YAML spell them.
_OTHER_LITERALS = {"true": "True", "false": "False", "null": "None", "none": "None"}
_NODE_NAMES = {
    ast.Subscript: "indexing",
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
_OPERATORS = {
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Invert: "~",
}
ARITHMETIC_HINT = "arithmetic allows + - * / // % and unary minus"
CALL_HINT = "only len() may be called"
OBJECT_HINT = 'attributes are read from object params: type = "object" with properties, or a $ref'


MAX_PROBLEMS = 20  # per expression; more would only bury the first ones


@dataclass(frozen=True)
class WhenProblem:
    """A problem in a `when` expression, at a 0-based character offset into it."""

    code: str
    offset: int
    message: str
    hint: str | None = None


def check_when(
    expression: str,
    params: Collection[str] | Mapping[str, Any],
    enums: Mapping[str, tuple[Any, ...]] | None = None,
    types: Mapping[str, Any] | None = None,
) -> list[WhenProblem]:
    """Every problem of `expression` given the tool's param names or name -> JSON Schema."""
    tree = _parse(expression)
    if isinstance(tree, WhenProblem):
        return [tree]
    checker = _Checker(expression, _schemas(params), enums or {}, types or {})
    try:
        checker.visit(tree.body)
    except RecursionError:
        message = "invalid when expression: it is nested too deeply"
        return [WhenProblem("AG060", _leading_space(expression), message)]
    return checker.problems


def _schemas(params: Collection[str] | Mapping[str, Any]) -> dict[str, Any]:
    """Each param's JSON Schema; `{}` (any type) when only its name is given."""
    if isinstance(params, Mapping):
        return dict(params.items())
    return {name: {} for name in params}


def when_to_python(
    expression: str,
    attributes: Mapping[str, str],
    receiver: str = "call",
    params: Mapping[str, Any] | None = None,
    types: Mapping[str, Any] | None = None,
    rename: Rename | None = None,
) -> str:
    """Emit a valid expression as Python over `receiver`, e.g. `call.b == 0`.

    The expression is checked again here (with the params' schemas when given), so nothing
    outside the safe subset is ever emitted. `attributes` maps a param to its attribute;
    `rename` maps a longer path to the attribute of its last name (default: that name).
    """
    problems = check_when(expression, list(attributes) if params is None else params, None, types)
    if problems:
        raise ValueError(problems[0].message)
    tree = _parse(expression)
    assert not isinstance(tree, WhenProblem)
    rewritten = _Qualify(attributes, receiver, rename or _last_name).visit(tree)
    return _emit(ast.fix_missing_locations(rewritten).body)


def _last_name(path: Path) -> str:
    return path[-1]


def _emit(node: ast.expr) -> str:
    """`ast.unparse`, without the parentheses Python 3.11 puts around a third `and` operand."""
    if isinstance(node, ast.BoolOp):
        word = " and " if isinstance(node.op, ast.And) else " or "
        return word.join(_emit_operand(value) for value in node.values)
    if isinstance(node, ast.UnaryOp) and _is_not(node) and isinstance(node.operand, ast.BoolOp):
        return f"not ({_emit(node.operand)})"
    return ast.unparse(node)


def _emit_operand(value: ast.expr) -> str:
    """An operand of `and`/`or`; a nested `and`/`or` keeps its parentheses, for the reader."""
    return f"({_emit(value)})" if isinstance(value, ast.BoolOp) else _emit(value)


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
        return self._at(getattr(node, "lineno", 1), getattr(node, "col_offset", 0))

    def end(self, node: ast.AST) -> int:
        """Where the node ends: just after it."""
        return self._at(getattr(node, "end_lineno", None) or 1, getattr(node, "end_col_offset", 0))

    def _at(self, lineno: int, column: int) -> int:
        if not 0 < lineno <= len(self.lines):
            return self.starts[-1]
        line = self.lines[lineno - 1]
        return self.starts[lineno - 1] + len(line.encode()[:column].decode(errors="ignore"))


def _leading_space(expression: str) -> int:
    return len(expression) - len(expression.lstrip())


class _Checker(ast.NodeVisitor):
    """Collect every construct outside the allowed subset, and every ill-typed use of a value."""

    def __init__(
        self,
        expression: str,
        params: Mapping[str, Any],
        enums: Mapping[str, tuple[Any, ...]],
        types: Mapping[str, Any],
    ) -> None:
        self.enums = enums
        self.offsets = _Offsets(expression.strip())
        self.shift = _leading_space(expression)
        self.params = params
        self.types = types
        self.guarded: frozenset[Path] = frozenset()  # paths an enclosing guard proved not None
        self.problems: list[WhenProblem] = []

    def report(self, node: ast.AST, code: str, message: str, hint: str | None = None) -> None:
        self.report_at(self.offsets.of(node), code, message, hint)

    def report_at(self, offset: int, code: str, message: str, hint: str | None = None) -> None:
        """Report at an offset into the stripped expression."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(WhenProblem(code, offset + self.shift, message, hint))

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        # Each operand runs only once those before it were true (`and`) or false (`or`).
        outer, holds = self.guarded, isinstance(node.op, ast.And)
        for value in node.values:
            self.visit(value)
            self.guarded |= _not_none_when(value, holds)
        self.guarded = outer

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self.visit(node.operand)
        elif isinstance(node.op, ast.USub | ast.UAdd):
            self.visit(node.operand)
            self._need_number(node.operand)
        else:
            self._operator(node, node.op)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if not isinstance(node.op, _ARITHMETIC):
            self._operator(node, node.op)
            return
        for operand in (node.left, node.right):
            self.visit(operand)
            self._need_number(operand)
        if isinstance(node.op, _DIVISIONS) and _is_zero(node.right):
            self.report(node.right, "AG064", "division by zero")

    def _operator(self, node: ast.AST, op: ast.AST) -> None:
        symbol = _OPERATORS.get(type(op), type(op).__name__)
        message = f"not allowed in a when expression: the '{symbol}' operator"
        self.report(node, "AG062", message, ARITHMETIC_HINT)

    def _need_number(self, node: ast.expr) -> None:
        """An operand of arithmetic must be a number that is not None."""
        if (isinstance(node, ast.BinOp | ast.UnaryOp) and not _is_not(node)) or _is_len(node):
            return  # a number, or reported on its own
        path = _path(node)
        if path is None:
            what = _not_a_number(node)
            if what is not None:
                self.report(node, "AG064", f"arithmetic needs numbers, not {what}")
            return
        shape = self._shape(path)
        if shape is not None and not shape.is_number:
            message = f"arithmetic needs numbers: '{_dotted(path)}' is {shape.describe()}"
            self.report(node, "AG064", message)
        elif shape is not None:
            self._need_present(node, path, shape)

    def _need_present(self, node: ast.expr, path: Path, shape: Shape) -> None:
        """A value that may be None must be guarded before it is used as an object or number."""
        if shape.nullable and path not in self.guarded:
            shown = _dotted(path)
            hint = f"check '{shown} is not None and ...' first"
            self.report(node, "AG064", f"'{shown}' may be None here", hint)

    def _need_present_value(self, node: ast.expr) -> None:
        path = _path(node)
        shape = None if path is None else self._shape(path)
        if path is not None and shape is not None:
            self._need_present(node, path, shape)

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
                self._check_present(op, left, right)
        for operand in operands:
            self.visit(operand)

    def _check_present(self, op: ast.cmpop, left: ast.expr, right: ast.expr) -> None:
        """Ordering None, or looking inside it, raises: those operands must not be None."""
        if isinstance(op, _ORDERING):
            self._need_present_value(left)
        if isinstance(op, (*_ORDERING, ast.In, ast.NotIn)):
            self._need_present_value(right)

    def _check_enum(self, subject: ast.expr, other: ast.expr) -> None:
        """A literal compared with an enum value must be one of its values (else never true)."""
        path = _path(subject)
        shape = None if path is None else self._shape(path)
        if path is None or (values := self._enum(path, shape)) is None:
            return
        literals = other.elts if isinstance(other, ast.List | ast.Tuple | ast.Set) else [other]
        for literal in literals:
            if _is_huge(literal) or not isinstance(literal, ast.Constant):
                continue  # a huge one is reported on its own, and it cannot be shown
            if literal.value in values or (literal.value is None and shape and shape.nullable):
                continue
            shown = ", ".join(repr(v) for v in values)
            message = f"{literal.value!r} is not a value of '{_dotted(path)}' (one of: {shown})"
            hint = did_you_mean(str(literal.value), [str(v) for v in values])
            self.report(literal, "AG063", message, hint)

    def _enum(self, path: Path, shape: Shape | None) -> tuple[Any, ...] | None:
        if len(path) == 1 and path[0] in self.enums:
            return self.enums[path[0]]
        return None if shape is None else shape.enum

    def _shape(self, path: Path) -> Shape | None:
        """What the schemas say of a path; None when a name on it is unknown."""
        if path[0] not in self.params:
            return None
        shape: Shape | None = param_shape(self.params[path[0]], self.types)
        for name in path[1:]:
            if shape is None:
                return None
            shape = attribute_shape(shape, name, self.types)
        return shape

    def visit_Attribute(self, node: ast.Attribute) -> None:
        base, steps = _chain(node)
        if not isinstance(base, ast.Name):
            message = (
                "not allowed in a when expression: attribute access on a value that is not a param"
            )
            self.report(node, "AG062", message, OBJECT_HINT)
            return
        self.visit_Name(base)
        path: Path = (base.id,)
        shape = self._shape(path)
        for step in steps:
            if shape is None:
                return
            shape = self._attribute(step, path, shape)
            path += (step.attr,)

    def _attribute(self, step: ast.Attribute, path: Path, owner: Shape) -> Shape | None:
        """The shape of `step.attr` read from `owner` at `path`; None (reported) if it has none."""
        offset = max(self.offsets.end(step) - len(step.attr), 0)  # the attribute's name
        shown = _dotted(path)
        if owner.properties is None:
            self._not_an_object(offset, shown, owner, step.attr)
            return None
        self._need_present(step.value, path, owner)
        found = attribute_shape(owner, step.attr, self.types)
        if found is None:
            message = f"unknown attribute '{step.attr}' of '{shown}' in when expression"
            known = sorted(owner.properties)
            listed = f"the attributes of '{shown}' are: {', '.join(known)}"
            self.report_at(offset, "AG061", message, did_you_mean(step.attr, known) or listed)
        return found

    def _not_an_object(self, offset: int, shown: str, owner: Shape, name: str) -> None:
        if owner.kinds <= {"object"} and owner.kinds:
            message = f"'{shown}' declares no properties: it has no attribute '{name}'"
            hint = "list its properties to read them in a when expression"
        else:
            message = (
                f"'{shown}' is {owner.describe()}, not an object: it has no attribute '{name}'"
            )
            hint = OBJECT_HINT
        self.report_at(offset, "AG064", message, hint)

    def visit_Call(self, node: ast.Call) -> None:
        if not _is_len(node):
            what = _callee(node.func)
            self.report(node, "AG062", f"not allowed in a when expression: {what}", CALL_HINT)
        elif len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            self.report(node, "AG062", "len() takes exactly one argument", "such as len(tags)")
        else:
            self._len_of(node.args[0])

    def _len_of(self, argument: ast.expr) -> None:
        path = _path(argument)
        if path is None:
            message = "len() takes a param or an attribute of one"
            self.report(argument, "AG062", message, "such as len(tags)")
            return
        self.visit(argument)
        shape = self._shape(path)
        if shape is not None and not shape.has_length:
            message = f"len() needs a string or an array: '{_dotted(path)}' is {shape.describe()}"
            self.report(argument, "AG064", message)
        elif shape is not None:
            self._need_present(argument, path, shape)

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


def _path(node: ast.expr) -> Path | None:
    """`target.owner.name` -> ('target', 'owner', 'name'); None for anything but such a chain."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    return (node.id, *reversed(names)) if isinstance(node, ast.Name) else None


def _chain(node: ast.Attribute) -> tuple[ast.expr, list[ast.Attribute]]:
    """The value an attribute chain starts from, and each attribute read, innermost first."""
    steps: list[ast.Attribute] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        steps.append(current)
        current = current.value
    return current, steps[::-1]


def _dotted(path: Path) -> str:
    return ".".join(path)


def _not_none_when(node: ast.expr, holds: bool) -> frozenset[Path]:
    """The paths proved not None once `node` is known to be true (`holds`) or false."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _not_none_when(node.operand, not holds)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) == holds:
        return frozenset().union(*(_not_none_when(value, holds) for value in node.values))
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right, op = node.left, node.comparators[0], node.ops[0]
        checked = _path(right) if _is_none(left) else _path(left) if _is_none(right) else None
        if checked is not None and isinstance(op, ast.IsNot if holds else ast.Is):
            return frozenset({checked})
    return frozenset()


def _is_len(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def _is_not(node: ast.expr) -> bool:
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)


def _callee(func: ast.expr) -> str:
    """What a refused call calls, as the message names it."""
    if isinstance(func, ast.Name):
        return f"calling '{func.id}'"
    return "method calls" if isinstance(func, ast.Attribute) else "function calls"


def _not_a_number(node: ast.expr) -> str | None:
    """What a non-number operand is; None when it is reported on its own (a refused construct)."""
    if isinstance(node, ast.Constant):
        value = node.value
        return None if _is_number(value) or not isinstance(value, _LITERAL_TYPES) else repr(value)
    if isinstance(node, ast.Compare | ast.BoolOp) or _is_not(node):
        return "a condition"
    return "a collection" if isinstance(node, ast.List | ast.Tuple | ast.Set) else None


def _is_zero(node: ast.expr) -> bool:
    """A literal zero divisor: `0`, `0.0`, `-0`."""
    if isinstance(node, ast.UnaryOp) and _is_signed_number(node):
        node = node.operand
    return isinstance(node, ast.Constant) and _is_number(node.value) and node.value == 0


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_signed_number(node: ast.expr) -> bool:
    """`-1` or `+2.5`: a literal, though Python parses it as an operator on a constant."""
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(node.operand, ast.Constant)
        and _is_number(node.operand.value)
    )


def _is_huge(node: ast.expr) -> bool:
    """An integer literal too long to print."""
    value = node.value if isinstance(node, ast.Constant) else None
    return isinstance(value, int) and digits_over_limit(value) is not None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


class _Qualify(ast.NodeTransformer):
    """Read each param off the call (`b` -> `call.b`), and each attribute as the models name it."""

    def __init__(self, attributes: Mapping[str, str], receiver: str, rename: Rename) -> None:
        self.attributes = attributes
        self.receiver = receiver
        self.rename = rename

    def visit_Name(self, node: ast.Name) -> ast.Attribute:
        attribute = self.attributes.get(node.id, node.id)
        return ast.Attribute(ast.Name(self.receiver, ast.Load()), attribute, ast.Load())

    def visit_Attribute(self, node: ast.Attribute) -> ast.Attribute:
        path = _path(node)
        assert path is not None, "only attributes of params pass the check"
        return ast.Attribute(self.visit(node.value), self.rename(path), ast.Load())

    def visit_Call(self, node: ast.Call) -> ast.Call:
        node.args = [self.visit(argument) for argument in node.args]  # `len` stays the builtin
        return node
