"""Jinja2 filters: the only ways spec values reach generated code."""

from __future__ import annotations

import keyword
from typing import Any

import jinja2

from agentgen.ir import AgentIR, Intent
from agentgen.render._models import ModelsCode
from agentgen.spec.when import when_to_python


def py(value: Any) -> str:
    """A Python literal of a JSON-like value: `repr` quotes and escapes every string."""
    if isinstance(value, str | int | float | bool) or value is None:
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return (
            py_tuple(value) if isinstance(value, tuple) else "[" + ", ".join(map(py, value)) + "]"
        )
    raise TypeError(f"no Python literal for {type(value).__name__}")


def docstring(text: str) -> str:
    """A triple-quoted docstring when that is provably inert, else the `repr` of the text."""
    plain = text.strip()
    inert = plain.isprintable() and "\\" not in plain and '"' not in plain
    return f'"""{plain}"""' if inert and plain else repr(plain)


def py_tuple(values: Any) -> str:
    """A tuple literal (a trailing comma for one item)."""
    items = [py(v) for v in values]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def identifier(name: str) -> str:
    """Refuse anything that is not a plain Python identifier."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"not a Python identifier: {name!r}")
    return name


def install_filters(environment: jinja2.Environment, ir: AgentIR, models: ModelsCode) -> None:
    """Filters that need the IR: class and attribute names as the models define them."""
    classes = {intent.name: intent.class_name for intent in ir.intents}

    def class_of(intent_name: str) -> str:
        return identifier(classes[intent_name])

    def attribute_of(intent_name: str, param: str) -> str:
        return identifier(models.attributes[classes[intent_name]][param])

    def when_python(intent: Intent, receiver: str) -> str:
        assert intent.approval_when is not None
        attributes = {p: attribute_of(intent.name, p) for p in intent.params}
        return when_to_python(intent.approval_when, attributes, receiver)

    environment.filters.update(
        py=py,
        py_tuple=py_tuple,
        docstring=docstring,
        ident=identifier,
        class_of=class_of,
        attribute_of=attribute_of,
        when_python=when_python,
    )
