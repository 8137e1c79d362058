"""A generated agent whose `when` reads nested attributes, `len()` and arithmetic, run for real."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from agentgen.cli import main
from agentgen.runtime import MemoryStore, ScriptedModel
from tests.strict_mypy import mypy_errors

PACKAGE = "release_gate"
# Two tools have a `target` param: their models are two classes (`Target`, `Target1`), and
# `onCall` is the model's `on_call`; the emitted code must read each as the models name it.
SPEC = """
[agent]
name = "release_gate"

[types.Owner]
type = "object"
properties.name = { type = "string" }
properties.onCall = { type = "boolean" }
required = ["name", "onCall"]

[tools.ship]
description = "Ship a release."
approval = { when = "target.environment == 'production' and len(tags) > 2" }

[tools.ship.params]
tags = { type = "array", items = { type = "string" } }
target.type = "object"
target.properties.environment = { type = "string", enum = ["staging", "production"] }
target.properties.owner = { "$ref" = "#/$defs/Owner" }
target.required = ["environment", "owner"]

[tools.order]
description = "Order stock."
params.amount = { type = "number" }
params.quantity = { type = "integer" }
params.discount = { type = ["number", "null"] }

[tools.order.approval]
when = "amount * quantity > 1000 or (discount is not None and -discount < -amount / 2)"

[tools.page]
description = "Page whoever backs up the owner."
approval = { when = "target.backup is not None and not target.backup.onCall" }

[tools.page.params]
target.type = "object"
target.properties.backup = { "$ref" = "#/$defs/Owner" }
target.properties.urgent = { type = "boolean" }
target.required = ["urgent"]
"""
OWNER = {"name": "ana", "onCall": True}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding the generated package."""
    root = tmp_path_factory.mktemp("when")
    spec = root / f"{PACKAGE}.toml"
    spec.write_text(SPEC, encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", str(spec), "--out", str(root / "out")])
    assert result.exit_code == 0, result.output
    return root / "out"


@pytest.fixture(scope="module")
def agent(generated: Path) -> ModuleType:
    sys.path.insert(0, str(generated))
    try:
        return importlib.import_module(f"{PACKAGE}.agent")
    finally:
        sys.path.remove(str(generated))


def _handler(call: Any) -> str:
    return f"ran {call.intent}"


def _run(agent: ModuleType, step: dict[str, Any]) -> Any:
    """Launch with one scripted step (then done); the thread as it stops."""
    model = ScriptedModel([step, {"intent": "done_for_now", "message": "ok"}])
    handlers = SimpleNamespace(ship=_handler, order=_handler, page=_handler)
    return asyncio.run(agent.launch("go", model=model, store=MemoryStore(), handlers=handlers))


def _asked(agent: ModuleType, step: dict[str, Any]) -> bool:
    """Whether the call waited for approval; else it ran and the thread ended."""
    thread = _run(agent, step)
    if thread.status == "awaiting_approval":
        assert thread.pending is not None and thread.pending.intent == step["intent"]
        return True
    results = [event.result for event in thread.events if event.type == "tool_result"]
    assert (thread.status, results) == ("done", [f"ran {step['intent']}"])
    return False


def _ship(environment: str, tags: list[str]) -> dict[str, Any]:
    target = {"environment": environment, "owner": OWNER}
    return {"intent": "ship", "target": target, "tags": tags}


@pytest.mark.parametrize(
    ("environment", "tags", "asked"),
    [
        ("production", ["a", "b", "c"], True),
        ("production", ["a", "b"], False),
        ("staging", ["a", "b", "c"], False),
        ("staging", [], False),
    ],
)
def test_nested_attribute_and_len(
    agent: ModuleType, environment: str, tags: list[str], asked: bool
) -> None:
    assert _asked(agent, _ship(environment, tags)) is asked


@pytest.mark.parametrize(
    ("amount", "quantity", "discount", "asked"),
    [
        (100.0, 11, None, True),  # 1100 > 1000
        (100.0, 10, None, False),  # 1000 is not
        (10.0, 3, 6.0, True),  # -6 < -5
        (10.0, 3, 5.0, False),  # -5 is not < -5
        (250.5, 4, 0.0, True),
    ],
)
def test_arithmetic_with_a_guarded_optional_param(
    agent: ModuleType, amount: float, quantity: int, discount: float | None, asked: bool
) -> None:
    step = {"intent": "order", "amount": amount, "quantity": quantity, "discount": discount}
    assert _asked(agent, step) is asked


@pytest.mark.parametrize(
    ("target", "asked"),
    [
        ({"urgent": True}, False),  # no backup: the guard keeps it from being read
        ({"urgent": True, "backup": {"name": "bo", "onCall": True}}, False),
        ({"urgent": False, "backup": {"name": "bo", "onCall": False}}, True),
    ],
)
def test_an_optional_nested_object_is_guarded_at_run_time(
    agent: ModuleType, target: dict[str, Any], asked: bool
) -> None:
    assert _asked(agent, {"intent": "page", "target": target}) is asked


def test_the_expressions_are_emitted_as_plain_python(generated: Path) -> None:
    code = (generated / PACKAGE / "agent.py").read_text(encoding="utf-8")
    assert 'if step.target.environment == "production" and len(step.tags) > 2:' in code
    assert "step.amount * step.quantity > 1000" in code
    assert "-step.discount < -step.amount / 2" in code
    assert "if step.target.backup is not None and not step.target.backup.on_call:" in code


def test_the_generated_package_passes_mypy_strict(generated: Path) -> None:
    assert mypy_errors(generated, PACKAGE) == ""
