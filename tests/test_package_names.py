"""Every name a generated package binds is the IR's: from the spec, or in PACKAGE_MODULES."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentgen.cli import main
from agentgen.ir import PACKAGE_MODULES, SCHEMA_TYPE_NAMES, build_ir
from agentgen.render._models import build_models
from agentgen.validate import validate_bytes, validate_file
from tests.strict_mypy import mypy_errors

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted([*(ROOT / "specs").glob("*.toml"), *(ROOT / "tests" / "specs").glob("*.toml")])
# Tool names that read like the loop's own words: each must generate code that type-checks.
FREE_TOOL_NAMES = (
    "state",
    "ctx",
    "deps",
    "call",
    "step",
    "run",
    "launch",
    "resume",
    "reduce",
    "fold",
)
# Tool names whose class would shadow one the package uses: each is refused.
TAKEN_TOOL_NAMES = {
    "store": "Store",
    "model": "Model",
    "model_request": "ModelRequest",
    "handlers": "Handlers",
    "thread": "Thread",
    "tool_context": "ToolContext",
    "state_name": "StateName",
}


def _bound_names(source: str) -> set[str]:
    """The public names a module binds at top level: imports, classes, functions, assignments."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")}


def _spec_names(spec: Path) -> set[str]:
    """The names the spec itself brings: its intents' and types' classes, its tools' own."""
    result = validate_file(spec)
    assert result.spec is not None
    ir = build_ir(result.spec, spec.name)
    names = {intent.class_name for intent in ir.intents} | set(ir.types)
    names |= set(build_models(ir).field_types)  # the classes datamodel-code-generator printed
    for tool in ir.tools:  # handlers.py defines one function each
        names |= {tool.name, tool.handler_type, tool.result_event}
    return names


def _generated(spec: Path, folder: Path) -> Path:
    result = CliRunner().invoke(main, ["generate", str(spec), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    [package] = [found for found in folder.iterdir() if found.is_dir()]
    return package


@pytest.mark.parametrize("spec", SPECS, ids=[spec.stem for spec in SPECS])
def test_templates_bind_only_names_the_ir_knows(spec: Path, tmp_path: Path) -> None:
    package, known = _generated(spec, tmp_path), _spec_names(spec)
    assert sorted(path.stem for path in package.glob("*.py")) == sorted(PACKAGE_MODULES)
    for module in sorted(package.glob("*.py")):
        unknown = _bound_names(module.read_text()) - PACKAGE_MODULES[module.stem].names - known
        assert unknown == set(), f"{module.name} binds names PACKAGE_MODULES lacks"


def test_every_name_the_ir_lists_is_bound_by_some_example(tmp_path: Path) -> None:
    bound: dict[str, set[str]] = {name: set() for name in PACKAGE_MODULES}
    for index, spec in enumerate(SPECS):
        for module in _generated(spec, tmp_path / str(index)).glob("*.py"):
            bound[module.stem] |= _bound_names(module.read_text())
    # datamodel-code-generator imports only what the example schemas need
    optional = SCHEMA_TYPE_NAMES - bound["tools"]
    stale = {name: sorted(PACKAGE_MODULES[name].names - found) for name, found in bound.items()}
    stale["tools"] = sorted(set(stale["tools"]) - optional)
    assert {name: names for name, names in stale.items() if names} == {}


def test_the_names_test_fails_when_a_template_gains_a_name(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    source = (ROOT / "templates" / "state.py.jinja").read_text()
    (templates / "state.py.jinja").write_text(source + "\n\nAuditTrail = list[str]\n")
    spec = ROOT / "specs" / "calculator.toml"
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["generate", str(spec), "--out", str(out), "--templates", str(templates)]
    )
    assert result.exit_code == 0, result.output
    state = (out / "calculator" / "state.py").read_text()
    unknown = _bound_names(state) - PACKAGE_MODULES["state"].names - _spec_names(spec)
    assert unknown == {"AuditTrail"}


def _spec_with_tools(names: tuple[str, ...]) -> str:
    lines = ['[agent]\nname = "names"\n']
    for name in names:
        lines.append(f'[tools.{name}]\ndescription = "{name}"\nparams.x = {{ type = "number" }}')
        lines.append('returns = { type = "number" }\n')
    return "\n".join(lines)


@pytest.mark.parametrize("name", sorted(TAKEN_TOOL_NAMES))
def test_a_tool_named_like_a_package_class_is_refused(name: str) -> None:
    result = validate_bytes(_spec_with_tools((name,)).encode(), "names.toml")
    [problem] = result.diagnostics
    assert (problem.code, problem.hint) == ("AG023", "choose another name")
    assert problem.message == (
        f"tool '{name}' would generate class '{TAKEN_TOOL_NAMES[name]}', "
        "which the package already defines"
    )


def test_tools_named_like_the_loop_s_words_generate_code_that_type_checks(tmp_path: Path) -> None:
    spec = tmp_path / "names.toml"
    spec.write_text(_spec_with_tools(FREE_TOOL_NAMES), encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert mypy_errors(tmp_path / "out", "names") == ""
