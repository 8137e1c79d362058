"""LangGraph on the same chain: a StateGraph of a scripted model node and a ToolNode."""

from __future__ import annotations

import itertools
import sqlite3
import time
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph, add_messages
from langgraph.prebuilt import ToolNode, tools_condition

from .ours import SYSTEM, file_bytes, new_db
from .stats import median_ms


class ChainState(TypedDict):
    """The graph's state: the chat messages, merged by LangGraph's add_messages reducer."""

    messages: Annotated[list[AnyMessage], add_messages]


@tool
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


def scripted_model(n: int) -> Any:
    """A model node answering with `n` add calls, then a final text; no LLM involved."""
    counter = itertools.count()

    def model(state: ChainState) -> dict[str, list[AnyMessage]]:
        i = next(counter)
        if i >= n:
            return {"messages": [AIMessage(content=f"the sum is {n}")]}
        call = {"name": "add", "args": {"a": i, "b": 1}, "id": f"call_{i}"}
        return {"messages": [AIMessage(content="", tool_calls=[call])]}

    return model


def build(n: int, checkpointer: SqliteSaver | None) -> Any:
    """The compiled graph: model -> tools -> model ... until the model stops calling tools."""
    graph = StateGraph(ChainState)
    graph.add_node("model", scripted_model(n))
    graph.add_node("tools", ToolNode([add]))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition, {"tools": "tools", END: END})
    graph.add_edge("tools", "model")
    return graph.compile(checkpointer=checkpointer)


def config(n: int) -> dict[str, Any]:
    """Run config: one thread, and a recursion limit the chain never reaches."""
    return {"recursion_limit": 2 * n + 10, "configurable": {"thread_id": "chain"}}


def run(n: int, path: Path | None) -> tuple[float, Any]:
    """Seconds for the chain of `n`, and the graph (with SQLite at `path` when given)."""
    saver = SqliteSaver(sqlite3.connect(path, check_same_thread=False)) if path else None
    graph = build(n, saver)
    start = time.perf_counter()
    result = graph.invoke({"messages": [("system", SYSTEM), HumanMessage("go")]}, config(n))
    seconds = time.perf_counter() - start
    results = sum(isinstance(message, ToolMessage) for message in result["messages"])
    if results != n:
        raise RuntimeError(f"LangGraph chain of {n} produced {results} tool results")
    return seconds, graph


def ms_per_step(n: int, workdir: Path, durable: bool) -> float:
    """Milliseconds per tool step, in memory or with the SQLite checkpointer."""
    path = new_db(workdir, "langgraph") if durable else None
    return run(n, path)[0] * 1000 / n


def storage(n: int, workdir: Path, repeats: int) -> tuple[int, float, float]:
    """Bytes of the checkpointer's database after a chain of `n`, median get_state ms, and
    median ms of a resume: a new message on the thread up to the model's next answer."""
    path = new_db(workdir, "langgraph-storage")
    graph = run(n, path)[1]
    stored = file_bytes(path)
    load_ms = median_ms(lambda: graph.get_state(config(n)), repeats)
    # The scripted model is past its n calls: it answers with text, and the graph ends.
    again = {"messages": [HumanMessage("again")]}
    return stored, load_ms, median_ms(lambda: graph.invoke(again, config(n)), repeats)
