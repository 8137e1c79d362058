"""format_sources: pinned ruff settings, and the same output wherever its scratch files live."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentgen.formatting import FormattingError, format_sources

UNSORTED = "import sys\nimport os\n__all__ = ['b','a']\nx = {  'k':1 }\n"
FORMATTED = 'import os\nimport sys\n\n__all__ = ["a", "b"]\nx = {"k": 1}\n'


def test_imports_and_all_are_sorted_and_code_formatted() -> None:
    assert format_sources({"pkg/mod.py": UNSORTED}) == {"pkg/mod.py": FORMATTED}


def test_the_scratch_folder_does_not_change_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = {f"pkg_{n}/mod.py": UNSORTED for n in range(3)}
    default = format_sources(sources)  # in /dev/shm where it has room
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the user's choice wins: a disk folder
    assert format_sources(sources) == default == {name: FORMATTED for name in sources}


def test_code_ruff_cannot_parse_is_an_error() -> None:
    with pytest.raises(FormattingError, match=r"^ruff format failed:\n"):
        format_sources({"pkg/broken.py": "def f(:\n"})
