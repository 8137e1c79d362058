"""The vercel_deploybot agent's tool handlers: your code.

agentgen writes this file once and never overwrites it. Each function is named after its tool,
takes the typed call and returns the result (sync or async). A handler that raises becomes a
short error event in the thread, which the model sees on its next step.
"""

from __future__ import annotations

from typing import Any

from .tools import (
    ListGitCommits,
    ListGithubWorkflowRuns,
    ListGitTags,
    ListVercelDeployments,
    PromoteVercelDeployment,
    TagPushProd,
    Wait,
)


def list_git_commits(call: ListGitCommits) -> Any:
    """list the git commits"""
    raise NotImplementedError("handler 'list_git_commits' is not written yet: see handlers.py")


def list_git_tags(call: ListGitTags) -> Any:
    """list the git tags"""
    raise NotImplementedError("handler 'list_git_tags' is not written yet: see handlers.py")


def list_vercel_deployments(call: ListVercelDeployments) -> Any:
    """list the vercel deployments"""
    raise NotImplementedError(
        "handler 'list_vercel_deployments' is not written yet: see handlers.py"
    )


def list_github_workflow_runs(call: ListGithubWorkflowRuns) -> Any:
    """list recent github workflows for a given workflow id"""
    raise NotImplementedError(
        "handler 'list_github_workflow_runs' is not written yet: see handlers.py"
    )


def wait(call: Wait) -> Any:
    """emit this intent if you need to wait for something to happen"""
    raise NotImplementedError("handler 'wait' is not written yet: see handlers.py")


def promote_vercel_deployment(call: PromoteVercelDeployment) -> Any:
    """promote a vercel deployment"""
    raise NotImplementedError(
        "handler 'promote_vercel_deployment' is not written yet: see handlers.py"
    )


def tag_push_prod(call: TagPushProd) -> Any:
    "run a github action workflow_dispatch job to deploy the latest backend commit to production\n\nnote that this only starts the workflow, it does not wait for it to complete"
    raise NotImplementedError("handler 'tag_push_prod' is not written yet: see handlers.py")
