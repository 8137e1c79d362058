"""`agentgen validate` on paths that are not plain files answers at once, never reading forever.

Each case runs the installed command in a subprocess with a timeout: a hang fails the test
instead of stalling the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

AGENTGEN = Path(sys.executable).parent / "agentgen"
MINIMAL = b'[agent]\nname = "calc"\n'
TIMEOUT_S = 30  # far above what each case takes; only a hang gets near it
NOT_REGULAR = "error[AG003]: cannot read file: not a regular file"


@pytest.fixture(autouse=True)
def _in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)


def _validate(*paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AGENTGEN), "validate", *paths],
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT_S,
    )


def test_a_symlink_to_a_huge_folder_named_like_a_spec() -> None:
    # Scanned as a folder, `/` would take minutes; named like a spec, it is read as one.
    Path("x.toml").symlink_to("/")
    result = _validate("x.toml")
    assert (result.returncode, result.stderr) == (1, "1 of 1 spec invalid\n")
    assert result.stdout == "x.toml:1:1: error[AG003]: cannot read file: is a directory\n"


def test_a_folder_scan_does_not_follow_a_symlinked_folder() -> None:
    Path("specs").mkdir()
    Path("specs/calc.toml").write_bytes(MINIMAL)
    Path("specs/x.toml").symlink_to("/")
    Path("specs/root").symlink_to("/")
    result = _validate("specs")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "1 spec valid\n")


def test_a_folder_scan_does_not_enter_hidden_folders() -> None:
    Path("specs/.venv/lib").mkdir(parents=True)
    Path("specs/.venv/lib/bad.toml").write_bytes(b"not toml")
    Path("specs/calc.toml").write_bytes(MINIMAL)
    result = _validate("specs")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "1 spec valid\n")


def test_a_fifo_is_refused() -> None:
    os.mkfifo("pipe.toml")
    result = _validate("pipe.toml")
    assert (result.returncode, result.stdout) == (1, f"pipe.toml:1:1: {NOT_REGULAR}\n")


def test_a_fifo_in_a_folder_is_refused_and_the_rest_validated() -> None:
    Path("specs").mkdir()
    Path("specs/calc.toml").write_bytes(MINIMAL)
    os.mkfifo("specs/pipe.toml")
    result = _validate("specs")
    assert (result.returncode, result.stderr) == (1, "1 of 2 specs invalid\n")
    assert result.stdout == f"specs/pipe.toml:1:1: {NOT_REGULAR}\n"


def test_dev_zero_is_refused() -> None:
    result = _validate("/dev/zero")
    assert (result.returncode, result.stdout) == (1, f"/dev/zero:1:1: {NOT_REGULAR}\n")


def test_a_symlink_to_a_char_device_is_refused() -> None:
    Path("zero.toml").symlink_to("/dev/zero")
    result = _validate("zero.toml")
    assert (result.returncode, result.stdout) == (1, f"zero.toml:1:1: {NOT_REGULAR}\n")


def test_a_huge_sparse_file_is_refused_by_its_size() -> None:
    with open("sparse.toml", "wb") as file:
        file.truncate(10 * 1024**3)  # 10 GB of holes: instant to make, slow to read
    result = _validate("sparse.toml")
    assert result.stdout == (
        "sparse.toml:1:1: error[AG004]: file is too large for a spec (10240.0 MB; the limit "
        "is 2 MB)\n"
    )


# Python run in a subprocess: `stat` says regular file, then the path turns out a FIFO.
_SWAPPED = """
import os, sys
from pathlib import Path
from agentgen.validate import validate_file

regular = os.stat(sys.argv[2])
original = Path.stat
Path.stat = lambda self, **kw: regular if self.name == "pipe.toml" else original(self, **kw)
print(validate_file(Path(sys.argv[1])).diagnostics[0].text())
"""


def test_a_fifo_swapped_in_after_the_check_is_refused_once_open() -> None:
    os.mkfifo("pipe.toml")
    Path("calc.toml").write_bytes(MINIMAL)
    result = subprocess.run(
        [sys.executable, "-c", _SWAPPED, "pipe.toml", "calc.toml"],
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT_S,
    )
    assert (result.stdout, result.stderr) == (f"pipe.toml:1:1: {NOT_REGULAR}\n", "")
