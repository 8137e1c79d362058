"""What the model is offered, derived from the intents' pydantic models: one source of truth."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, get_args

from pydantic import BaseModel

from ._models import IntentSpec

INTENT_FIELD = "intent"
# Keys whose value maps names to schemas, and keys whose value is data, not a schema.
_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties"})
_DATA = frozenset({"default", "enum", "const", "examples"})


class IntentSpecs(Mapping[str, IntentSpec]):
    """Each intent model as an IntentSpec, by intent name, built on first use.

    Deriving a schema takes about 0.4 ms a model, so an agent that is only shown (`show`) or
    loaded never pays it. `answers` lists what a person may answer a human contact.
    """

    def __init__(
        self, *models: type[BaseModel], answers: Mapping[str, tuple[str, ...]] | None = None
    ) -> None:
        self._models = {intent_name(model): model for model in models}
        self._answers = dict(answers or {})
        self._built: dict[str, IntentSpec] = {}

    def __getitem__(self, name: str) -> IntentSpec:
        spec = self._built.get(name)
        if spec is None:
            spec = intent_spec(self._models[name], self._answers.get(name, ()))
            self._built[name] = spec
        return spec

    def __iter__(self) -> Iterator[str]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)


def intent_name(model: type[BaseModel]) -> str:
    """The name in an intent model's `intent: Literal["..."]` field."""
    field = model.model_fields.get(INTENT_FIELD)
    names = get_args(field.annotation) if field is not None else ()
    if len(names) != 1 or not isinstance(names[0], str):
        raise TypeError(f"{model.__name__} has no `intent: Literal[...]` field of one name")
    return names[0]


def intent_spec(model: type[BaseModel], answers: tuple[str, ...] = ()) -> IntentSpec:
    """The intent as the model sees it: the model's docstring and the JSON Schema of its args."""
    description = (model.__doc__ or "").strip()  # as written: cleandoc would expand tabs
    if answers:
        description = f"{description} (the person answers one of: {', '.join(answers)})"
    return IntentSpec(intent_name(model), description, args_schema(model))


def args_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema without its `intent` field, titles and docstring."""
    schema: dict[str, Any] = _without_titles(model.model_json_schema(by_alias=True))
    schema.pop("description", None)
    schema["properties"].pop(INTENT_FIELD, None)
    required = [name for name in schema.get("required", []) if name != INTENT_FIELD]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)
    return schema


def _without_titles(schema: Any) -> Any:
    """pydantic titles every schema after its class or field: tokens the model need not read."""
    if isinstance(schema, list):
        return [_without_titles(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            cleaned[key] = {name: _without_titles(item) for name, item in value.items()}
        else:
            cleaned[key] = value if key in _DATA else _without_titles(value)
    return cleaned
