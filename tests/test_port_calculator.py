"""Port of the 12-factor agents workshop calculator: its BAML tests and the chapter-10 walkthrough.

Original: humanlayer/12-factor-agents @ dea2264, `workshops/2025-05/final/baml_src/agent.baml`
(the BAML tests HelloWorld, MathOperation, LongMath, MathOperationWithClarification and
MathOperationPostClarification), `final/src/agent.ts` (the loop: divide waits for approval,
request_more_information and done_for_now wait for a person), `final/src/server.ts` (approve or
deny with feedback) and `sections/10-human-approval` (deny "use 5 instead of 4", then approve).
`specs/calculator.toml` is the port (`generated.calculator`); its one business field is
`last_result`, set by `add`. Each BAML test checks one model step for a given thread; here each
is a whole scripted run through the public API, with fake handlers returning the scenario's
results and people's responses sent with `resume`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agentgen.runtime import MemoryStore, ScriptedModel
from generated.calculator import (
    Add,
    Approval,
    Divide,
    HumanResponse,
    Multiply,
    Subtract,
    Thread,
    launch,
    resume,
)
from generated.calculator.events import (
    ApprovalEvent,
    HumanResponseEvent,
    Response,
    ToolCallEvent,
    ToolResultEvent,
)
from tests.test_agent_calculator import kinds

TOOLS = ["add", "subtract", "multiply", "divide", "request_more_information", "done_for_now"]


class Calculator:
    """Fake handlers: each tool returns the scenario's result and records the call it got."""

    def __init__(self, **results: float) -> None:
        self.results = results
        self.calls: list[tuple[str, float, float]] = []

    def _result(self, name: str, a: float, b: float) -> float:
        self.calls.append((name, a, b))
        return self.results[name]

    def add(self, call: Add) -> float:
        return self._result("add", call.a, call.b)

    def subtract(self, call: Subtract) -> float:
        return self._result("subtract", call.a, call.b)

    def multiply(self, call: Multiply) -> float:
        return self._result("multiply", call.a, call.b)

    def divide(self, call: Divide) -> float:
        return self._result("divide", call.a, call.b)


def start(message: str, model: ScriptedModel, store: MemoryStore, calc: Calculator) -> Thread:
    return asyncio.run(launch(message, model=model, store=store, handlers=calc))


def send(
    thread: Thread, response: Response, model: ScriptedModel, store: MemoryStore, calc: Calculator
) -> Thread:
    return asyncio.run(resume(thread.id, response, model=model, store=store, handlers=calc))


def intents(thread: Thread) -> list[str]:
    return [event.call.intent for event in thread.events if isinstance(event, ToolCallEvent)]


def results(thread: Thread) -> list[tuple[str, Any]]:
    return [(e.intent, e.result) for e in thread.events if isinstance(e, ToolResultEvent)]


def final_message(thread: Thread) -> str:
    last = thread.events[-1]
    assert isinstance(last, ToolCallEvent)
    message: str = last.call.model_dump()["message"]
    return message


def test_hello_world() -> None:
    # BAML HelloWorld: `intent == "request_more_information"`
    store, calc = MemoryStore(), Calculator()
    ask = {
        "intent": "request_more_information",
        "message": "Hello! What would you like me to calculate?",
    }
    model = ScriptedModel([ask])
    thread = start("hello!", model, store, calc)
    assert thread.status == "awaiting_human"
    assert intents(thread) == ["request_more_information"]
    assert thread.pending is not None
    assert thread.pending.intent == "request_more_information"
    assert thread.pending.args == {"message": "Hello! What would you like me to calculate?"}
    assert (thread.pending.summary, thread.pending.thread_id) == (None, None)
    call = thread.events[-1]
    assert isinstance(call, ToolCallEvent)
    assert (call.call_id, call.awaiting) == (thread.pending.call_id, "human")
    # nothing else in the thread
    assert kinds(thread) == ["thread_started", "user_message", "call:request_more_information"]
    assert calc.calls == []
    assert "<user_message>hello!</user_message>" in model.requests[0].prompt
    assert model.requests[0].system == "You are a helpful assistant that can help with tasks."
    assert [intent.name for intent in model.requests[0].intents] == TOOLS


