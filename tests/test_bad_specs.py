"""Golden tests: each bad spec in tests/bad_specs gives exactly the diagnostics of its .expected.

Regenerate them with `AGENTGEN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_bad_specs.py`, then
review every changed line by hand: a golden file is only as right as its review.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentgen.cli import main
from agentgen.diagnostics import render
from agentgen.validate import validate_file

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "bad_specs"
SPECS = sorted(CORPUS.glob("*.toml"))
UPDATE = os.environ.get("AGENTGEN_UPDATE_GOLDEN") == "1"
# Codes no small file can trigger: AG004 needs a spec over 2 MB, too big to commit as a fixture;
# AG037 (sub-agents in a cycle) needs two specs: tests/test_sub_agents.py checks it; AG090 is
# a warning of `agentgen import`, not of validate: tests/test_import_mcp.py checks it.
NOT_IN_CORPUS = {"AG004", "AG037", "AG090"}


def _shown_name(spec: Path) -> str:
    """Diagnostics name a spec as the CLI does when run from the repo root."""
    return spec.relative_to(ROOT).as_posix()


def _actual(spec: Path) -> str:
    """What `agentgen validate <spec>` prints on stdout, in text format."""
    result = validate_file(spec, name=_shown_name(spec))
    return render(result.diagnostics, "text") + "\n"


@pytest.mark.parametrize("spec", SPECS, ids=[spec.stem for spec in SPECS])
def test_bad_spec_matches_its_golden_file(spec: Path) -> None:
    expected_file = spec.with_suffix(".expected")
    actual = _actual(spec)
    if UPDATE:
        expected_file.write_text(actual, encoding="utf-8")
    if not expected_file.exists():
        pytest.fail(f"{expected_file.name} is missing; write it with AGENTGEN_UPDATE_GOLDEN=1")
    expected = expected_file.read_text(encoding="utf-8")
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=expected_file.name,
        tofile="actual",
    )
    assert actual == expected, "".join(diff)


@pytest.mark.parametrize("spec", SPECS, ids=[spec.stem for spec in SPECS])
def test_bad_spec_is_rejected(spec: Path) -> None:
    result = validate_file(spec, name=_shown_name(spec))
    assert result.spec is None
    assert any(d.severity == "error" for d in result.diagnostics)


def test_corpus_is_large_enough() -> None:
    assert len(SPECS) >= 40, f"only {len(SPECS)} bad specs"


def test_every_expected_file_has_its_spec() -> None:
    orphans = [p.name for p in CORPUS.glob("*.expected") if not p.with_suffix(".toml").exists()]
    assert orphans == []


def test_every_diagnostic_code_is_in_the_corpus() -> None:
    sources = (ROOT / "agentgen").rglob("*.py")
    codes = {code for path in sources for code in re.findall(r'"(AG\d{3})"', path.read_text())}
    assert codes >= NOT_IN_CORPUS, "an exempt code is no longer used"
    covered = set()
    for expected in CORPUS.glob("*.expected"):
        covered |= set(re.findall(r"error\[(AG\d{3})\]", expected.read_text(encoding="utf-8")))
    assert sorted(codes - NOT_IN_CORPUS - covered) == []


def test_cli_prints_the_golden_text(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = CORPUS / "079_many_semantic_problems.toml"
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["validate", _shown_name(spec)])
    assert result.exit_code == 1
    assert result.stdout == spec.with_suffix(".expected").read_text(encoding="utf-8")
