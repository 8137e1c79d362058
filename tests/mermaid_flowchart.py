"""A strict parser of the Mermaid flowchart subset that `agentgen graph` writes, for tests.

Strict on purpose: any line outside the subset, an undeclared or twice-declared id, an
unbalanced subgraph or a label character that Mermaid would misread is an error, so a test
that parses the output also proves it stays within what Mermaid renders. Mermaid's own parser
is JavaScript; the Python packages that wrap it need Node and PythonMonkey at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ID = r"[A-Z][A-Za-z0-9_]*"
# Shapes by their (opening, closing) brackets, longest openings first for the regex.
SHAPES = {
    ("(((", ")))"): "double_circle",
    ("((", "))"): "circle",
    ("([", "])"): "stadium",
    ("[[", "]]"): "subroutine",
    ("[/", "/]"): "parallelogram",
    ("{{", "}}"): "hexagon",
    ("(", ")"): "round",
    ("[", "]"): "rectangle",
}
_OPEN = "|".join(re.escape(opening) for opening, _ in SHAPES)
_CLOSE = "|".join(re.escape(closing) for _, closing in SHAPES)
HEADER = re.compile(r"flowchart (?P<direction>LR|TD)")
NODE = re.compile(
    rf'(?P<indent> *)(?P<id>{ID})(?P<open>{_OPEN})"(?P<label>[^"]*)"(?P<close>{_CLOSE})'
)
SUBGRAPH = re.compile(rf'    subgraph (?P<id>{ID}) \["(?P<label>[^"]*)"\]')
EDGE = re.compile(rf"    (?P<source>{ID}) (?P<arrow>-->|-\.->) (?P<target>{ID})")
ENTITY = re.compile(r"#(quot|amp|lt|gt|[0-9]+);")
NAMED = {"quot": '"', "amp": "&", "lt": "<", "gt": ">"}
LINE_BREAK = "<br>"


class MermaidSyntaxError(ValueError):
    """The text is not in the subset: the message names the line and why."""


@dataclass(frozen=True)
class Node:
    id: str
    shape: str
    lines: tuple[str, ...]  # the label's lines, entities decoded
    parent: str | None  # the id of its subgraph

    @property
    def name(self) -> str:
        return self.lines[0]


@dataclass(frozen=True)
class Subgraph:
    id: str
    title: str
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class Flowchart:
    direction: str
    nodes: dict[str, Node]
    subgraphs: dict[str, Subgraph]
    edges: tuple[tuple[str, str, str], ...]  # (source, arrow, target) in the order written

    def members(self, subgraph: str) -> dict[str, Node]:
        """The nodes of a subgraph by their name (the first line of the label)."""
        nodes = [self.nodes[node_id] for node_id in self.subgraphs[subgraph].nodes]
        return {node.name: node for node in nodes}


def parse(text: str) -> Flowchart:
    """Parse the subset; raise MermaidSyntaxError at the first line outside it."""
    if not text.endswith("\n"):
        raise MermaidSyntaxError("the text does not end with a newline")
    lines = text[:-1].split("\n")
    header = HEADER.fullmatch(lines[0])
    if header is None:
        raise MermaidSyntaxError(f"line 1: not a flowchart header: {lines[0]!r}")
    state = _State()
    for number, line in enumerate(lines[1:], 2):
        try:
            state.read(line)
        except MermaidSyntaxError as error:
            raise MermaidSyntaxError(f"line {number}: {error}: {line!r}") from None
    return state.finish(header["direction"])


class _State:
    """What has been read so far."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.subgraphs: dict[str, Subgraph] = {}
        self.edges: list[tuple[str, str, str]] = []
        self.open: tuple[str, str, list[str]] | None = None  # id, title, node ids

    def read(self, line: str) -> None:
        if line == "    end":
            self._close()
        elif (subgraph := SUBGRAPH.fullmatch(line)) is not None:
            self._start(subgraph["id"], decode(subgraph["label"]))
        elif (edge := EDGE.fullmatch(line)) is not None:
            if self.open is not None:
                raise MermaidSyntaxError("an edge inside a subgraph")
            self.edges.append((edge["source"], edge["arrow"], edge["target"]))
        elif (node := NODE.fullmatch(line)) is not None:
            self._node(node)
        else:
            raise MermaidSyntaxError("not in the subset")

    def _start(self, subgraph_id: str, title: str) -> None:
        if self.open is not None:
            raise MermaidSyntaxError("a subgraph inside a subgraph")
        self._new_id(subgraph_id)
        self.open = (subgraph_id, title, [])

    def _close(self) -> None:
        if self.open is None:
            raise MermaidSyntaxError("`end` without a subgraph")
        subgraph_id, title, nodes = self.open
        self.subgraphs[subgraph_id] = Subgraph(subgraph_id, title, tuple(nodes))
        self.open = None

    def _node(self, match: re.Match[str]) -> None:
        shape = SHAPES.get((match["open"], match["close"]))
        if shape is None:
            raise MermaidSyntaxError("brackets of no shape")
        if match["indent"] != ("        " if self.open is not None else "    "):
            raise MermaidSyntaxError("wrong indentation")
        self._new_id(match["id"])
        lines = tuple(decode(line) for line in match["label"].split(LINE_BREAK))
        parent = self.open[0] if self.open is not None else None
        self.nodes[match["id"]] = Node(match["id"], shape, lines, parent)
        if self.open is not None:
            self.open[2].append(match["id"])

    def _new_id(self, new: str) -> None:
        if new in self.nodes or new in self.subgraphs or (self.open and self.open[0] == new):
            raise MermaidSyntaxError(f"id {new} declared twice")

    def finish(self, direction: str) -> Flowchart:
        if self.open is not None:
            raise MermaidSyntaxError(f"subgraph {self.open[0]} is not closed")
        known = self.nodes.keys() | self.subgraphs.keys()
        for source, _, target in self.edges:
            if source not in known or target not in known:
                raise MermaidSyntaxError(f"edge {source} -> {target}: an undeclared id")
        return Flowchart(direction, self.nodes, self.subgraphs, tuple(self.edges))


def decode(label: str) -> str:
    """A label's text with its entities decoded; raw `<`, `>`, `&`, backticks are errors."""
    bare = ENTITY.sub("", label)
    if any(char in bare for char in "<>&#`") or not bare.isprintable():
        raise MermaidSyntaxError(f"a character Mermaid would misread in {label!r}")
    return ENTITY.sub(_entity, label)


def _entity(match: re.Match[str]) -> str:
    name = match[1]
    return NAMED[name] if name in NAMED else chr(int(name))
