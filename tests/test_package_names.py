"""Every name a generated package binds is known: from the spec, or in PACKAGE_NAMES."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentgen.cli import main
from agentgen.ir import build_ir
from agentgen.render._models import build_models
from agentgen.spec.names import PACKAGE_NAMES, TRIGGER_NAMES
from agentgen.validate import validate_bytes, validate_file

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted([*(ROOT / "specs").glob("*.toml"), *(ROOT / "tests" / "specs").glob("*.toml")])
MYPY = Path(sys.executable).parent / "mypy"
# Tool names that read like the loop's own words: each must generate code that type-checks.
FREE_TOOL_NAMES = ("state", "ctx", "deps", "call", "step", "run", "launch", "resume", "reduce")
# Tool names whose class would shadow one the package uses: each is refused.
TAKEN_TOOL_NAMES = {
    "store": "Store",
    "model": "Model",
    "model_request": "ModelRequest",
    "handlers": "Handlers",
    "thread": "Thread",
    "tool_context": "ToolContext",
}


def _bound_names(source: str) -> set[str]:
    """The names a module binds at its top level: imports, classes, functions, assignments."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _spec_names(spec: Path) -> set[str]:
    """The names the spec itself brings: its intents' classes, its types, its state unions."""
    result = validate_file(spec)
    assert result.spec is not None
    ir = build_ir(result.spec, spec.name)
    names = {intent.class_name for intent in ir.intents} | set(ir.types)
    names |= {state.union_name for state in ir.states} | set(build_models(ir).attributes)
    return names | {tool.name for tool in ir.tools}  # handlers.py defines one function each


@pytest.mark.parametrize("spec", SPECS, ids=[spec.stem for spec in SPECS])
def test_templates_bind_only_names_the_generator_knows(spec: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["generate", str(spec), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [package] = [folder for folder in tmp_path.iterdir() if folder.is_dir()]
    known = PACKAGE_NAMES | _spec_names(spec)
    for module in sorted(package.glob("*.py")):
        private = {name for name in _bound_names(module.read_text()) if name.startswith("_")}
        own = TRIGGER_NAMES if module.name == "http.py" else frozenset()
        unknown = _bound_names(module.read_text()) - known - own - private - {"annotations"}
        lowercase = {name for name in unknown if not name[:1].isupper()}
        # functions and imported modules in lower case cannot meet a spec's PascalCase names
        assert unknown - lowercase == set(), f"{module.name} binds names PACKAGE_NAMES lacks"


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
    checked = subprocess.run(
        [str(MYPY), "--strict", "--no-incremental", "names"],
        cwd=tmp_path / "out",
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
