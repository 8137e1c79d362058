"""The deploy_bot agent's tool handlers: your code.

agentgen writes this file once and never overwrites it. Each function is named after its tool,
takes the typed call and returns the result (sync or async). A handler that raises becomes a
short error event in the thread, which the model sees on its next step.

This example keeps its releases in memory; a real one would call git and the deploy API.
"""

from __future__ import annotations

from typing import Any

from .tools import (
    CheckHealth,
    DeployBackend,
    DeployFrontend,
    ListGitTags,
    ListRecentCommits,
    Rollback,
)

TAGS = ["v1.4.2", "v1.4.1", "v1.4.0", "v1.3.9"]
COMMITS = [
    {"sha": "9f2c" * 10, "author": "ana", "message": "Fix the login redirect"},
    {"sha": "41be" * 10, "author": "bo", "message": "Add the export button"},
]
DEPLOYED: dict[str, list[str]] = {"staging": [], "production": []}


def list_git_tags(call: ListGitTags) -> list[str]:
    """List the release tags of the repository, newest first."""
    return TAGS[: call.limit]


def list_recent_commits(call: ListRecentCommits) -> list[dict[str, str]]:
    """List the most recent commits of a branch, newest first."""
    if call.branch != "main":
        raise LookupError(f"unknown branch {call.branch!r}")
    return COMMITS[: call.limit]


def deploy_backend(call: DeployBackend) -> dict[str, Any]:
    """Deploy the backend at a tag or commit to an environment."""
    return _deploy("backend", call.tag, call.environment)


def deploy_frontend(call: DeployFrontend) -> dict[str, Any]:
    """Deploy the frontend at a tag or commit to an environment; deploy the backend first."""
    return _deploy("frontend", call.tag, call.environment)


def check_health(call: CheckHealth) -> dict[str, Any]:
    """Check the health endpoint and error rate of an environment after a deploy."""
    return {"healthy": bool(DEPLOYED[call.environment]), "error_rate": 0.0}


def rollback(call: Rollback) -> dict[str, Any]:
    """Roll an environment back to the release it ran before the last deploy."""
    history = DEPLOYED[call.environment]
    if len(history) < 2:
        raise RuntimeError(f"nothing to roll back to in {call.environment}")
    history.pop()
    return {"environment": call.environment, "now_running": history[-1]}


def _deploy(part: str, tag: str, environment: str) -> dict[str, Any]:
    if tag not in TAGS and tag not in {commit["sha"] for commit in COMMITS}:
        raise ValueError(f"unknown tag or commit {tag!r}")
    DEPLOYED[environment].append(f"{part}@{tag}")
    deployment_id = f"dep_{part}_{environment}_{len(DEPLOYED[environment])}"
    return {"deployment_id": deployment_id, "url": f"https://{environment}.example.com"}
