"""Pydantic models of the intents and named types, through datamodel-code-generator's parser."""

from __future__ import annotations

import ast
import gc
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from datamodel_code_generator.enums import DataModelType
from datamodel_code_generator.format import PythonVersion
from datamodel_code_generator.imports import Import
from datamodel_code_generator.model import get_data_model_types
from datamodel_code_generator.model.base import DataModel, DataModelFieldBase
from datamodel_code_generator.parser import LiteralType
from datamodel_code_generator.parser.jsonschema import JsonSchemaParser

from agentgen.ir import INPUT_CLASS, RESERVED_CLASS_NAMES, AgentIR, Intent, is_nullable
from agentgen.render._descriptions import Descriptions

STATE_FIELDS_CLASS = "StateFields"
# What the parser prints between two classes, as `generate()` does.
CLASS_SEPARATOR = "\n\n\n"
# The config line the parser prints in every class, as `use_attribute_docstrings` asks it to.
DOCSTRING_CONFIG = "        use_attribute_docstrings=True,"
# Parsing allocates many small objects that all live until the end: collect less often.
YOUNG_GC_THRESHOLD = 100_000


@dataclass(frozen=True)
class ModelsCode:
    """The printed classes, their imports and fields; the field types of the hidden ones too."""

    body: str  # the class definitions, without the hidden classes
    imports: dict[str, tuple[str, ...]]  # module -> names, what `body` needs
    attributes: dict[str, dict[str, str]]  # printed class -> JSON name -> Python attribute
    # Every class, hidden ones included -> attribute -> its type as printed, without
    # `Annotated[...]` (but `str` where a field named `str` has the class print `str_aliased`).
    field_types: dict[str, dict[str, str]]


@dataclass(frozen=True)
class _Class:
    """What one class imports and declares, read off its data model."""

    name: str
    imports: tuple[tuple[str, str], ...]  # (module, name as imported)
    attributes: dict[str, str]
    field_types: dict[str, str]
    model_defaults: dict[str, str]  # attribute -> the dict literal a model-typed field defaults to


def build_models(ir: AgentIR, hidden: Mapping[str, dict[str, Any]] | None = None) -> ModelsCode:
    """Models of the named types and intents; `hidden` object schemas are typed, not printed."""
    definitions = _definitions(ir)
    extra = dict(hidden or {})
    if clashes := sorted(set(extra) & set(definitions)):
        raise ValueError(f"hidden definitions named like the spec's classes: {clashes}")
    every = {**definitions, **extra}  # hidden last: the spec's classes get their names first
    descriptions = Descriptions(every)
    block, body, classes = _parse({"$defs": descriptions.hide(every)}, set(every), set(extra))
    missing = sorted(set(every) - {found.name for found in classes} - set(ir.types))
    assert not missing, f"datamodel-code-generator renamed {missing}"
    return ModelsCode(
        body=_docstring_config_where_used(descriptions.restore(body)),
        imports=_needed_imports(_printed_imports(block), classes, set(extra)),
        attributes={found.name: found.attributes for found in classes if found.name not in extra},
        field_types={found.name: found.field_types for found in classes},
    )


def _docstring_config_where_used(code: str) -> str:
    """`code` with `use_attribute_docstrings` kept only on classes whose fields have docstrings."""
    # Pydantic reads the class's source again (an `ast` parse of its module on Python 3.11)
    # for each class that sets it: about 2 ms per class at import, for nothing when none has one.
    lines = code.split("\n")
    for node in reversed(ast.parse(code).body):  # bottom-up: a cut never moves the next class
        if isinstance(node, ast.ClassDef) and not _has_attribute_docstrings(node):
            first, last = node.lineno - 1, node.end_lineno or node.lineno
            lines[first:last] = [line for line in lines[first:last] if line != DOCSTRING_CONFIG]
    return "\n".join(lines)


def _has_attribute_docstrings(node: ast.ClassDef) -> bool:
    """Whether a string statement follows a field of the class (the class docstring aside)."""
    pairs = zip(node.body, node.body[1:], strict=False)
    return any(
        isinstance(field, ast.AnnAssign | ast.Assign)
        and isinstance(text, ast.Expr)
        and isinstance(text.value, ast.Constant)
        and isinstance(text.value.value, str)
        for field, text in pairs
    )


