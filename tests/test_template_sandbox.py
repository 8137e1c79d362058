"""Prompt templates are sandboxed: validate refuses escapes, and prompts.py stops them at render."""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path
from types import ModuleType

import jinja2
import pytest
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.optimizer import Optimizer

from agentgen.validate import validate_bytes

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "generated" / "calculator"
SANDBOX_HINT = "prompt templates render in jinja's sandbox: pass what you need as a variable"
GLOBALS_HINT = "prompts may use jinja's range and dict, not lipsum, cycler, joiner or namespace"
HUGE_HINT = (
    "jinja computes constant expressions when prompts.py is imported; the limits are "
    "100000 characters and 4300 digits"
)


def _spec(system: str) -> bytes:
    """A valid spec but for its system prompt, written on line 5 as a TOML literal string."""
    assert "'" not in system
    return f"[agent]\nname = \"calc\"\n\n[prompts]\nsystem = '{system}'\n".encode()


def _diagnostics(system: str) -> list[str]:
    result = validate_bytes(_spec(system), "calc.toml")
    assert result.spec is None
    return [d.text() for d in result.diagnostics]


def test_lipsum_reaching_os_is_refused() -> None:
    assert _diagnostics('{{ lipsum.__globals__["os"].popen("id").read() }}') == [
        "calc.toml:5:14: error[AG043]: unsafe template access: jinja's global 'lipsum' is not "
        f"allowed in prompts\n    hint: {GLOBALS_HINT}",
        "calc.toml:5:21: error[AG043]: unsafe template access: '__globals__' is a private "
        f"attribute\n    hint: {SANDBOX_HINT}",
    ]


def test_cycler_reaching_the_environment_is_refused() -> None:
    assert _diagnostics("Keys: {{ cycler.__init__.__globals__.os.environ }}") == [
        "calc.toml:5:20: error[AG043]: unsafe template access: jinja's global 'cycler' is not "
        f"allowed in prompts\n    hint: {GLOBALS_HINT}",
        "calc.toml:5:27: error[AG043]: unsafe template access: '__init__' is a private "
        f"attribute\n    hint: {SANDBOX_HINT}",
        "calc.toml:5:36: error[AG043]: unsafe template access: '__globals__' is a private "
        f"attribute\n    hint: {SANDBOX_HINT}",
    ]


def test_the_mro_of_a_string_is_refused() -> None:
    assert _diagnostics('{{ "".__class__.__mro__ }}') == [
        "calc.toml:5:17: error[AG043]: unsafe template access: '__class__' is a private "
        f"attribute\n    hint: {SANDBOX_HINT}",
        "calc.toml:5:27: error[AG043]: unsafe template access: '__mro__' is a private "
        f"attribute\n    hint: {SANDBOX_HINT}",
    ]


@pytest.mark.parametrize(
    ("template", "column", "name"),
    [
        ('{{ x["__class__"] }}', 16, "__class__"),
        ('{{ x | attr("_private") }}', 23, "_private"),
        ('{{ xs | map(attribute="a.__dict__") | list }}', 33, "__dict__"),
        ('{{ "{0.__class__}".format(x) }}', 14, "__class__"),
    ],
)
def test_private_attributes_by_string_are_refused(template: str, column: int, name: str) -> None:
    spec = _spec(template) + b'\n[prompts.vars]\nx = "string"\nxs = "array"\n'
    result = validate_bytes(spec, "calc.toml")
    assert [d.text() for d in result.diagnostics] == [
        f"calc.toml:5:{column}: error[AG043]: unsafe template access: '{name}' is a private "
        f"attribute\n    hint: {SANDBOX_HINT}"
    ]


def test_a_declared_variable_named_like_a_global_is_the_variable() -> None:
    spec = _spec("{{ lipsum }}") + b'\n[prompts.vars]\nlipsum = "string"\n'
    assert validate_bytes(spec, "calc.toml").diagnostics == []


def test_range_dict_and_plain_arithmetic_stay_allowed() -> None:
    template = '{% for i in range(3) %}{{ "-" * 40 }}{{ 2 ** 64 }}{{ dict(a=i) }}{% endfor %}'
    assert validate_bytes(_spec(template), "calc.toml").diagnostics == []


