"""build_models reads classes, fields, types and defaults off datamodel-code-generator's models."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import pytest

from agentgen.ir import AgentIR, build_ir
from agentgen.render._models import ModelsCode, build_models
from agentgen.validate import validate_bytes, validate_file

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted([*(ROOT / "specs").glob("*.toml"), *(ROOT / "tests" / "specs").glob("*.toml")])
HEAD = """[agent]
name = "extraction"
description = "d"
[prompts]
system = "s"
next_step = "{{ thread }}"
[done]
name = "done_for_now"
description = "Done."
params.message = { type = "string" }
"""


def _ir(path: Path) -> AgentIR:
    result = validate_file(path)
    assert result.spec is not None, result.diagnostics
    return build_ir(result.spec, path.name)


def _ir_of(toml: str) -> AgentIR:
    result = validate_bytes((HEAD + toml).encode(), "extraction.toml")
    assert result.spec is not None, result.diagnostics
    return build_ir(result.spec, "extraction.toml")


def _returns(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    """The hidden definition that types a tool's result."""
    wrapper = {"type": "object", "properties": {"result": schema}}
    return {**wrapper, "required": ["result"]} if required else wrapper


def _bare(annotation: ast.expr) -> ast.expr:
    """`Annotated[T, ...]` -> `T`."""
    if isinstance(annotation, ast.Subscript) and getattr(annotation.value, "id", "") == "Annotated":
        assert isinstance(annotation.slice, ast.Tuple)
        return annotation.slice.elts[0]
    return annotation