def _definitions(ir: AgentIR) -> dict[str, Any]:
    """The named types, one object schema per intent, the input and the state fields, by name."""
    definitions: dict[str, Any] = dict(ir.types)
    for intent in ir.intents:
        definitions[intent.class_name] = _intent_schema(intent)
    if ir.input is not None:
        described = {"description": f"What starts a thread of the {ir.name} agent."}
        definitions[INPUT_CLASS] = {**described, **ir.input}
    if ir.state_fields:
        definitions[STATE_FIELDS_CLASS] = {
            "type": "object",
            "description": "The business state fields of the spec.",
            "properties": {field.name: field.schema for field in ir.state_fields},
            "required": [field.name for field in ir.state_fields if "default" in field.schema],
        }
    return definitions


def _parse(
    schema: dict[str, Any], own: set[str], hidden: set[str]
) -> tuple[str, str, list[_Class]]:
    """The printed import block, the printed classes but the hidden ones, and every class."""
    parser = _parser(schema, own)
    try:
        with _fewer_collections():
            # With its imports: without `from __future__ import annotations` it quotes names.
            code = parser.parse()
            assert isinstance(code, str), "datamodel-code-generator split the models into modules"
            models: list[DataModel] = list(parser.results)
            names = {model.class_name for model in models}
            classes = [_class(model, names) for model in models]
            edits = _edits(models, classes, hidden)
    finally:
        parser.dispose()  # the data models point at each other: let them go now
    block, printed = _split_imports(code, [found.name for found in classes])
    return block, _edited(printed, edits, hidden), classes


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Raise the young generation's collection threshold for a while, as `generate()` does."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], YOUNG_GC_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def _parser(schema: dict[str, Any], own: set[str]) -> JsonSchemaParser:
    """The parser of `schema`, with the options `generate()` used to pass it for us."""
    types = get_data_model_types(DataModelType.PydanticV2BaseModel, PythonVersion.PY_311)
    return JsonSchemaParser(
        json.dumps(schema),
        data_model_type=types.data_model,
        data_model_root_type=types.root_model,
        data_model_field_type=types.field_model,
        data_type_manager_type=types.data_type_manager,
        dump_resolve_reference_action=types.dump_resolve_reference_action,
        known_third_party=types.known_third_party,
        target_python_version=PythonVersion.PY_311,
        snake_case_field=True,
        use_annotated=True,
        use_standard_collections=True,
        use_union_operator=True,
        field_constraints=True,
        use_schema_description=True,
        use_field_description=True,
        use_attribute_docstrings=True,  # so that the schema the model reads has them too
        use_single_line_docstring=True,
        apply_default_values_for_required_fields=True,
        enum_field_as_literal=LiteralType.All,
        use_double_quotes=True,
        skip_root_model=True,
        allow_population_by_field_name=True,
        formatters=[],
        custom_class_name_generator=partial(_class_name, frozenset(own)),
    )


def _class_name(own: frozenset[str], name: str) -> str:
    """Our own definitions keep their names: the templates import them by these names."""
    return name if name in own else _avoid_generated_names(name)


def _class(model: DataModel, classes: set[str]) -> _Class:
    """What one data model imports and declares; `classes` are the module's classes."""
    fields = {_attribute(model, field): field for field in model.fields}
    return _Class(
        name=model.class_name,
        imports=tuple((i.from_, _imported(i)) for i in model.imports if i.from_ is not None),
        attributes={_json_name(field, name): name for name, field in fields.items()},
        field_types={name: field.type_hint for name, field in fields.items()},
        model_defaults={
            name: field.represented_default
            for name, field in fields.items()
            if isinstance(field.default, dict) and field.type_hint in classes
        },
    )


def _attribute(model: DataModel, field: DataModelFieldBase) -> str:
    """The Python attribute a field is printed as (a root model's one field is `root`)."""
    if model.IS_ROOT_MODEL:
        return "root"
    assert field.name is not None, f"a field of {model.class_name} has no name"
    return field.name


def _json_name(field: DataModelFieldBase, attribute: str) -> str:
    """The name the field has in JSON: its `Field(alias=...)`, else its attribute."""
    return attribute if attribute == "root" or field.alias is None else field.alias


def _imported(item: Import) -> str:
    """A name as `from module import ...` lists it, `date as date_aliased` included."""
    return item.import_ if item.alias is None else f"{item.import_} as {item.alias}"


