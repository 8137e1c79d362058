"""What a prompt template may not do, read off its syntax tree: nothing in it is evaluated.

Jinja2 itself evaluates templates early: its code generator folds constant expressions
(`'a' * 10**9`) while compiling, and `jinja2.meta` runs that code generator. So these checks
only walk `env.parse`'s tree, and free names are found with every constant swapped out first.
"""

from __future__ import annotations

import math
import re
import string
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TypeGuard

from jinja2 import Environment, meta, nodes
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
)
from jinja2.visitor import NodeTransformer

from agentgen.spec.hints import did_you_mean
from agentgen.spec.numbers import digits_over_limit, too_many_digits

# Jinja2 globals whose attributes lead to Python internals (`lipsum.__globals__['os']`); the
# sandbox stops that at render time, and a prompt has no use for them.
UNSAFE_GLOBALS = frozenset({"lipsum", "cycler", "joiner", "namespace"})
# Attributes the sandbox refuses besides private ones (`_x`, `__x__`): Python's internals.
_INTERNAL_ATTRIBUTES = frozenset(
    {"mro"}
    | UNSAFE_GENERATOR_ATTRIBUTES
    | UNSAFE_COROUTINE_ATTRIBUTES
    | UNSAFE_ASYNC_GENERATOR_ATTRIBUTES
)
# Filters that take an attribute name (dotted: `user.name`), by that argument's position; all
# of them also take it as `attribute=`.
_ATTRIBUTE_FILTERS: dict[str, int | None] = {
    "attr": 0,
    "selectattr": 0,
    "rejectattr": 0,
    "groupby": 0,
    "sum": 0,
    "sort": 2,
    "unique": 1,
    "min": 1,
    "max": 1,
    "map": None,
}
_FORMAT_METHODS = frozenset({"format", "format_map"})
# Operations whose result can be far larger than their operands: `'a' * 10**9`, `center(10**9)`.
_AMPLIFIERS = (nodes.Mul, nodes.Pow, nodes.Mod, nodes.Filter)
_FIELD_PARTS = re.compile(r"[.\[\]]")
_FORMAT_WIDTHS = re.compile(r"%[-#0 +]*(\d*)(?:\.(\d*))?")
# The largest constant a template may compute: jinja computes it when prompts.py is imported.
MAX_LENGTH = 100_000
MAX_DIGITS = sys.int_info.default_max_str_digits  # what str() of an int allows: 4300
_PLACEHOLDER = "<constant>"  # not a name a template can write


@dataclass(frozen=True)
class Anchor:
    """Where a finding is written: the first such token from the node's `lineno` on.

    A node's `lineno` is its line, or the index of its first token when the tree was parsed
    from numbered tokens (see _templates).
    """

    lineno: int
    kind: str  # a jinja token type: "name", "operator", "string" or "integer"
    text: str  # the token's text; for a string, part of it; for an integer, unused


@dataclass(frozen=True)
class Finding:
    """A problem in a template's tree, with the token it is about."""

    code: str
    message: str
    hint: str | None
    anchor: Anchor


def free_names(tree: nodes.Template, environment: Environment) -> set[str]:
    """The names a template reads from its context, by jinja's own scoping rules.

    `meta.find_undeclared_variables` runs jinja's code generator, whose optimizer folds
    constants: here the optimizer is off, and every constant is first swapped for a name, so
    nothing could be folded anyway. This rewrites `tree`.
    """
    _Unfold().visit(tree)
    tracker = _Tracker(environment)
    tracker.visit(tree)
    return tracker.undeclared_identifiers - {_PLACEHOLDER}


