"""The committed JSON Schema of the spec language: in sync, documented, valid, usable by taplo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from agentgen.validate import validate_file

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "agentgen.schema.json"
EXAMPLES = sorted((ROOT / "specs").glob("*.toml"))
DIRECTIVE = "#:schema ../agentgen.schema.json"
TAPLO = Path(sys.executable).parent / "taplo"
REFRESH = "run `.venv/bin/agentgen schema > agentgen.schema.json` at the repo root and commit it"
SECTIONS = {
    "agent",
    "model",
    "prompts",
    "input",
    "tools",
    "humans",
    "done",
    "types",
    "state",
    "states",
    "prefetch",
    "context",
    "tests",
}


def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def _properties(node: Any, path: str = "#") -> Iterator[tuple[str, Any]]:
    """(JSON pointer, subschema) of every entry of every `properties` object in the schema."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _properties(item, f"{path}/{index}")
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, subschema in value.items():
                    yield f"{path}/properties/{name}", subschema
            yield from _properties(value, f"{path}/{key}")


def test_committed_schema_is_the_output_of_agentgen_schema(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "agentgen", "schema"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == SCHEMA_FILE.read_bytes(), f"agentgen.schema.json is stale: {REFRESH}"


def test_every_property_has_a_description() -> None:
    schema = _schema()
    described = dict(_properties(schema))
    missing = [path for path, node in described.items() if not node.get("description")]
    assert missing == []
    assert set(schema["properties"]) == SECTIONS
    assert "#/definitions/ToolSection/properties/approval" in described


def test_schema_is_valid_draft_07() -> None:
    schema = _schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(schema)


def test_the_examples_and_ports_are_there() -> None:
    assert [path.name for path in EXAMPLES] == [
        "airline_faq.toml",
        "airline_service.toml",
        "airline_triage.toml",
        "calculator.toml",
        "deploy_bot.toml",
        "seat_booking.toml",
        "support_triage.toml",
        "travel_support.toml",
        "vercel_deploybot.toml",
    ]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_example_is_valid_for_agentgen_and_the_schema(example: Path) -> None:
    assert example.read_text(encoding="utf-8").splitlines()[0] == DIRECTIVE
    assert validate_file(example).diagnostics == []
    data = tomllib.loads(example.read_text(encoding="utf-8"))
    assert [error.message for error in Draft7Validator(_schema()).iter_errors(data)] == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("max_turns = 20", 'max_turns = "twenty"', "'twenty' is not of type 'integer'"),
        (
            'approval = "always"',
            'aproval = "always"',
            "Additional properties are not allowed ('aproval' was unexpected)",
        ),
        (
            'provider = "openai"',
            'provider = "mistral"',
            "'mistral' is not one of ['openai', 'anthropic']",
        ),
    ],
)
def test_schema_rejects_a_broken_example(old: str, new: str, message: str) -> None:
    data = tomllib.loads(_broken_calculator(old, new))
    messages = [error.message for error in Draft7Validator(_schema()).iter_errors(data)]
    assert messages == [message]


def _broken_calculator(old: str, new: str) -> str:
    text = (ROOT / "specs" / "calculator.toml").read_text(encoding="utf-8")
    assert text.count(old) == 1, f"calculator.toml no longer has exactly one {old!r}"
    return text.replace(old, new)


@pytest.fixture
def taplo() -> Path:
    """The taplo binary the `taplo` package installs next to this Python."""
    if not TAPLO.is_file():
        pytest.skip(f"taplo is not installed next to {sys.executable}: pip install -e '.[dev]'")
    return TAPLO


def _lint(taplo: Path, cwd: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    """`taplo lint` fully offline: no config lookup, no online schema catalogs (off by default)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TAPLO")}
    # A dead proxy makes any download attempt fail at once instead of reaching the network.
    dead_proxy = "http://127.0.0.1:9"
    env.update(HTTP_PROXY=dead_proxy, HTTPS_PROXY=dead_proxy, ALL_PROXY=dead_proxy, NO_PROXY="")
    command = [str(taplo), "lint", "--no-auto-config", "--colors", "never", *map(str, files)]
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_taplo_accepts_the_examples_through_their_schema_directive(
    taplo: Path, tmp_path: Path
) -> None:
    result = _lint(taplo, tmp_path, *EXAMPLES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error:" not in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("max_turns = 20", 'max_turns = "twenty"', 'error: "twenty" is not of type "integer"'),
        (
            'approval = "always"',
            'aproval = "always"',
            "error: Additional properties are not allowed ('aproval' was unexpected)",
        ),
    ],
    ids=["wrong_type", "unknown_key"],
)
def test_taplo_rejects_a_broken_example(
    taplo: Path, tmp_path: Path, old: str, new: str, message: str
) -> None:
    # The same layout as the repo, so the copy's `#:schema ../agentgen.schema.json` resolves.
    shutil.copyfile(SCHEMA_FILE, tmp_path / "agentgen.schema.json")
    broken = tmp_path / "specs" / "calculator.toml"
    broken.parent.mkdir()
    text = _broken_calculator(old, new)
    broken.write_text(text, encoding="utf-8")
    line = next(n for n, content in enumerate(text.splitlines(), 1) if content.startswith(new))
    result = _lint(taplo, tmp_path, broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stderr
    assert f"{broken}:{line}:" in result.stderr


def test_taplo_fails_when_the_schema_cannot_be_loaded(taplo: Path, tmp_path: Path) -> None:
    # Without this, a directive that points nowhere could pass the examples unchecked.
    (tmp_path / "specs").mkdir()
    orphan = tmp_path / "specs" / "calculator.toml"
    shutil.copyfile(ROOT / "specs" / "calculator.toml", orphan)
    # taplo sometimes exits before its log lines are written: every run must fail, and one of
    # a few must say why
    runs = [_lint(taplo, tmp_path, orphan) for _ in range(5)]
    assert [result.returncode for result in runs] == [1] * 5
    reasons = [result.stderr for result in runs if "failed to load schema file://" in result.stderr]
    assert reasons
    assert "/agentgen.schema.json path=" in reasons[0]
