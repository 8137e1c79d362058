"""The hooks of .pre-commit-hooks.yaml, run by pre-commit itself on a test project.

pre-commit installs this repository with pip, from PyPI, into an environment of its own: about
15 s on a RAM disk, twice that on this machine's disk. `try-repo` builds one for every run
(its store is a fresh temporary folder), so it runs once; the other cases run `pre-commit run`
with the README's config, which builds its environment once for all of them. Nothing is
skipped: without pre-commit, git or an index to install from, a test fails and says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
# What pip needs to build agentgen and agentgen-runtime, and the hooks' manifest: copying
# only these keeps the clone pre-commit makes small (generated/ and tests/ are most of it).
HOOK_REPO_PARTS = (
    ".gitignore",
    ".pre-commit-hooks.yaml",
    "README.md",
    "pyproject.toml",
    "agentgen",
    "runtime",
    "templates",
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "agentgen tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "agentgen tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    # Fixed dates: the same files give the same commit, as a rerun would.
    "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z",
    # The user's global git config (hooks, signing, templates) stays out of it.
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
INSTALL_TIMEOUT_S = 900
RAM_DISK = Path("/dev/shm")
CONFIG = """\
repos:
  - repo: {repo}
    rev: {rev}
    hooks:
      - id: agentgen-validate
      - id: agentgen-check