class _Tracker(meta.TrackingCodeGenerator):
    """jinja's tracking of undeclared names, without its optimizer."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.optimizer = None


class _Unfold(NodeTransformer):
    """Replace each constant by a name: no expression is constant any more.

    An unknown filter becomes a known one too: jinja's tracker would stop at it, and it is
    reported on its own (unknown_filters).
    """

    def visit_Const(self, node: nodes.Const) -> nodes.Name:
        return nodes.Name(_PLACEHOLDER, "load", lineno=node.lineno, environment=node.environment)

    def visit_Filter(self, node: nodes.Filter) -> nodes.Node:
        if node.environment is not None and node.name not in node.environment.filters:
            node.name = "string"
        return self.generic_visit(node)


def unsafe_access(tree: nodes.Template) -> list[Finding]:
    """Private or internal attributes, by name, string index, filter or format string."""
    findings: list[Finding] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Call)):
        for anchor in _attributes_read(node):
            if anchor.text.startswith("_") or anchor.text in _INTERNAL_ATTRIBUTES:
                findings.append(_unsafe_attribute(anchor))
    return findings


def _attributes_read(node: nodes.Node) -> Iterator[Anchor]:
    """The attribute names a node reads, each at the token that spells it."""
    if isinstance(node, nodes.Getattr):
        yield Anchor(node.lineno, "name", node.attr)
    elif isinstance(node, nodes.Getitem) and _is_text(node.arg):
        yield Anchor(node.lineno, "string", node.arg.value)
    elif isinstance(node, nodes.Filter) and node.name in _ATTRIBUTE_FILTERS:
        for path in _attribute_arguments(node):
            yield from (Anchor(node.lineno, "string", part) for part in path.split("."))
    elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        # At the format string itself: the call starts at its `(`, the attribute at its `.`.
        where = node.node.node.lineno
        for field in _format_fields(_format_text(node.node)):
            parts = _FIELD_PARTS.split(field)[1:]
            yield from (Anchor(where, "string", part) for part in parts if part)


def _attribute_arguments(node: nodes.Filter) -> list[str]:
    index = _ATTRIBUTE_FILTERS[node.name]
    given = [node.args[index]] if index is not None and index < len(node.args) else []
    given += [keyword.value for keyword in node.kwargs if keyword.key == "attribute"]
    return [argument.value for argument in given if _is_text(argument)]


def _format_text(node: nodes.Expr) -> str:
    """The text of `'...'.format` (its replacement fields read attributes: `{0.__class__}`)."""
    if isinstance(node, nodes.Getattr) and node.attr in _FORMAT_METHODS and _is_text(node.node):
        return str(node.node.value)
    return ""


def _format_fields(text: str) -> list[str]:
    if "{" not in text:
        return []
    try:
        return [field for _, field, _, _ in string.Formatter().parse(text) if field]
    except ValueError:
        return []  # not a valid format string: it fails when rendered, reading nothing


def _is_text(node: nodes.Node) -> TypeGuard[nodes.Const]:
    return isinstance(node, nodes.Const) and isinstance(node.value, str)


def _unsafe_attribute(anchor: Anchor) -> Finding:
    name = anchor.text
    what = "a private attribute" if name.startswith("_") else "an internal attribute of Python"
    message = f"unsafe template access: '{name}' is {what}"
    hint = "prompt templates render in jinja's sandbox: pass what you need as a variable"
    return Finding("AG043", message, hint, anchor)


def unsafe_global(name: str) -> tuple[str, str]:
    """The message and hint for a template that reads an unsafe jinja global."""
    message = f"unsafe template access: jinja's global '{name}' is not allowed in prompts"
    hint = "prompts may use jinja's range and dict, not lipsum, cycler, joiner or namespace"
    return message, hint


def unknown_filters(tree: nodes.Template, filters: set[str], tests: set[str]) -> list[Finding]:
    """Filters jinja cannot compile (prompts.py would not import) and tests it cannot run."""
    findings = []
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        known, kind = (filters, "filter") if isinstance(node, nodes.Filter) else (tests, "test")
        if node.name not in known:
            message = f"invalid template: no {kind} named '{node.name}'"
            hint = did_you_mean(node.name, sorted(known))
            findings.append(Finding("AG040", message, hint, Anchor(node.lineno, "name", node.name)))
    return findings


# Statements that read another template: prompts are single templates (no loader).
_LOADING: dict[type[nodes.Node], str] = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from",
}


def other_templates(tree: nodes.Template) -> list[Finding]:
    """`{% include %}` and its kin, which fail whenever the prompt renders."""
    findings = []
    for node in tree.find_all(tuple(_LOADING)):
        keyword = _LOADING[type(node)]
        message = f"invalid template: a prompt cannot use '{keyword}': it has no other templates"
        hint = "write the text into the prompt itself"
        findings.append(Finding("AG040", message, hint, Anchor(node.lineno, "name", keyword)))
    return findings


@dataclass(frozen=True)
class _Size:
    """An upper bound on a constant: log10 of a number's magnitude or of a text's length.

    A "text" is anything with a length (a string, list or dict); "any" is a filter's result,
    which may be either, so it bounds nothing an operator could multiply.
    """

    kind: str  # "number", "text" or "any"
    log: float
    computed: bool = False  # made by an operation that can exceed its operands (`*`, a filter)


def huge_constants(tree: nodes.Template) -> list[Finding]:
    """Constant expressions that may compute more than MAX_LENGTH characters or MAX_DIGITS."""
    findings: list[Finding] = []
    _Bounds(findings.append).bound(tree)
    return findings


class _Bounds:
    """Bound every constant subexpression from its literals, without computing it.

    Each one is bounded, and so is their total: jinja computes every one of them.
    """

    def __init__(self, report: Callable[[Finding], None]) -> None:
        self.report = report
        self.spent = 0.0  # characters computed from constants so far, in the whole template

    def bound(self, node: nodes.Node) -> _Size | None:
        """The node's bound, or None when it is not constant (or is already reported)."""
        children = [(child, self.bound(child)) for child in node.iter_child_nodes()]
        size = self._own(node, dict((id(child), size) for child, size in children))
        if size is None:
            for child, child_size in children:
                if child_size is not None and child_size.computed:
                    self._spend(child, child_size)  # the largest constant around it
        return size

    def _own(self, node: nodes.Node, children: dict[int, _Size | None]) -> _Size | None:
        if not isinstance(node, nodes.Expr | nodes.Pair | nodes.Keyword | nodes.Operand):
            return None
        if None in children.values():
            return None
        if isinstance(node, nodes.Const) and isinstance(node.value, int):
            digits = digits_over_limit(node.value)
            if digits is not None:  # `0x` and `0o` literals: jinja reads them, cannot print them
                message = f"invalid template: {too_many_digits(digits)}"
                self.report(Finding("AG040", message, None, Anchor(node.lineno, "integer", "")))
                return None
        size = _estimate(node, [children.get(id(child)) for child in _operands(node)])
        if size is None:
            return None
        made = (child for child in children.values() if child is not None)
        computed = isinstance(node, _AMPLIFIERS) or any(child.computed for child in made)
        size = replace(size, computed=computed)
        # A literal is as long as it is written; what joins literals is bounded by the total.
        amplified = size.kind == "number" or isinstance(node, _AMPLIFIERS)
        if computed and amplified and _too_large(size):
            self.report(_huge(node))
            return None
        return size

    def _spend(self, node: nodes.Node, size: _Size) -> None:
        was = self.spent
        self.spent += 10 ** min(_as_length(size), 10.0)
        if was <= MAX_LENGTH < self.spent:
            self.report(_huge(node, in_all=True))