@pytest.mark.parametrize(
    ("template", "column", "shown"),
    [
        ("{{ 10**5000 }}", 16, "'**'"),
        ('{{ "a" * 10**9 }}', 18, "'*'"),
        ('{{ "a" * 10**10 }}', 18, "'*'"),
        ('{{ "x" | center(100000000) }}', 20, "the filter 'center'"),
        ('{{ "%0100000000d" % 1 }}', 29, "'%'"),
        ('{{ "a" * ("9999999999" | int) }}', 18, "'*'"),
    ],
)
def test_huge_constants_are_refused_without_computing_them(
    template: str, column: int, shown: str
) -> None:
    assert _diagnostics(template) == [
        f"calc.toml:5:{column}: error[AG044]: template computes a constant too large for a "
        f"prompt with {shown}\n    hint: {HUGE_HINT}"
    ]


def test_validate_evaluates_no_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    """No constant is read and jinja's optimizer never runs: nothing can be computed."""
    calls: list[str] = []

    def evaluated(*args: object, **kwargs: object) -> None:
        calls.append("evaluated")  # recorded too: jinja swallows errors while it folds
        raise AssertionError("validate evaluated a template expression")

    monkeypatch.setattr(Optimizer, "visit", evaluated)
    monkeypatch.setattr(nodes.Const, "as_const", evaluated)
    template = '{{ "a" * 3 }}{{ -1 }}{{ "b" | upper }}{% if 3 is odd %}{{ 1 + 2 }}{% endif %}'
    assert validate_bytes(_spec(template), "calc.toml").diagnostics == []
    assert calls == []


def _prompts_rendering(system: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A copy of the generated calculator's prompts.py with its SYSTEM edited by hand."""
    package = tmp_path / f"edited_{abs(hash(system))}"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    shutil.copy(GENERATED / "tools.py", package / "tools.py")
    source = (GENERATED / "prompts.py").read_text(encoding="utf-8")
    edited = re.sub(r"^SYSTEM = .*$", lambda _: f"SYSTEM = {system!r}", source, flags=re.M)
    assert edited != source
    (package / "prompts.py").write_text(edited, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(f"{package.name}.prompts")


@pytest.mark.parametrize(
    ("system", "error"),
    [
        (
            "{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}",
            "access to attribute '__globals__' of 'function' object is unsafe.",
        ),
        (
            "{{ cycler.__init__.__globals__.os.environ }}",
            "access to attribute '__init__' of 'type' object is unsafe.",
        ),
        (
            "{{ ''.__class__.__mro__ }}",
            "access to attribute '__class__' of 'str' object is unsafe.",
        ),
        (
            "{% set xs = [] %}{{ xs.append('{marker}') }}",
            "access to attribute 'append' of 'list' object is unsafe.",
        ),
    ],
)
def test_generated_prompts_raise_security_error_instead_of_running(
    system: str, error: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "ran"
    prompts = _prompts_rendering(system.replace("{marker}", str(marker)), tmp_path, monkeypatch)
    with pytest.raises(SecurityError) as raised:
        prompts.render_system(None)
    assert str(raised.value) == error
    assert not marker.exists()


def test_generated_prompts_still_render_strictly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = _prompts_rendering("{{ 'ab' | upper }} {{ missing }}", tmp_path, monkeypatch)
    with pytest.raises(jinja2.UndefinedError) as raised:
        prompts.render_system(None)
    assert str(raised.value) == "'missing' is undefined"


def test_a_problem_points_at_its_own_token_not_the_first_alike_on_its_line() -> None:
    template = '{{ "-" * 40 }} {{ x.upper }} {{ "a" * 10**9 }} {{ x.__class__ }}'
    spec = _spec(template) + b'\n[prompts.vars]\nx = "string"\n'
    diagnostics = validate_bytes(spec, "calc.toml").diagnostics
    columns = {d.code: d.column for d in diagnostics}
    assert columns == {"AG044": 11 + template.index("* 10"), "AG043": 11 + template.index("__")}
