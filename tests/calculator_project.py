"""The calculator as a user's project, and a loopback model that reads its tool descriptions."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.fake_llm import FakeLLM, Recorded, Reply, tool_call

ROOT = Path(__file__).resolve().parent.parent
CALCULATOR = ROOT / "specs" / "calculator.toml"
BROKEN_DESCRIPTION = ('description = "Add two numbers."', 'description = "Combine two values."')


def calculator_rule(recorded: Recorded) -> Reply:
    """Adds the two numbers of the user's message with the tool described as adding, then says
    the result with the tool described as telling the user: a model that reads descriptions."""
    body = recorded.body
    prompt = body["messages"][-1]["content"]
    described = {t["function"]["name"]: t["function"]["description"] for t in body["tools"]}
    done = next(name for name, text in described.items() if "tell the user" in text.lower())
    results = re.findall(r"<result>(.*?)</result>", prompt)
    if results:
        return tool_call(done, {"message": f"The answer is {results[-1]}."})
    adder = next((n for n, text in described.items() if re.search(r"\badd\b", text, re.I)), None)
    if adder is None:
        return tool_call(done, {"message": "I have no tool that adds."})
    message = re.findall(r"<user_message>(.*?)</user_message>", prompt)[0]
    a, b = (float(n) for n in re.findall(r"\d+", message)[:2])
    return tool_call(adder, {"a": a, "b": b})


def calculator_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, llm: FakeLLM) -> Path:
    """A project holding the calculator spec and its handlers, its model the rule-based fake."""
    (tmp_path / "specs").mkdir()
    shutil.copy(CALCULATOR, tmp_path / "specs" / "calculator.toml")
    (tmp_path / "generated" / "calculator").mkdir(parents=True)
    handlers = ROOT / "generated" / "calculator" / "handlers.py"
    shutil.copy(handlers, tmp_path / "generated" / "calculator" / "handlers.py")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_BASE_URL", llm.openai_url)
    llm.answer_by(calculator_rule)
    return tmp_path