def _operands(node: nodes.Node) -> list[nodes.Node]:
    """The children an estimate is made of, in the order `_estimate` expects."""
    if isinstance(node, nodes.BinExpr):
        return [node.left, node.right]
    if isinstance(node, nodes.CondExpr):
        return [node.expr1, *([node.expr2] if node.expr2 is not None else [])]
    return list(node.iter_child_nodes())


def _estimate(node: nodes.Node, parts: list[_Size | None]) -> _Size | None:
    """A constant node's bound from its operands' bounds; None for what never folds."""
    sizes = [part for part in parts if part is not None]
    if isinstance(node, nodes.Const):
        return _literal(node.value)
    if isinstance(node, nodes.BinExpr):
        return _binary(node, sizes[0], sizes[1])
    if isinstance(node, nodes.Neg | nodes.Pos | nodes.Getitem | nodes.Keyword | nodes.Operand):
        return sizes[0]  # an item or a slice is no larger than what it is taken from
    if isinstance(node, nodes.Not | nodes.Compare | nodes.Test):
        return _Size("number", 0.0)
    if isinstance(node, nodes.List | nodes.Tuple | nodes.Dict | nodes.Pair | nodes.Concat):
        return _Size("text", _log_sum([_as_length(size) for size in sizes]))
    if isinstance(node, nodes.CondExpr | nodes.Slice):
        return _union(sizes)
    if isinstance(node, nodes.Filter) and node.node is not None:
        # Its arguments may be widths or counts (`center(80)`): a number counts as its value.
        return _Size("any", sum(size.log for size in sizes))
    return None  # a name, a call, an attribute: evaluated when rendering, never folded


