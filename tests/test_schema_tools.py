"""The JSON Schema shipped in the wheel: equal to `agentgen schema`, ready for a catalog, and
read by both TOML tools that editors use, taplo (`taplo check --schema`) and tombi."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentgen.cli import main
from agentgen.spec.schema import SCHEMA_ID, spec_json_schema_text

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = ROOT / "agentgen" / "agentgen.schema.json"
AT_ROOT = ROOT / "agentgen.schema.json"
EXAMPLES = sorted((ROOT / "specs").glob("*.toml"))
BIN = Path(sys.executable).parent
REFRESH = (
    "run `agentgen schema --out agentgen/agentgen.schema.json`"
    " and `agentgen schema --out agentgen.schema.json`"
)
DEAD_PROXY = "http://127.0.0.1:9"  # any download attempt fails at once, never reaching out
# (old, new, what both tools must name): an unknown key in a tool, and an unknown section.
BROKEN = [
    ('approval = "always"', 'aproval = "always"', "aproval"),
    ("[tools.divide]", "[toolz.divide]", "toolz"),
]


def _tool(name: str) -> Path:
    path = BIN / name
    if not path.is_file():
        pytest.fail(f"{name} is not installed next to {sys.executable}: pip install -e '.[dev]'")
    return path


def _offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAPLO", "TOMBI"))}
    env.update(HTTP_PROXY=DEAD_PROXY, HTTPS_PROXY=DEAD_PROXY, ALL_PROXY=DEAD_PROXY, NO_PROXY="")
    env.update(NO_COLOR="1", TOMBI_OFFLINE="1")
    return env


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=_offline_env(), capture_output=True, text=True, timeout=120
    )


def _without_directive(tmp_path: Path, texts: dict[str, str]) -> list[Path]:
    """The specs in tmp_path/specs without their `#:schema` line: the tool is told the schema."""
    folder = tmp_path / "specs"
    folder.mkdir()
    written = []
    for name, text in texts.items():
        lines = text.splitlines(keepends=True)
        assert lines[0].startswith("#:schema "), name
        (folder / name).write_text("".join(lines[1:]), encoding="utf-8")
        written.append(folder / name)
    return written


def _examples() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in EXAMPLES}


def _broken(old: str, new: str) -> dict[str, str]:
    text = (ROOT / "specs" / "calculator.toml").read_text(encoding="utf-8")
    assert text.count(old) == 1, f"calculator.toml no longer has exactly one {old!r}"
    return {"calculator.toml": text.replace(old, new)}


def test_the_packaged_and_the_root_schema_are_the_output_of_agentgen_schema() -> None:
    printed = CliRunner().invoke(main, ["schema"]).stdout
    assert printed == spec_json_schema_text()
    assert PACKAGED.read_text(encoding="utf-8") == printed, f"{PACKAGED.name} is stale: {REFRESH}"
    assert AT_ROOT.read_text(encoding="utf-8") == printed, f"{AT_ROOT.name} is stale: {REFRESH}"


def test_schema_out_writes_the_same_bytes(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "agentgen.schema.json"
    result = CliRunner().invoke(main, ["schema", "--out", str(out)])
    assert (result.exit_code, result.stdout) == (0, "")
    assert out.read_bytes() == PACKAGED.read_bytes()


def test_schema_out_that_cannot_be_written_exits_2(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["schema", "--out", str(tmp_path / "file" / "s.json")])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: cannot write ")
    assert result.stderr.count("\n") == 1


def test_the_schema_is_ready_for_a_catalog() -> None:
    schema = json.loads(PACKAGED.read_text(encoding="utf-8"))
    assert list(schema)[:4] == ["$schema", "$id", "title", "description"]
    assert schema["$id"] == SCHEMA_ID == "https://agentgen.dev/schema/spec-v1.json"
    assert schema["title"] == "agentgen spec v1"
    assert "agentgen generate" in schema["description"]


def test_the_wheel_ships_the_schema(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path)]
    result = subprocess.run([*command, str(ROOT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"could not build the wheel:\n{result.stderr}"
    (wheel,) = tmp_path.glob("agentgen-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read("agentgen/agentgen.schema.json")
    assert shipped == PACKAGED.read_bytes()


def _taplo(tmp_path: Path, files: list[Path]) -> subprocess.CompletedProcess[str]:
    schema = PACKAGED.as_uri()
    command = [str(_tool("taplo")), "check", "--no-auto-config", "--colors", "never"]
    return _run([*command, "--schema", schema, *map(str, files)], tmp_path)


def _tombi(tmp_path: Path, files: list[Path]) -> subprocess.CompletedProcess[str]:
    # tombi takes its schema from a tombi.toml (or the `#:schema` line), not from a flag.
    config = f'[[schemas]]\npath = "{PACKAGED.as_posix()}"\ninclude = ["specs/*.toml"]\n'
    (tmp_path / "tombi.toml").write_text(config, encoding="utf-8")
    return _run([str(_tool("tombi")), "lint", "--offline", *map(str, files)], tmp_path)


def test_taplo_accepts_every_example_with_the_packaged_schema(tmp_path: Path) -> None:
    result = _taplo(tmp_path, _without_directive(tmp_path, _examples()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stderr.lower()


def test_tombi_accepts_every_example_with_the_packaged_schema(tmp_path: Path) -> None:
    result = _tombi(tmp_path, _without_directive(tmp_path, _examples()))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"{len(EXAMPLES)} files linted successfully" in output
    assert "Error" not in output
    # Its strict mode reads a schema's open ends as closed: none of ours may be.
    assert "strict mode" not in output


def test_tombi_reads_the_examples_own_schema_directive(tmp_path: Path) -> None:
    command = [str(_tool("tombi")), "lint", "--offline", *map(str, EXAMPLES)]
    result = _run(command, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Error" not in output and "strict mode" not in output


@pytest.mark.parametrize(("old", "new", "key"), BROKEN, ids=["tool_key", "section"])
def test_taplo_rejects_a_bad_spec_naming_the_key(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    result = _taplo(tmp_path, _without_directive(tmp_path, _broken(old, new)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"error: Additional properties are not allowed ('{key}' was unexpected)" in result.stderr


@pytest.mark.parametrize(("old", "new", "key"), BROKEN, ids=["tool_key", "section"])
def test_tombi_rejects_a_bad_spec_naming_the_key(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    (spec,) = _without_directive(tmp_path, _broken(old, new))
    result = _tombi(tmp_path, [spec])
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f'Error: "{key}" is not allowed' in output
    assert "1 file failed to be linted" in output
