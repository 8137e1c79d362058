"""Prompt templates: compiled by Jinja2 once, and plain substitutions rendered without its setup.

Jinja builds a new context for every render (about 20 microseconds: its globals are a ChainMap
copied into a dict), which is a tenth of an agent step. Most prompts are text and `{{ name }}`
only; those render here by joining strings exactly as Jinja would, and every other template is
Jinja's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import jinja2
    import jinja2.nodes


class PromptTemplate(Protocol):
    """What `compile_template` returns: a jinja2.Template, or a Substitution that renders alike."""

    def render(self, values: Mapping[str, Any] = ..., /) -> str: ...


@dataclass(frozen=True)
class Name:
    """A `{{ name }}` of a template: the variable to print."""

    name: str


@dataclass(frozen=True)
class Substitution:
    """A template of literal text and `{{ name }}` parts, rendered as Jinja renders it."""

    environment: jinja2.Environment
    parts: tuple[str | Name, ...]

    def render(self, values: Mapping[str, Any] | None = None, /) -> str:
        """The parts joined; a name prints as str(value), a missing one as Jinja's undefined."""
        values = values or {}
        return "".join(
            part if isinstance(part, str) else str(self._value(part.name, values))
            for part in self.parts
        )

    def _value(self, name: str, values: Mapping[str, Any]) -> Any:
        if name in values:
            return values[name]
        if name in self.environment.globals:
            return self.environment.globals[name]
        return self.environment.undefined(name=name)  # StrictUndefined raises when printed


def compile_template(environment: jinja2.Environment, text: str) -> PromptTemplate:
    """`text` compiled in `environment`: a Substitution when it is only text and names."""
    if environment.finalize is not None or environment.autoescape is not False:
        return environment.from_string(text)  # printing would not be plain str(value)
    tree = environment.parse(text)  # parsed once: Jinja compiles this same tree otherwise
    parts = substitution_parts(tree)
    if parts is None:
        return environment.from_string(tree)
    return Substitution(environment, parts)


def substitution_parts(tree: jinja2.nodes.Template) -> tuple[str | Name, ...] | None:
    """The template's text and names in order, or None when it uses anything else of Jinja."""
    from jinja2 import nodes

    parts: list[str | Name] = []
    for node in tree.body:
        if not isinstance(node, nodes.Output):
            return None
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                parts.append(child.data)
            elif isinstance(child, nodes.Name) and child.ctx == "load":
                parts.append(Name(child.name))
            else:
                return None
    return tuple(parts)
