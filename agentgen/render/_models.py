"""Pydantic models of the intents and named types, through datamodel-code-generator."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Any

from datamodel_code_generator import generate
from datamodel_code_generator.enums import DataModelType, InputFileType
from datamodel_code_generator.format import PythonVersion
from datamodel_code_generator.parser import LiteralType

from agentgen.ir import AgentIR, Intent, is_nullable
from agentgen.render._descriptions import Descriptions
from agentgen.spec.names import GENERATED_CLASSES

STATE_FIELDS_CLASS = "StateFields"


@dataclass(frozen=True)
class ModelsCode:
    """Class definitions, the imports they need, and each class's JSON name -> attribute."""

    body: str
    imports: dict[str, tuple[str, ...]]
    attributes: dict[str, dict[str, str]]


def build_models(ir: AgentIR) -> ModelsCode:
    """Run datamodel-code-generator on the named types and one object schema per intent."""
    definitions: dict[str, Any] = dict(ir.types)
    for intent in ir.intents:
        definitions[intent.class_name] = _intent_schema(intent)
    if ir.state_fields:
        definitions[STATE_FIELDS_CLASS] = {
            "type": "object",
            "description": "The business state fields of the spec.",
            "properties": {field.name: field.schema for field in ir.state_fields},
            "required": [field.name for field in ir.state_fields if "default" in field.schema],
        }
    descriptions = Descriptions(definitions)
    code = _generate({"$defs": descriptions.hide(definitions)}, set(definitions))
    models = _split(descriptions.restore(_typed_model_defaults(code)))
    missing = sorted(set(definitions) - set(models.attributes) - set(ir.types))
    assert not missing, f"datamodel-code-generator renamed {missing}"
    return models


def _generate(schema: dict[str, Any], own: set[str]) -> str:
    """datamodel-code-generator's pydantic v2 models of every definition of `schema`."""

    def class_name(name: str) -> str:
        # Our own definitions keep their names: the templates import them by these names.
        return name if name in own else _avoid_generated_names(name)

    code = generate(
        json.dumps(schema),
        input_file_type=InputFileType.JsonSchema,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_311,
        snake_case_field=True,
        use_annotated=True,
        use_standard_collections=True,
        use_union_operator=True,
        disable_timestamp=True,
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
        custom_class_name_generator=class_name,
    )
    assert isinstance(code, str)
    return code


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
    return f"{pascal}Model" if pascal in GENERATED_CLASSES else pascal


def _split(code: str) -> ModelsCode:
    """Separate the import block from the classes and index each class's fields."""
    tree = ast.parse(code)
    imports: dict[str, tuple[str, ...]] = {}
    first_class_line = len(code.splitlines()) + 1
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            imports[node.module] = tuple(alias.name for alias in node.names)
        elif not isinstance(node, ast.ImportFrom | ast.Import | ast.Expr):
            first_class_line = min(first_class_line, node.lineno)
    lines = code.splitlines()[first_class_line - 1 :]
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    attributes = {node.name: _field_names(node) for node in classes}
    return ModelsCode("\n".join(lines) + "\n", imports, attributes)


def _field_names(node: ast.ClassDef) -> dict[str, str]:
    """JSON name -> Python attribute, reading `Field(alias=...)` where there is one."""
    names = {}
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            attribute = item.target.id
            names[_alias(item) or attribute] = attribute
    return names


def _alias(item: ast.AnnAssign) -> str | None:
    for call in ast.walk(item):
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Field":
            for keyword in call.keywords:
                if keyword.arg == "alias" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return None


def _typed_model_defaults(code: str) -> str:
    """`x: Money = {"amount": 0}` type-checks as `x: Money = Money.model_validate({...})`."""
    tree = ast.parse(code)
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    lines = code.splitlines()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Dict)):
            continue
        model = _model_of(node.annotation, classes)
        if model is None or node.value.end_lineno != node.value.lineno:
            continue
        row = node.value.lineno - 1
        start, end = node.value.col_offset, node.value.end_col_offset or 0
        literal = lines[row][start:end]
        lines[row] = f"{lines[row][:start]}{model}.model_validate({literal}){lines[row][end:]}"
    return "\n".join(lines) + "\n"


def _model_of(annotation: ast.expr, classes: set[str]) -> str | None:
    """The model class a field is annotated with, directly or as `Annotated[Model, ...]`."""
    if isinstance(annotation, ast.Name) and annotation.id in classes:
        return annotation.id
    if isinstance(annotation, ast.Subscript) and getattr(annotation.value, "id", "") == "Annotated":
        first = annotation.slice.elts[0] if isinstance(annotation.slice, ast.Tuple) else None
        return _model_of(first, classes) if first is not None else None
    return None
