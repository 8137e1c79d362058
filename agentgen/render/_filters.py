"""Jinja2 filters: the only ways spec values reach generated code."""

from __future__ import annotations

from functools import partial

import jinja2

from agentgen.ir import AgentIR, Intent, result_event_name
from agentgen.render._literals import docstring, identifier, py, py_tuple
from agentgen.render._models import ModelsCode
from agentgen.render._prompts import text_literal
from agentgen.spec.names import to_pascal
from agentgen.spec.when import when_to_python


def install_filters(environment: jinja2.Environment, ir: AgentIR, models: ModelsCode) -> None:
    """Filters that need the IR: class and attribute names as the models define them."""
    classes = {intent.name: intent.class_name for intent in ir.intents}

    def class_of(intent_name: str) -> str:
        return identifier(classes[intent_name])

    def result_event_of(tool_name: str) -> str:
        return identifier(result_event_name(tool_name))

    def attribute_of(intent_name: str, param: str) -> str:
        return identifier(models.attributes[classes[intent_name]][param])

    def when_python(intent: Intent, receiver: str) -> str:
        assert intent.approval_when is not None
        attributes = {p: attribute_of(intent.name, p) for p in intent.params}
        rename = partial(nested_attribute, models, intent.class_name)
        return when_to_python(
            intent.approval_when, attributes, receiver, intent.params, ir.types, rename
        )

    environment.filters.update(
        py=py,
        py_tuple=py_tuple,
        py_text=text_literal,
        docstring=docstring,
        ident=identifier,
        pascal=to_pascal,
        class_of=class_of,
        result_event_of=result_event_of,
        attribute_of=attribute_of,
        when_python=when_python,
    )


def nested_attribute(models: ModelsCode, class_name: str, path: tuple[str, ...]) -> str:
    """The attribute a path of JSON names ends in, through the nested models of `class_name`."""
    for name in path[:-1]:
        class_name = _model_class(
            models, models.field_types[class_name][models.attributes[class_name][name]]
        )
    return identifier(models.attributes[class_name][path[-1]])


def _model_class(models: ModelsCode, type_hint: str) -> str:
    """The printed model class a field's type names: `Target` of `Target | None`."""
    named = [part.strip() for part in type_hint.split("|") if part.strip() != "None"]
    if len(named) != 1 or named[0] not in models.attributes:
        raise ValueError(f"a when expression reads attributes of {type_hint!r}, not of a model")
    return named[0]