def _literal(value: object) -> _Size:
    if isinstance(value, bool) or value is None:
        return _Size("number", 0.0)
    if isinstance(value, int | float):
        # math.log10 takes ints of any size; floats end at about 1.8e308 (then inf).
        finite = not isinstance(value, float) or math.isfinite(value)
        return _Size("number", math.log10(max(abs(value), 1)) if finite else 309.0)
    return _Size("text", math.log10(max(len(str(value)), 1)))


def _binary(node: nodes.BinExpr, left: _Size, right: _Size) -> _Size | None:
    """Bound one arithmetic operation on bounded operands."""
    if "any" in (left.kind, right.kind) and isinstance(node, nodes.Mul | nodes.Pow | nodes.Mod):
        return _Size("any", math.inf)  # a filter's result may be a number of any size
    if isinstance(node, nodes.Mul):
        kind = "number" if left.kind == right.kind == "number" else "text"
        return _Size(kind, left.log + right.log)
    if isinstance(node, nodes.Pow):
        exponent = 10 ** min(right.log, 300.0)
        return _Size("number", left.log * exponent) if left.kind == "number" else None
    if isinstance(node, nodes.Mod):
        return _format_size(node.left, right) if left.kind == "text" else right
    if isinstance(node, nodes.Div | nodes.FloorDiv):
        return _Size("number", max(left.log, 309.0))  # dividing by a small float enlarges
    if isinstance(node, nodes.And | nodes.Or):
        return _union([left, right])
    return _Size(_union([left, right]).kind, _log_sum([left.log, right.log]))  # + and -


def _format_size(template: nodes.Node, arguments: _Size) -> _Size:
    """`'%08d' % x`: the format's text, each field's width or precision, and the arguments."""
    if not _is_text(template):
        return _Size("any", math.inf)
    text = str(template.value)
    # A width or precision of n digits is less than 10**n characters.
    widths = [float(len(w.lstrip("0"))) for pair in _FORMAT_WIDTHS.findall(text) for w in pair]
    fields = text.count("%") + 1
    parts = [math.log10(len(text) + 1), *widths, _as_length(arguments) + math.log10(fields)]
    return _Size("text", _log_sum(parts))


def _as_length(size: _Size) -> float:
    """A bound's log10 length as text: a number of n digits is n characters long."""
    return math.log10(size.log + 2) if size.kind == "number" else size.log


def _union(sizes: list[_Size]) -> _Size:
    kinds = {size.kind for size in sizes}
    kind = "any" if "any" in kinds else "text" if "text" in kinds else "number"
    return _Size(kind, max((size.log for size in sizes), default=0.0))


def _log_sum(logs: list[float]) -> float:
    """log10 of a sum of terms given as log10s: at most the largest, plus log10 of their count."""
    return max(logs, default=0.0) + math.log10(max(len(logs), 1))


def _too_large(size: _Size) -> bool:
    if size.kind == "number":
        return math.floor(size.log) + 1 > MAX_DIGITS  # 10**4300 has 4301 digits
    return size.log > math.log10(MAX_LENGTH)


# How a message names what computes a constant, and the token it points at.
_LITERALS: dict[type[nodes.Node], tuple[str, str]] = {
    nodes.Concat: ("'~'", "~"),
    nodes.List: ("a list", "["),
    nodes.Tuple: ("a tuple", "("),
}


def _huge(node: nodes.Node, in_all: bool = False) -> Finding:
    if isinstance(node, nodes.Filter):
        shown, anchor = f"the filter '{node.name}'", Anchor(node.lineno, "name", node.name)
    elif isinstance(node, nodes.BinExpr):
        shown, anchor = f"'{node.operator}'", Anchor(node.lineno, "operator", node.operator)
    else:
        shown, token = _LITERALS.get(type(node), ("a dict", "{"))
        anchor = Anchor(node.lineno, "operator", token)
    message = f"template computes a constant too large for a prompt with {shown}"
    if in_all:
        message = (
            f"template computes constants too large for a prompt in all, the last with {shown}"
        )
    hint = (
        "jinja computes constant expressions when prompts.py is imported; the limits are "
        f"{MAX_LENGTH} characters and {MAX_DIGITS} digits"
    )
    return Finding("AG044", message, hint, anchor)
