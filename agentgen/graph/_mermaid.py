"""Draw an agent's IR as a Mermaid flowchart: a subgraph per state, a node per intent in it.

A flowchart rather than a stateDiagram-v2: in agentgen a transition belongs to a tool (the
state changes when that tool succeeds), and most tools lead nowhere. A flowchart draws each
tool a state offers as a node of its own, shaped by what it is (approval, human contact,
sub-agent, terminal intent), with the transition as an edge from that very node. A state
diagram could only write tools as edge labels or note text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from agentgen.ir import AgentIR, ControlState, Intent

START_ID, END_ID = "START", "STOP"
STATELESS_ID = "AGENT"  # the one box of an agent without [states]: every intent is allowed
INDENT = "    "
# Inside a quoted label Mermaid reads `#name;` as an entity; these characters would end the
# label, start an entity, be taken for HTML or start a markdown string.
ESCAPES = {'"': "#quot;", "#": "#35;", "&": "#amp;", "<": "#lt;", ">": "#gt;", "`": "#96;"}
LINE_BREAK = "<br>"
# (opening, closing) around a node's quoted label, by what the node is.
SHAPES = {
    "start": ("((", "))"),
    "end": ("(((", ")))"),
    "terminal": ("([", "])"),
    "human": ("[/", "/]"),
    "sub_agent": ("[[", "]]"),
    "agent": ("(", ")"),
    "approval": ("{{", "}}"),
    "tool": ("[", "]"),
}


@dataclass(frozen=True)
class _Box:
    """A state as drawn: its subgraph, its intents, and the box each transition leads to."""

    id: str
    title: str
    intents: tuple[Intent, ...]
    transitions: tuple[tuple[str, str], ...]  # (tool, target box id), sorted


def mermaid_graph(ir: AgentIR) -> str:
    """The agent as a Mermaid flowchart; the same IR always gives the same text."""
    boxes = _boxes(ir)
    lines = ["flowchart LR", _declare(START_ID, "start", ["start"])]
    for box in boxes:
        lines += _subgraph(box)
    lines += [_declare(_agent_id(name), "agent", [f"agent: {name}"]) for name in _children(boxes)]
    lines.append(_declare(END_ID, "end", ["end"]))
    lines += [f"{INDENT}{source} {arrow} {target}" for source, arrow, target in _edges(boxes)]
    return "\n".join(lines) + "\n"


def mermaid_text(text: str) -> str:
    """Text as it may stand in a quoted Mermaid label (one line: control characters as spaces)."""
    return "".join(ESCAPES.get(char, char if char.isprintable() else " ") for char in text)


def _boxes(ir: AgentIR) -> tuple[_Box, ...]:
    """The initial state first, then the others by name (one box when there are no states)."""
    if not ir.states:
        return (_Box(STATELESS_ID, ir.name, _by_name(ir.intents), ()),)
    intents = {intent.name: intent for intent in ir.intents}
    states = sorted(ir.states, key=lambda state: (not state.initial, state.name))
    return tuple(
        _Box(
            _state_id(state.name),
            state.name,
            _by_name(intents[name] for name in state.allowed),
            _transitions(state),
        )
        for state in states
    )


def _transitions(state: ControlState) -> tuple[tuple[str, str], ...]:
    """(tool, target box) of the state's transitions, sorted."""
    # A tool that leads to its own state changes nothing, and Mermaid draws an edge from a
    # node to its own subgraph as a stub: such a transition is left out.
    moves = ((tool, target) for tool, target in state.transitions if target != state.name)
    return tuple(sorted((tool, _state_id(target)) for tool, target in moves))


def _subgraph(box: _Box) -> list[str]:
    lines = [f'{INDENT}subgraph {box.id} ["{mermaid_text(box.title)}"]']
    for intent in box.intents:
        node = _declare(_node_id(box, intent.name), _shape(intent), _label_lines(intent))
        lines.append(INDENT + node)
    return [*lines, f"{INDENT}end"]


def _edges(boxes: tuple[_Box, ...]) -> list[tuple[str, str, str]]:
    """Start to the initial state, then transitions, ends and sub-agent calls, sorted."""
    edges: set[tuple[str, str, str]] = set()
    for box in boxes:
        for intent in box.intents:
            if intent.kind == "done":
                edges.add((_node_id(box, intent.name), "-->", END_ID))
            if intent.agent is not None:
                edges.add((_node_id(box, intent.name), "-.->", _agent_id(intent.agent)))
        edges.update((_node_id(box, tool), "-->", target) for tool, target in box.transitions)
    return [(START_ID, "-->", boxes[0].id), *sorted(edges)]


def _label_lines(intent: Intent) -> list[str]:
    """The intent's name, then what a reader must know about it, one fact a line."""
    lines = [intent.name]
    if intent.kind == "done":
        lines.append("ends the thread")
    if intent.kind == "human":
        lines.append(f"human: {intent.human_format}")
    if intent.agent is not None:
        lines.append(f"sub-agent: {intent.agent}")
    if intent.approval == "always":
        lines.append("approval: always")
    elif intent.approval == "when":
        lines.append(f"approval if: {intent.approval_when}")
    if intent.timeout is not None:
        then = ", then escalate" if intent.escalate_on_timeout else ""
        lines.append(f"timeout: {intent.timeout}{then}")
    return lines


def _shape(intent: Intent) -> str:
    if intent.kind == "done":
        return "terminal"
    if intent.kind == "human":
        return "human"
    if intent.agent is not None:
        return "sub_agent"
    return "tool" if intent.approval == "never" else "approval"


def _declare(node_id: str, shape: str, lines: list[str]) -> str:
    opening, closing = SHAPES[shape]
    label = LINE_BREAK.join(mermaid_text(line) for line in lines)
    return f'{INDENT}{node_id}{opening}"{label}"{closing}'


def _children(boxes: tuple[_Box, ...]) -> list[str]:
    """The agents that the drawn sub-agent tools run, sorted."""
    return sorted({i.agent for box in boxes for i in box.intents if i.agent is not None})


def _by_name(intents: Iterable[Intent]) -> tuple[Intent, ...]:
    return tuple(sorted(intents, key=lambda intent: intent.name))


# Ids are never a spec's bare name: a state called `end` or `style` would be a Mermaid
# keyword. Names are snake_case, so the uppercase prefixes and `__` cannot collide.
def _state_id(name: str) -> str:
    return f"S_{name}"


def _node_id(box: _Box, intent: str) -> str:
    return f"{box.id}__{intent}"


def _agent_id(name: str) -> str:
    return f"SUB_{name}"
