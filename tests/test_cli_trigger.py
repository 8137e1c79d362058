"""The generated command line, `python -m generated.<agent>`, run as a real process."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.agent_cli import ROOT, run_agent_cli
from tests.fake_llm import FakeLLM, serving, tool_call


class Cli:
    """Runs an agent's CLI with a store and a model endpoint of its own."""

    def __init__(self, llm: FakeLLM, store: Path) -> None:
        self.llm = llm
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "AGENTGEN_BASE_URL": llm.openai_url,
            "ANTHROPIC_BASE_URL": llm.anthropic_url,
            "OPENAI_API_KEY": "loopback",
            "ANTHROPIC_API_KEY": "loopback",
            "AGENTGEN_STORE": f"sqlite:///{store}",
        }
        self.env.pop("AGENTGEN_MODEL", None)

    def __call__(self, agent: str, *arguments: str) -> subprocess.CompletedProcess[str]:
        return run_agent_cli(agent, *arguments, env=self.env)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    with serving() as llm:
        yield Cli(llm, tmp_path / "threads.db")


def thread_id(output: str) -> str:
    """The id from the first line, `thread <id>: <status>`."""
    return output.split()[1].rstrip(":")


def test_launch_prints_the_call_waiting_for_approval(cli: Cli) -> None:
    cli.llm.script(tool_call("divide", {"a": 3, "b": 4}))
    result = cli("calculator", "launch", "divide 3 by 4")
    assert result.returncode == 0, result.stderr
    ident = thread_id(result.stdout)
    lines = result.stdout.splitlines()
    assert lines[0] == f"thread {ident}: awaiting_approval"
    assert lines[1].startswith("  divide wants approval (call call_")
    assert lines[2:4] == ["    a: 3.0", "    b: 4.0"]
    command = f"{sys.executable} -m generated.calculator"
    assert lines[4] == f"  approve: {command} resume {ident} --approve"
    assert lines[5] == f'  deny:    {command} resume {ident} --deny "why"'


def test_deny_with_a_comment_then_approve_then_show(cli: Cli) -> None:
    cli.llm.script(tool_call("divide", {"a": 3, "b": 4}))
    ident = thread_id(cli("calculator", "launch", "divide 3 by 4").stdout)
    cli.llm.script(tool_call("divide", {"a": 3, "b": 5}))
    denied = cli("calculator", "resume", ident, "--deny", "use 5")
    assert denied.stdout.splitlines()[0] == f"thread {ident}: awaiting_approval"
    assert "use 5" in cli.llm.requests[-1].body["messages"][1]["content"]
    cli.llm.script(tool_call("done_for_now", {"message": "0.6"}))
    approved = cli("calculator", "resume", ident, "--approve")
    *status, usage = approved.stdout.splitlines()
    assert status == [f"thread {ident}: done (done_for_now)", "  message: '0.6'"]
    # three model calls of 1 input and 1 output token each, at the spec's [model.prices]
    assert re.fullmatch(
        r"  usage: 3 model calls, 3 input tokens \(0 cached\), 3 output, \d+\.\d\d s, \$0\.000002",
        usage,
    )
    shown = cli("calculator", "show", ident)
    assert shown.returncode == 0
    assert '<divide a=3 b=4/><denied comment="use 5"/>' in shown.stdout
    assert "<divide a=3 b=5/><approved/><result>0.6</result>" in shown.stdout
    assert shown.stdout.endswith(
        f"thread {ident}: done (done_for_now)\n  message: '0.6'\n{usage}\n"
    )


def test_answer_a_question_and_continue_with_a_message(cli: Cli) -> None:
    cli.llm.script(tool_call("request_more_information", {"message": "which numbers?"}))
    launched = cli("calculator", "launch", "add some numbers")
    ident = thread_id(launched.stdout)
    assert launched.stdout.splitlines()[:3] == [
        f"thread {ident}: awaiting_human",
        launched.stdout.splitlines()[1],
        "    message: which numbers?",
    ]
    assert "asks (call call_" in launched.stdout.splitlines()[1]
    cli.llm.script(tool_call("add", {"a": 1, "b": 2}), tool_call("done_for_now", {"message": "3"}))
    answered = cli("calculator", "resume", ident, "--answer", "1 and 2")
    assert answered.stdout.splitlines()[0] == f"thread {ident}: done (done_for_now)"
    cli.llm.script(tool_call("done_for_now", {"message": "still 3"}))
    more = cli("calculator", "resume", ident, "--message", "and again?")
    assert more.stdout.splitlines()[:-1] == [
        f"thread {ident}: done (done_for_now)",
        "  message: still 3",
    ]
    assert more.stdout.splitlines()[-1].startswith("  usage: 4 model calls, 4 input tokens")


def test_vars_are_given_as_name_value_pairs(cli: Cli) -> None:
    cli.llm.script(tool_call("done_for_now", {"message": "nothing to do"}))
    result = cli(
        "deploy_bot", "launch", "hi", "--var", "service=shop", "--var", 'environments=["staging"]'
    )
    assert result.returncode == 0, result.stderr
    system = cli.llm.requests[-1].body["messages"][0]["content"]
    assert system.startswith("You are the deploy bot of the shop service.")
    assert "to\nstaging, always the backend" in system


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (("show", "thread_nope"), "error: no thread 'thread_nope'"),
        (("resume", "thread_nope", "--approve"), "error: no thread 'thread_nope'"),
    ],
)
def test_unknown_threads_are_one_line_errors(
    cli: Cli, arguments: tuple[str, ...], error: str
) -> None:
    result = cli("calculator", *arguments)
    assert result.returncode == 1
    assert result.stderr.strip() == error
    assert result.stdout == ""


def test_a_response_that_does_not_fit_is_refused(cli: Cli) -> None:
    cli.llm.script(tool_call("done_for_now", {"message": "done"}))
    ident = thread_id(cli("calculator", "launch", "nothing").stdout)
    result = cli("calculator", "resume", ident, "--approve")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: Approval cannot be accepted while the thread is done"


def test_usage_errors_exit_2(cli: Cli) -> None:
    result = cli("calculator", "resume", "x", "--approve", "--deny", "no")
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_answers_over_http(cli: Cli) -> None:
    port = _free_port()
    env = {**cli.env, "AGENTGEN_API_TOKEN": "t"}
    server = subprocess.Popen(
        [sys.executable, "-m", "generated.calculator", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        response = _get_when_up(
            f"http://127.0.0.1:{port}/threads/thread_x", {"Authorization": "Bearer t"}
        )
        assert response.status_code == 404
        assert response.json() == {"error": "no thread 'thread_x'"}
    finally:
        server.terminate()
        server.wait(timeout=10)


def _get_when_up(url: str, headers: dict[str, str]) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, headers=headers, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