def test_math_operation() -> None:
    # BAML MathOperation: `intent == "multiply"`
    store, calc = MemoryStore(), Calculator(multiply=12)
    model = ScriptedModel([{"intent": "multiply", "a": 3, "b": 4}])
    model.add({"intent": "done_for_now", "message": "3 multiplied by 4 is 12."})
    thread = start("can you multiply 3 and 4?", model, store, calc)
    assert thread.status == "done"
    assert thread.pending is None
    assert intents(thread) == ["multiply", "done_for_now"]
    assert results(thread) == [("multiply", 12.0)]
    assert calc.calls == [("multiply", 3.0, 4.0)]
    assert thread.state.ended_by == "done_for_now"
    assert thread.state.last_result == 0  # only `add` sets it
    assert "<multiply a=3 b=4/><result>12</result>" in model.requests[1].prompt
    assert model.remaining == 0


def test_long_math_pauses_for_the_divide_then_ends_with_18() -> None:
    # BAML LongMath: `intent == "done_for_now"` and `"18" in this.message`
    store, calc = MemoryStore(), Calculator(multiply=12, divide=6, add=18)
    model = ScriptedModel([{"intent": "multiply", "a": 3, "b": 4}])
    model.add({"intent": "divide", "a": 12, "b": 2})
    message = (
        "can you multiply 3 and 4, then divide the result by 2 and then add 12 to that result?"
    )
    thread = start(message, model, store, calc)
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert (thread.pending.intent, thread.pending.args) == ("divide", {"a": 12.0, "b": 2.0})
    assert results(thread) == [("multiply", 12.0)]
    assert calc.calls == [("multiply", 3.0, 4.0)]  # the divide waits: not run yet

    model.add({"intent": "add", "a": 6, "b": 12})
    done = "3 times 4 is 12, divided by 2 is 6, plus 12 is 18."
    model.add({"intent": "done_for_now", "message": done})
    thread = send(
        thread, Approval(call_id=thread.pending.call_id, approved=True), model, store, calc
    )
    assert thread.status == "done"
    assert intents(thread) == ["multiply", "divide", "add", "done_for_now"]
    assert results(thread) == [("multiply", 12.0), ("divide", 6.0), ("add", 18.0)]
    assert calc.calls == [("multiply", 3.0, 4.0), ("divide", 12.0, 2.0), ("add", 6.0, 12.0)]
    assert thread.state.last_result == 18.0
    assert "18" in final_message(thread)
    assert kinds(thread) == [
        "thread_started",
        "user_message",
        "call:multiply",
        "result:multiply",
        "call:divide",
        "approval",
        "result:divide",
        "call:add",
        "result:add",
        "call:done_for_now",
    ]
    assert model.remaining == 0


def test_long_math_with_the_packages_own_handlers() -> None:
    # the live twin runs the real handlers (a * b, a / b, a + b as in agent.ts): here with a
    # scripted model, the package's handlers.py computes what the fakes above were told
    store = MemoryStore()
    model = ScriptedModel(
        [{"intent": "multiply", "a": 3, "b": 4}, {"intent": "divide", "a": 12, "b": 2}]
    )
    thread = asyncio.run(launch("3 * 4 / 2 + 12", model=model, store=store))
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    model.add({"intent": "add", "a": 6, "b": 12}, {"intent": "done_for_now", "message": "18"})
    approval = Approval(call_id=thread.pending.call_id, approved=True)
    thread = asyncio.run(resume(thread.id, approval, model=model, store=store))
    assert thread.status == "done"
    assert results(thread) == [("multiply", 12.0), ("divide", 6.0), ("add", 18.0)]
    assert thread.state.last_result == 18.0


def test_math_operation_with_clarification() -> None:
    # BAML MathOperationWithClarification: `intent == "request_more_information"`
    store, calc = MemoryStore(), Calculator()
    question = "I could not read the second number. Which number should I multiply 3 by?"
    model = ScriptedModel([{"intent": "request_more_information", "message": question}])
    thread = start("can you multiply 3 and fe1iiaff10", model, store, calc)
    assert thread.status == "awaiting_human"
    assert intents(thread) == ["request_more_information"]
    assert thread.pending is not None
    assert (thread.pending.intent, thread.pending.args) == (
        "request_more_information",
        {"message": question},
    )
    assert calc.calls == []


