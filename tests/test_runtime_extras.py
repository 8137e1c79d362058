"""The runtime stands alone: optional packages load on first use, and a missing one is one line."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import agentgen_runtime

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = Path(agentgen_runtime.__file__).parent


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """`code` in a new interpreter of this checkout: nothing imported yet."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_the_runtime_imports_nothing_of_the_generator() -> None:
    found = []
    for path in sorted(RUNTIME.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "agentgen"]
    assert found == []


def test_running_an_agent_from_its_command_line_loads_no_optional_package() -> None:
    code = (
        "import sys, generated.calculator.__main__\n"
        "optional = ['starlette', 'uvicorn', 'httpx', 'openai', 'anthropic', 'psycopg']\n"
        "print(sorted(name for name in optional if name in sys.modules))"
    )
    result = _python(code)
    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr


@pytest.mark.parametrize(
    ("missing", "use", "extra"),
    [
        ("starlette", "agentgen_runtime.check_auth", "http"),
        ("httpx", "agentgen_runtime.CallbackSender", "http"),
        ("openai", "agentgen_runtime.OpenAIModel('gpt-4o', api_key='k')", "openai"),
        ("anthropic", "agentgen_runtime.AnthropicModel('claude', api_key='k')", "anthropic"),
    ],
)
def test_a_missing_extra_is_one_line_naming_the_install(missing: str, use: str, extra: str) -> None:
    code = (
        f"import sys; sys.modules[{missing!r}] = None\n"
        "import agentgen_runtime\n"
        "try:\n"
        f"    {use}\n"
        "except agentgen_runtime.MissingExtra as error:\n"
        "    print(error)\n"
    )
    result = _python(code)
    expected = f"{missing} is not installed: pip install 'agentgen-runtime[{extra}]'\n"
    assert (result.stdout, result.stderr) == (expected, "")


def test_serve_without_the_http_extra_says_what_to_install() -> None:
    code = (
        "import runpy, sys; sys.modules['uvicorn'] = None\n"
        "sys.argv = ['calculator', 'serve']\n"
        "runpy.run_module('generated.calculator', run_name='__main__')\n"
    )
    result = _python(code)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "error: uvicorn is not installed: pip install 'agentgen-runtime[http]'\n"
    )
