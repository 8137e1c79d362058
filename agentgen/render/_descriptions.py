"""Keep spec descriptions away from datamodel-code-generator's docstrings.

It writes descriptions into triple-quoted docstrings as they are, control and bidi characters
included. Each description is swapped for a plain placeholder before generation, and each
placeholder in the output is replaced by a literal that `docstring` or `repr` makes inert.
"""

from __future__ import annotations

import ast
import hashlib
import json
from typing import Any

from agentgen.render._literals import docstring

# Keywords whose value is a schema, a list of schemas, or a map of names to schemas.
_ONE = frozenset(
    {
        "additionalItems",
        "additionalProperties",
        "contains",
        "else",
        "if",
        "items",
        "not",
        "propertyNames",
        "then",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
_LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_MAP = frozenset({"$defs", "definitions", "dependentSchemas", "patternProperties", "properties"})


class Descriptions:
    """The descriptions swapped out of one generation, by placeholder."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        # A digest of the schemas themselves: no string in them can contain the placeholders.
        digest = hashlib.sha256(json.dumps(schemas, sort_keys=True).encode()).hexdigest()
        self._prefix = f"AgentgenDescription{digest[:16]}N"
        self._texts: dict[str, str] = {}
        self._placeholders: dict[str, str] = {}

    def hide(self, schemas: dict[str, Any]) -> dict[str, Any]:
        """A copy of a map of schemas with every description replaced by its placeholder."""
        return {name: self._schema(schema) for name, schema in schemas.items()}

    def restore(self, code: str) -> str:
        """Put every description back into the code as an inert string literal."""
        tree = ast.parse(code)
        lines = code.splitlines()
        docstrings = _docstrings(tree)
        # Bottom-up, so that replacing one literal never moves the columns of another.
        for node in sorted(self._literals(tree), key=_position, reverse=True):
            assert node.end_lineno == node.lineno and node.end_col_offset is not None
            text = self._texts[str(node.value)]
            line = lines[node.lineno - 1]
            literal = docstring(text) if node in docstrings else repr(text)
            lines[node.lineno - 1] = line[: node.col_offset] + literal + line[node.end_col_offset :]
        restored = "\n".join(lines) + "\n"
        assert self._prefix not in restored, "a description placeholder was left in generated code"
        return restored

    def _schema(self, schema: Any) -> Any:
        if not isinstance(schema, dict):
            return schema
        copy: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "description" and isinstance(value, str):
                copy[key] = self._placeholder(value)
            elif key in _ONE:
                # `items` may still be a list of schemas (draft-07 tuples).
                many = isinstance(value, list)
                copy[key] = [self._schema(v) for v in value] if many else self._schema(value)
            elif key in _LIST and isinstance(value, list):
                copy[key] = [self._schema(item) for item in value]
            elif key in _MAP and isinstance(value, dict):
                copy[key] = self.hide(value)
            else:
                copy[key] = value
        return copy

    def _placeholder(self, text: str) -> str:
        if text not in self._placeholders:
            placeholder = f"{self._prefix}{len(self._placeholders)}"
            self._placeholders[text] = placeholder
            self._texts[placeholder] = text
        return self._placeholders[text]

    def _literals(self, tree: ast.Module) -> list[ast.Constant]:
        return [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            if node.value in self._texts
        ]


def _docstrings(tree: ast.Module) -> set[ast.Constant]:
    """String constants that stand alone as statements: docstrings of classes and fields."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            found.add(node.value)
    return found


def _position(node: ast.Constant) -> tuple[int, int]:
    return node.lineno, node.col_offset