"""


def _env(scratch: Path) -> dict[str, str]:
    """The environment of git and pre-commit: quiet pip that reuses the user's pip cache."""
    env = {**os.environ, **GIT_ENV}
    env.update(
        # Both on the scratch folder: installing some 70 packages is mostly file-system work.
        PRE_COMMIT_HOME=str(scratch / "home"),
        TMPDIR=str(scratch),  # where try-repo puts its store
        PRE_COMMIT_COLOR="never",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        PIP_PROGRESS_BAR="off",
        PIP_NO_COMPILE="1",  # the hooks compile what they import, a fraction of it
        PIP_PREFER_BINARY="1",  # a wheel, even an older one, over building an sdist
    )
    # pip's own cache (PIP_CACHE_DIR, else the user's) is shared with every other install.
    env.pop("PRE_COMMIT", None)
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    command = ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"git {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The module's scratch folder, on a RAM disk where there is one: pre-commit's store."""
    if not PRE_COMMIT.is_file():
        pytest.fail(
            f"pre-commit is not installed next to {sys.executable}: pip install -e '.[dev]'"
        )
    if shutil.which("git") is None:
        pytest.fail("git is not on PATH: pre-commit needs it")
    if RAM_DISK.is_dir() and os.access(RAM_DISK, os.W_OK):
        scratch = Path(tempfile.mkdtemp(prefix="agentgen-pre-commit-", dir=RAM_DISK))
    else:
        scratch = tmp_path_factory.mktemp("pre-commit")
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, home: Path) -> Path:
    """A git repository of this checkout's files as they are now, committed."""
    # `try-repo` on the checkout itself would leave out every file not yet committed.
    env = _env(home)
    repo = tmp_path_factory.mktemp("hook-repo")
    listed = _git(ROOT, env, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in listed.split("\0"):
        if name and name.split("/")[0] in HOOK_REPO_PARTS and (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    _git(repo, env, "init", "-q")
    _git(repo, env, "add", "-A")
    _git(repo, env, "commit", "-q", "--no-verify", "-m", "agentgen as it is now")
    return repo


@pytest.fixture
def project(tmp_path: Path, home: Path) -> Iterator[Path]:
    """A user's project: the calculator spec and its generated package, staged in git."""
    env = _env(home)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    (tmp_path / "specs").mkdir()
    shutil.copyfile(ROOT / "specs" / "calculator.toml", tmp_path / "specs" / "calculator.toml")
    generate = [sys.executable, "-m", "agentgen", "generate", "-q"]
    result = subprocess.run(generate, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    _git(tmp_path, env, "init", "-q")
    _git(tmp_path, env, "add", "-A")
    yield tmp_path


def _pre_commit(project: Path, home: Path, *args: str) -> str:
    """Run pre-commit in the project; its output, or a failure that says why it did not run."""
    command = [str(PRE_COMMIT), *args, "--color", "never"]
    try:
        result = subprocess.run(
            command,
            cwd=project,
            env=_env(home),
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"pre-commit {args[0]} took over {INSTALL_TIMEOUT_S} s: {error.stdout!r}")
    output = result.stdout + result.stderr
    if "An unexpected error has occurred" in output:
        # Installing the hook environment failed (no index, a build error): say what pip said.
        pytest.fail(f"pre-commit could not install the hooks:\n{output}")
    assert result.returncode in (0, 1), output
    return f"exit {result.returncode}\n{output}"


def _with_config(project: Path, hook_repo: Path, home: Path) -> Path:
    """The README's .pre-commit-config.yaml, its repo the hook repository, staged."""
    rev = _git(hook_repo, _env(home), "rev-parse", "HEAD").strip()
    config = CONFIG.format(repo=hook_repo.as_posix(), rev=rev)
    (project / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    _git(project, _env(home), "add", "-A")
    return project


def _status(output: str, hook: str) -> str:
    """`Passed` or `Failed`, from the hook's line: `agentgen check........Passed`."""
    line = next(line for line in output.splitlines() if line.startswith(hook + "."))
    return line.rsplit(".", 1)[1]


def _edit(project: Path, home: Path, old: str, new: str) -> None:
    spec = project / "specs" / "calculator.toml"
    text = spec.read_text(encoding="utf-8")
    assert text.count(old) == 1
    spec.write_text(text.replace(old, new), encoding="utf-8")
    _git(project, _env(home), "add", "-A")


def test_try_repo_passes_both_hooks_on_a_valid_project_with_fresh_code(
    project: Path, hook_repo: Path, home: Path
) -> None:
    output = _pre_commit(project, home, "try-repo", str(hook_repo), "--all-files")
    assert output.startswith("exit 0\n"), output
    assert _status(output, "agentgen validate") == "Passed", output
    assert _status(output, "agentgen check") == "Passed", output


def test_an_invalid_spec_fails_both_hooks_naming_the_key(
    project: Path, hook_repo: Path, home: Path
) -> None:
    _edit(_with_config(project, hook_repo, home), home, 'approval = "always"', 'aproval = "always"')
    output = _pre_commit(project, home, "run", "--all-files")
    assert output.startswith("exit 1\n"), output
    assert _status(output, "agentgen validate") == "Failed", output
    assert _status(output, "agentgen check") == "Failed", output
    assert "error[AG010]: unknown key 'aproval' in [tools.divide]" in output


def test_a_changed_spec_without_generate_fails_only_the_check(
    project: Path, hook_repo: Path, home: Path
) -> None:
    old, new = 'description = "Divide a by b."', 'description = "Divide a by b!"'
    _edit(_with_config(project, hook_repo, home), home, old, new)
    output = _pre_commit(project, home, "run", "--all-files")
    assert output.startswith("exit 1\n"), output
    assert _status(output, "agentgen validate") == "Passed", output
    assert _status(output, "agentgen check") == "Failed", output
    assert "run `agentgen generate`" in output


def test_the_hooks_run_only_for_what_they_check(project: Path, hook_repo: Path, home: Path) -> None:
    # A change to no spec: validate has no file to check, check still guards the project.
    _with_config(project, hook_repo, home)
    (project / "notes.md").write_text("not a spec\n", encoding="utf-8")
    _git(project, _env(home), "add", "-A")
    output = _pre_commit(project, home, "run", "--files", "notes.md", "pyproject.toml")
    assert output.startswith("exit 0\n"), output
    assert "(no files to check)Skipped" in output.replace(".", "")
    assert _status(output, "agentgen check") == "Passed", output
