"""Generated packages pass ruff and mypy --strict as they are, import, and export section 3."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import typing
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from agentgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The repository's own (ignored) mypy cache: third-party modules are analysed once, not per run.
MYPY_CACHE = ROOT / ".mypy_cache"
MODULES = {
    "__init__.py",
    "__main__.py",
    "agent.py",
    "context.py",
    "events.py",
    "handlers.py",
    "http.py",
    "prompts.py",
    "reducer.py",
    "state.py",
    "tools.py",
}
# The public names of DESIGN.md section 3, then each agent's intents and their `intent` values.
COMMON = (
    "NextStep Event Thread AgentState reduce fold launch resume Approval HumanResponse UserMessage"
)
INTENTS = {
    "calculator": {
        "Add": "add",
        "Subtract": "subtract",
        "Multiply": "multiply",
        "Divide": "divide",
        "RequestMoreInformation": "request_more_information",
        "DoneForNow": "done_for_now",
    },
    "deploy_bot": {
        "ListGitTags": "list_git_tags",
        "ListRecentCommits": "list_recent_commits",
        "DeployBackend": "deploy_backend",
        "DeployFrontend": "deploy_frontend",
        "CheckHealth": "check_health",
        "Rollback": "rollback",
        "RequestMoreInformation": "request_more_information",
        "DoneForNow": "done_for_now",
    },
    "support_triage": {
        "LookupCustomer": "lookup_customer",
        "ListOrders": "list_orders",
        "IssueRefund": "issue_refund",
        "TagTicket": "tag_ticket",
        "ChooseResolution": "choose_resolution",
        "AskCustomer": "ask_customer",
        "ResolveTicket": "resolve_ticket",
    },
    "github_issues": {
        "CreateIssue": "create_issue",
        "UpdateIssue": "update_issue",
        "DoneForNow": "done_for_now",
    },
    "mcp_filesystem": {
        "EditFile": "edit_file",
        "ReadMultipleFiles": "read_multiple_files",
        "MoveFile": "move_file",
        "SearchFiles": "search_files",
        "DoneForNow": "done_for_now",
    },
    "release_notes": {
        "ListGitTags": "list_git_tags",
        "ListCommits": "list_commits",
        "PublishNotes": "publish_notes",
    },
    "research_log": {
        "ReadPage": "read_page",
        "Report": "report",
    },
    "slack_responder": {
        "SearchDocs": "search_docs",
        "AskInChannel": "ask_in_channel",
        "Reply": "reply",
    },
}
FOLDERS = ("generated", "tests/specs")


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The committed output of specs/, and a fresh generation of tests/specs/."""
    out = tmp_path_factory.mktemp("quality")
    result = CliRunner().invoke(
        main, ["generate", str(ROOT / "tests" / "specs"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return {"generated": ROOT / "generated", "tests/specs": out}


def _packages(folder: Path) -> list[str]:
    return sorted(path.parent.name for path in folder.glob("*/__init__.py"))


def _run(folder: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """A tool run from the output folder: the packages are top-level there, as in a project."""
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)


def _import(folder: Path, package: str) -> ModuleType:
    """Import a package under a name that is unique to this test module."""
    name = f"quality_{folder.name}_{package}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, folder / package / "__init__.py", submodule_search_locations=[str(folder / package)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_both_folders_hold_every_agent(folders: dict[str, Path]) -> None:
    found = {name: _packages(folder) for name, folder in folders.items()}
    assert found == {
        "generated": [
            "airline_faq",
            "airline_service",
            "airline_triage",
            "calculator",
            "deploy_bot",
            "seat_booking",
            "support_triage",
            "travel_support",
            "vercel_deploybot",
        ],
        "tests/specs": [
            "github_issues",
            "mcp_filesystem",
            "publish_gate",
            "release_notes",
            "research_log",
            "slack_responder",
        ],
    }


@pytest.mark.parametrize("which", FOLDERS)
def test_ruff_check_passes(folders: dict[str, Path], which: str) -> None:
    folder = folders[which]
    command = (str(BIN / "ruff"), "check", "--isolated", "--no-cache", "--line-length", "100")
    result = _run(folder, *command, *_packages(folder))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("which", FOLDERS)
def test_ruff_format_check_passes(folders: dict[str, Path], which: str) -> None:
    folder = folders[which]
    command = (str(BIN / "ruff"), "format", "--check", "--isolated", "--no-cache")
    result = _run(folder, *command, "--line-length", "100", *_packages(folder))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("which", FOLDERS)
def test_mypy_strict_passes(folders: dict[str, Path], which: str) -> None:
    folder = folders[which]
    command = (str(BIN / "mypy"), "--strict", "--cache-dir", str(MYPY_CACHE))
    # From the folder's parent: a sub-agent imports its child relatively, `from ..child`.
    packages = [arg for name in _packages(folder) for arg in ("-p", f"{folder.name}.{name}")]
    result = _run(folder.parent, *command, *packages)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("which", FOLDERS)
def test_every_module_parses(folders: dict[str, Path], which: str) -> None:
    folder = folders[which]
    for package in _packages(folder):
        files = {path.name for path in (folder / package).glob("*.py")}
        assert files >= MODULES, f"{package} lacks {sorted(MODULES - files)}"
        for path in sorted((folder / package).glob("*.py")):
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@pytest.mark.parametrize("package", sorted(INTENTS))
def test_each_package_imports_and_exports_section_3(folders: dict[str, Path], package: str) -> None:
    folder = (
        folders["generated"] if (ROOT / "generated" / package).is_dir() else folders["tests/specs"]
    )
    module = _import(folder, package)
    expected = [*COMMON.split(), *INTENTS[package]]
    assert [name for name in expected if not hasattr(module, name)] == []
    assert set(expected) <= set(module.__all__)
    for class_name, intent in INTENTS[package].items():
        annotation = getattr(module, class_name).model_fields["intent"].annotation
        assert typing.get_args(annotation) == (intent,), class_name
    assert {"id", "events"} <= set(module.Thread.model_fields)
    assert isinstance(module.Thread.status, property)
    assert isinstance(module.Thread.pending, property)