def test_math_operation_post_clarification() -> None:
    # BAML MathOperationPostClarification: `intent == "multiply"`, `a == 3`, `b == 12`
    store, calc = MemoryStore(), Calculator(multiply=36)
    question = (
        "It seems like there was a typo or mistake in your request. Could you please clarify or "
        "provide the correct numbers you would like to multiply?"
    )
    model = ScriptedModel([{"intent": "request_more_information", "message": question}])
    thread = start("can you multiply 3 and FD*(#F&& ?", model, store, calc)
    assert thread.status == "awaiting_human"
    assert thread.pending is not None
    asked = thread.pending.call_id

    model.add({"intent": "multiply", "a": 3, "b": 12})
    model.add({"intent": "done_for_now", "message": "3 multiplied by 12 is 36."})
    reply = HumanResponse(call_id=asked, text="lets try 12 instead")
    thread = send(thread, reply, model, store, calc)
    assert thread.status == "done"
    assert intents(thread) == ["request_more_information", "multiply", "done_for_now"]
    assert results(thread) == [("multiply", 36.0)]
    assert calc.calls == [("multiply", 3.0, 12.0)]
    # the answer is a human_response event between the two model steps
    assert kinds(thread) == [
        "thread_started",
        "user_message",
        "call:request_more_information",
        "human_response",
        "call:multiply",
        "result:multiply",
        "call:done_for_now",
    ]
    (response,) = [e for e in thread.events if isinstance(e, HumanResponseEvent)]
    assert (response.call_id, response.text) == (asked, "lets try 12 instead")
    assert (
        "</request_more_information><human_response>lets try 12 instead</human_response>"
        in model.requests[1].prompt
    )
    assert model.remaining == 0


def test_divide_denied_with_a_comment_then_approved() -> None:
    # chapter 10: deny "use 5 instead of 4", the model proposes divide(3, 5), approve
    store, calc = MemoryStore(), Calculator(divide=0.6)
    model = ScriptedModel([{"intent": "divide", "a": 3, "b": 4}])
    thread = start("can you divide 3 by 4", model, store, calc)
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert (thread.pending.intent, thread.pending.args) == ("divide", {"a": 3.0, "b": 4.0})
    first = thread.pending.call_id

    model.add({"intent": "divide", "a": 3, "b": 5})
    feedback = "I dont think thats right, use 5 instead of 4"
    denial = Approval(call_id=first, approved=False, comment=feedback)
    thread = send(thread, denial, model, store, calc)
    assert thread.status == "awaiting_approval"
    assert thread.pending is not None
    assert (thread.pending.intent, thread.pending.args) == ("divide", {"a": 3.0, "b": 5.0})
    assert thread.pending.call_id != first
    assert calc.calls == []  # the denied call never ran
    assert f'<divide a=3 b=4/><denied comment="{feedback}"/>' in model.requests[1].prompt
    second = thread.pending.call_id

    model.add({"intent": "done_for_now", "message": "I divided 3 by 5 and the result is 0.6."})
    thread = send(thread, Approval(call_id=second, approved=True), model, store, calc)
    assert thread.status == "done"
    assert intents(thread) == ["divide", "divide", "done_for_now"]
    approvals = [
        (e.call_id, e.approved, e.comment) for e in thread.events if isinstance(e, ApprovalEvent)
    ]
    assert approvals == [(first, False, feedback), (second, True, None)]
    # only the second call has a result
    result_events = [e for e in thread.events if isinstance(e, ToolResultEvent)]
    assert [(e.call_id, e.intent, e.result) for e in result_events] == [(second, "divide", 0.6)]
    assert calc.calls == [("divide", 3.0, 5.0)]
    assert "<divide a=3 b=5/><approved/><result>0.6</result>" in model.requests[2].prompt
    assert final_message(thread) == "I divided 3 by 5 and the result is 0.6."
    assert thread.state.last_result == 0
    assert model.remaining == 0