def _edits(models: list[DataModel], classes: list[_Class], hidden: set[str]) -> dict[str, str]:
    """The text of each class the body changes -> its new text ("" to cut it out)."""
    # Only these classes are rendered again, to be found in the printed code.
    edits: dict[str, str] = {}
    for model, found in zip(models, classes, strict=True):
        if found.name in hidden or found.model_defaults:
            text = model.render()
            edits[text] = "" if found.name in hidden else _with_model_defaults(text, found)
    return edits


def _split_imports(code: str, names: list[str]) -> tuple[str, str]:
    """The printed module's import block, and the rest from its first printed class on."""
    # Not the first data model's: the parser prints a class before the classes that use it,
    # so a named type that refers to one declared after it is printed after that one. (Root
    # models are not printed at all.)
    padded = CLASS_SEPARATOR + code
    found = [padded.find(f"{CLASS_SEPARATOR}class {name}(") for name in names]
    starts = [start for start in found if start >= 0]
    assert starts, "no class is printed as its data model names it"
    return code[: min(starts)], code[min(starts) :]


def _edited(code: str, edits: dict[str, str], hidden: set[str]) -> str:
    """`code` with each class text of `edits` replaced ("": cut out), hidden classes' calls too."""
    padded = CLASS_SEPARATOR + code
    for text, replacement in edits.items():
        printed = CLASS_SEPARATOR + text
        assert padded.count(printed) == 1, "a class is not printed as its data model renders"
        padded = padded.replace(printed, CLASS_SEPARATOR + replacement if replacement else "")
    # After the classes come `Model.model_rebuild()` calls, which only the printed code lists.
    kept = (line for line in padded.split("\n") if line.split(".")[0] not in hidden)
    return "\n".join(kept).removeprefix(CLASS_SEPARATOR).rstrip("\n") + "\n"


def _with_model_defaults(text: str, found: _Class) -> str:
    """`x: Money = {"amount": 0}` type-checks as `x: Money = Money.model_validate({...})`."""
    lines = text.split("\n")
    for attribute, literal in found.model_defaults.items():
        start, end = f"    {attribute}: ", f" = {literal}"
        wrapped = f" = {found.field_types[attribute]}.model_validate({literal})"
        for row, line in enumerate(lines):
            if line.startswith(start) and line.endswith(end):
                lines[row] = line.removesuffix(end) + wrapped
    return "\n".join(lines)


def _printed_imports(block: str) -> list[tuple[str, str]]:
    """(module, name as imported) of each `from module import name` of the import block."""
    # The printed block is the only full list: for a field named `str`, the parser imports
    # `from builtins import str as str_aliased` for the module, and no data model lists it.
    return [
        (node.module, item.name if item.asname is None else f"{item.name} as {item.asname}")
        for node in ast.parse(block).body
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__"
        for item in node.names
    ]


def _needed_imports(
    printed: list[tuple[str, str]], classes: list[_Class], hidden: set[str]
) -> dict[str, tuple[str, ...]]:
    """Module -> names, of the printed imports a printed class or the module itself needs."""
    declared = {item for found in classes for item in found.imports}
    needed = {item for found in classes if found.name not in hidden for item in found.imports}
    names: dict[str, list[str]] = {}
    for module, name in printed:
        if (module, name) in needed or (module, name) not in declared:
            names.setdefault(module, []).append(name)
    return {module: tuple(imported) for module, imported in names.items()}


def _intent_schema(intent: Intent) -> dict[str, Any]:
    """An intent as an object schema: the `intent` discriminator, then its params."""
    # Params with a default are listed as required so that they are typed `int = 3`, not
    # `int | None = 3`; `apply_default_values_for_required_fields` keeps the default.
    params = intent.params
    required = ["intent", *(p for p, schema in params.items() if not is_nullable(schema))]
    return {
        "type": "object",
        "description": intent.description,
        "properties": {"intent": {"const": intent.name}, **params},
        "required": required,
        "additionalProperties": False,
    }


def _avoid_generated_names(name: str) -> str:
    """PascalCase class names; a nested `thread` object must not shadow the package's `Thread`."""
    pascal = "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", name) if part)
    return f"{pascal}Model" if pascal in RESERVED_CLASS_NAMES else pascal