def _printed_fields(body: str) -> dict[str, dict[str, tuple[ast.expr, str | None]]]:
    """Class -> attribute -> (bare annotation, `Field(alias=...)`), read off the printed body."""
    classes = {}
    for node in ast.parse(body).body:
        if isinstance(node, ast.ClassDef):
            classes[node.name] = {
                item.target.id: (_bare(item.annotation), _alias(item))
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
    return classes


def _parsed(expression: str) -> str:
    return ast.dump(ast.parse(expression, mode="eval").body)


def _alias(item: ast.AnnAssign) -> str | None:
    for call in ast.walk(item):
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Field":
            for keyword in call.keywords:
                if keyword.arg == "alias" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return None


def _module(models: ModelsCode, tmp_path: Path, name: str) -> ModuleType:
    """The imports and classes as a module of their own, imported, every model rebuilt."""
    imports = "\n".join(f"from {m} import {', '.join(n)}" for m, n in models.imports.items())
    path = tmp_path / f"{name}.py"
    path.write_text(f"from __future__ import annotations\n{imports}\n\n\n{models.body}")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        for value in vars(module).values():
            own = isinstance(value, type) and getattr(value, "__module__", None) == name
            if own and issubclass(value, pydantic.BaseModel):
                value.model_rebuild(force=True)
    finally:
        del sys.modules[name]
    return module


@pytest.mark.parametrize("path", SPECS, ids=lambda path: path.stem)
def test_fields_are_the_printed_ones(path: Path) -> None:
    models = build_models(_ir(path))
    printed = _printed_fields(models.body)
    assert set(printed) == set(models.attributes) <= set(models.field_types)
    for name, fields in printed.items():
        names = {alias or attribute: attribute for attribute, (_, alias) in fields.items()}
        assert models.attributes[name] == names
        types = {attribute: _parsed(text) for attribute, text in models.field_types[name].items()}
        assert types == {attribute: ast.dump(bare) for attribute, (bare, _) in fields.items()}


@pytest.mark.parametrize("path", SPECS, ids=lambda path: path.stem)
def test_the_imports_are_those_the_classes_need(path: Path, tmp_path: Path) -> None:
    _module(build_models(_ir(path)), tmp_path, f"models_{path.stem}")


def test_exact_types_of_the_support_triage_models() -> None:
    models = build_models(_ir(ROOT / "specs" / "support_triage.toml"))
    assert models.field_types["Order"] == {
        "order_id": "str",
        "status": "Literal['paid', 'shipped', 'delivered', 'cancelled', 'refunded']",
        "total": "Money",
        "placed_at": "AwareDatetime",
        "items": "list[str] | None",
    }
    assert models.field_types["Customer"]["tier"] == "Literal['standard', 'premium'] | None"
    assert models.field_types["IssueRefund"]["amount"] == "Money"
    # Printed `Annotated[float, Field(ge=0.0)]`.
    assert models.field_types["Money"]["amount"] == "float"


def test_a_model_typed_default_is_validated_into_the_model() -> None:
    models = build_models(_ir(ROOT / "specs" / "support_triage.toml"))
    assert models.field_types["StateFields"]["last_refund"] == "Money"
    expected = "= Money.model_validate({'amount': 0, 'currency': 'EUR'})"
    assert [line for line in models.body.splitlines() if "last_refund" in line] == [
        f"    last_refund: Annotated[Money, Field(validate_default=True)] {expected}"
    ]


def test_json_names_map_to_python_attributes() -> None:
    models = build_models(
        _ir_of(
            """[tools.sign_up]
description = "Sign a person up."
params.firstName = { type = "string" }
params.class = { type = "integer" }
params.plain = { type = "boolean", default = true }
"""
        )
    )
    assert models.attributes["SignUp"] == {
        "intent": "intent",
        "firstName": "first_name",
        "class": "class_",
        "plain": "plain",
    }
    assert models.field_types["SignUp"] == {
        "intent": "Literal['sign_up']",
        "first_name": "str",
        "class_": "int",
        "plain": "bool",
    }
    assert "first_name: Annotated[str, Field(alias='firstName')]" in models.body


def test_aliased_imports_keep_their_alias(tmp_path: Path) -> None:
    """A field named `date`, and one named `str` with a value, hide the types of later fields."""
    ir = _ir_of(
        """[tools.book]
description = "Book a day."
params.date = { type = "string", format = "date" }
params.str = { type = "integer", default = 3 }
params.label = { type = "string" }
"""
    )
    models = build_models(ir)
    assert models.imports["datetime"] == ("date as date_aliased",)
    assert models.imports["builtins"] == ("str as str_aliased",)
    assert "    label: str_aliased" in models.body.splitlines()
    # The type for code outside this module: the builtin's own name, the import's alias.
    assert models.field_types["Book"] == {
        "intent": "Literal['book']",
        "date": "date_aliased",
        "str": "int",
        "label": "str",
    }
    module = _module(models, tmp_path, "models_aliased")
    assert module.Book(intent="book", date="2026-01-02", str=1, label="x").label == "x"


def test_hidden_definitions_are_typed_but_not_printed() -> None:
    ir = _ir(ROOT / "specs" / "calculator.toml")
    plain = build_models(ir)
    hidden = {"AddReturns": _returns({"type": "number"})}
    models = build_models(ir, hidden=hidden)
    assert models.field_types["AddReturns"] == {"result": "float"}
    assert "AddReturns" not in models.body
    assert models.body == plain.body
    assert models.imports == plain.imports
    assert models.attributes == plain.attributes
    assert models.field_types == {**plain.field_types, "AddReturns": {"result": "float"}}


def test_hidden_definitions_type_refs_arrays_enums_and_nulls() -> None:
    ir = _ir(ROOT / "specs" / "support_triage.toml")
    hidden = {
        "LookupCustomerReturns": _returns(
            {"anyOf": [{"$ref": "#/$defs/Customer"}, {"type": "null"}]}
        ),
        "ListOrdersReturns": _returns({"type": "array", "items": {"$ref": "#/$defs/Order"}}),
        "IssueRefundReturns": _returns({"$ref": "#/$defs/Money"}),
        "TagTicketReturns": _returns({"type": "string", "enum": ["tagged", "queued"]}),
        "CountReturns": _returns({"type": "integer"}, required=False),
    }
    models = build_models(ir, hidden=hidden)
    results = {name: models.field_types[name]["result"] for name in hidden}
    assert results == {
        "LookupCustomerReturns": "Customer | None",
        "ListOrdersReturns": "list[Order]",
        "IssueRefundReturns": "Money",
        "TagTicketReturns": "Literal['tagged', 'queued']",
        "CountReturns": "int | None",
    }
    assert models.body == build_models(ir).body
    assert not set(hidden) & set(models.attributes)


def test_the_classes_nested_in_a_hidden_definition_are_printed(tmp_path: Path) -> None:
    ir = _ir(ROOT / "specs" / "calculator.toml")
    deployment = {
        "type": "object",
        "properties": {
            "deployment_id": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "owners": {"type": "array", "items": {"type": "object", "properties": {"e": {}}}},
        },
        "required": ["deployment_id", "at"],
    }
    hidden = {
        "DeployReturns": _returns(deployment),
        # Only the hidden class uses `EmailStr`: the imports must not list it.
        "ContactReturns": _returns({"type": "string", "format": "email"}),
    }
    models = build_models(ir, hidden=hidden)
    nested = models.field_types["DeployReturns"]["result"]
    assert f"\nclass {nested}(BaseModel):\n" in models.body
    assert models.field_types[nested] == {
        "deployment_id": "str",
        "at": "AwareDatetime",
        "owners": "list[Owner] | None",
    }
    assert "\nclass Owner(BaseModel):\n" in models.body
    assert set(models.attributes) == set(build_models(ir).attributes) | {nested, "Owner"}
    assert "AwareDatetime" in models.imports["pydantic"]
    assert "EmailStr" not in models.imports["pydantic"]
    assert models.field_types["ContactReturns"] == {"result": "EmailStr"}
    assert "DeployReturns" not in models.body and "ContactReturns" not in models.body
    module = _module(models, tmp_path, "models_nested")
    assert getattr(module, nested)(deployment_id="d", at="2026-01-02T03:04:05Z").owners is None


def test_a_hidden_definition_of_a_recursive_type_keeps_only_the_visible_rebuilds() -> None:
    ir = _ir_of(
        """[types.Node]
type = "object"
properties.label = { type = "string" }
properties.children = { type = "array", items = { "$ref" = "#/$defs/Node" } }
[tools.walk]
description = "Walk a tree."
params.root = { "$ref" = "#/$defs/Node" }
"""
    )
    node = {"$ref": "#/$defs/Node"}
    looping = {**_returns(node), "properties": {"result": node, "next": {"$ref": "#/$defs/Loop"}}}
    models = build_models(ir, hidden={"Loop": looping})
    assert models.field_types["Loop"] == {"result": "Node", "next": "Loop | None"}
    assert models.field_types["Node"]["children"] == "list[Node] | None"
    assert models.body.endswith("\n\n\nNode.model_rebuild()\n")
    assert "Loop" not in models.body
    assert models.body == build_models(ir).body


def test_hidden_definitions_may_not_take_the_spec_s_class_names() -> None:
    ir = _ir(ROOT / "specs" / "calculator.toml")
    with pytest.raises(ValueError, match="Add"):
        build_models(ir, hidden={"Add": _returns({"type": "number"})})


def test_only_classes_with_field_docstrings_ask_pydantic_to_read_them(tmp_path: Path) -> None:
    """Pydantic parses the module's source for each class that sets it: only where it matters."""
    models = build_models(
        _ir_of(
            """[tools.book]
description = "Book a seat."
params.seat = { type = "string", description = "Like 12A." }
[tools.cancel]
description = "Cancel the booking."
params.reason = { type = "string" }
[tools.wait]
description = "Wait a while."
"""
        )
    )
    module = _module(models, tmp_path, "docstring_config")
    configured = {
        name: getattr(module, name).model_config.get("use_attribute_docstrings", False)
        for name in ("Book", "Cancel", "Wait", "DoneForNow")
    }
    assert configured == {"Book": True, "Cancel": False, "Wait": False, "DoneForNow": False}
    assert module.Book.model_json_schema()["properties"]["seat"]["description"] == "Like 12A."
    assert "description" not in module.Cancel.model_json_schema()["properties"]["reason"]
