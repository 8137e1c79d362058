"""`agentgen graph SPEC`: the Mermaid flowchart of an agent, its structure, and the README's."""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from agentgen.cli_graph import graph_command
from agentgen.graph import END_ID, START_ID, mermaid_graph
from agentgen.ir import AgentIR, ControlState, build_ir
from agentgen.validate import validate_file
from tests.mermaid_flowchart import Flowchart, MermaidSyntaxError, parse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "specs").glob("*.toml"))
README = ROOT / "README.md"
# A diagram in the README: the marker names the spec, the ```mermaid block right after is its
# graph. `agentgen graph SPEC` prints what belongs there.
README_DIAGRAM = re.compile(
    r"<!-- agentgen graph (?P<spec>\S+) -->\n```mermaid\n(?P<graph>.*?)```", re.S
)
IN_README = [
    "specs/calculator.toml",
    "specs/deploy_bot.toml",
    "specs/support_triage.toml",
    "specs/airline_service.toml",
    "specs/airline_triage.toml",
]


def _ir(spec: Path) -> AgentIR:
    result = validate_file(spec)
    assert result.spec is not None, result.diagnostics
    return build_ir(result.spec, spec.name)


def _graph(name: str) -> Flowchart:
    return parse(mermaid_graph(_ir(ROOT / "specs" / f"{name}.toml")))


def _run(*args: str) -> Result:
    result = CliRunner().invoke(graph_command, list(args), prog_name="agentgen graph")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _structure(chart: Flowchart) -> dict[str, Any]:
    """What the graph says, by names: each box's intents, where each tool leads, what ends."""
    titles = {sub.id: sub.title for sub in chart.subgraphs.values()}
    boxes = {sub.title: sorted(chart.members(sub.id)) for sub in chart.subgraphs.values()}
    moves, ends, calls = set(), set(), set()
    for source, arrow, target in chart.edges:
        if source == START_ID:
            continue
        node = chart.nodes[source]
        where = (titles[node.parent or ""], node.name)
        if target == END_ID:
            ends.add(where)
        elif arrow == "-.->":
            calls.add((node.name, chart.nodes[target].lines[0]))
        else:
            moves.add((*where, titles[target]))
    starts = [titles[target] for source, _, target in chart.edges if source == START_ID]
    return {"start": starts, "boxes": boxes, "moves": moves, "ends": ends, "calls": calls}


def _from_toml(spec: Path) -> dict[str, Any]:
    """The same, straight from the TOML: an oracle that shares no code with agentgen."""
    data = tomllib.loads(spec.read_text(encoding="utf-8"))
    tools, humans = data.get("tools", {}), data.get("humans", {})
    done = data.get("done", {}).get("name", "done_for_now")
    terminal = {done} | {name for name, tool in tools.items() if tool.get("terminal")}
    states = data.get("states") or {data["agent"]["name"]: {"initial": True}}
    boxes = {
        name: sorted({*state.get("tools", [*tools, *humans]), done})
        for name, state in states.items()
    }
    moves = {
        (name, tool, target)
        for name, state in states.items()
        for tool, target in state.get("on", {}).items()
        if target != name
    }
    ends = {
        (name, intent)
        for name, allowed in boxes.items()
        for intent in allowed
        if intent in terminal
    }
    calls = {(name, f"agent: {tool['agent']}") for name, tool in tools.items() if "agent" in tool}
    start = [name for name, state in states.items() if state.get("initial")]
    return {"start": start, "boxes": boxes, "moves": moves, "ends": ends, "calls": calls}


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda path: path.stem)
def test_the_graph_of_each_example_is_what_its_spec_says(spec: Path) -> None:
    chart = parse(mermaid_graph(_ir(spec)))
    assert chart.direction == "LR"
    assert _structure(chart) == _from_toml(spec)


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda path: path.stem)
def test_each_intent_is_shaped_and_marked_by_what_it_is(spec: Path) -> None:
    data = tomllib.loads(spec.read_text(encoding="utf-8"))
    chart = parse(mermaid_graph(_ir(spec)))
    for node in chart.nodes.values():
        if node.parent is None:
            continue
        tool = data.get("tools", {}).get(node.name)
        human = data.get("humans", {}).get(node.name)
        assert (node.shape, node.lines[1:]) == _expected_node(tool, human), node


def _expected_node(
    tool: dict[str, Any] | None, human: dict[str, Any] | None
) -> tuple[str, tuple[str, ...]]:
    if human is not None:
        lines = [f"human: {human.get('format', 'free_text')}"]
        return "parallelogram", (*lines, *_timeout(human))
    if tool is None or tool.get("terminal"):
        return "stadium", ("ends the thread",)
    approval = tool.get("approval", "never")
    lines = [f"sub-agent: {tool['agent']}"] if "agent" in tool else []
    if approval == "always":
        lines.append("approval: always")
    elif isinstance(approval, dict):
        lines.append(f"approval if: {approval['when']}")
    shape = "subroutine" if "agent" in tool else "rectangle" if approval == "never" else "hexagon"
    return shape, (*lines, *_timeout(tool))


def _timeout(section: dict[str, Any]) -> list[str]:
    if "timeout" not in section:
        return []
    then = ", then escalate" if section.get("on_timeout") == "escalate" else ""
    return [f"timeout: {section['timeout']}{then}"]


def test_the_calculator_is_one_box_of_every_intent() -> None:
    chart = _graph("calculator")
    box = chart.members("AGENT")
    assert chart.subgraphs["AGENT"].title == "calculator"
    assert sorted(box) == [
        "add",
        "divide",
        "done_for_now",
        "multiply",
        "request_more_information",
        "subtract",
    ]
    assert (box["divide"].shape, box["divide"].lines) == ("hexagon", ("divide", "approval: always"))
    assert box["request_more_information"].lines[1:] == ("human: free_text",)
    assert box["add"].shape == "rectangle"
    assert chart.edges == (
        (START_ID, "-->", "AGENT"),
        ("AGENT__done_for_now", "-->", END_ID),
    )
    assert (chart.nodes[START_ID].shape, chart.nodes[END_ID].shape) == ("circle", "double_circle")


def test_deploy_bot_moves_between_its_states_on_its_tools() -> None:
    structure = _structure(_graph("deploy_bot"))
    assert structure["start"] == ["planning"]
    assert structure["moves"] == {
        ("planning", "deploy_backend", "verifying"),
        ("verifying", "check_health", "planning"),
        ("verifying", "rollback", "planning"),
    }
    assert structure["ends"] == {("planning", "done_for_now"), ("verifying", "done_for_now")}
    rollback = _graph("deploy_bot").members("S_verifying")["rollback"]
    assert rollback.lines == (
        "rollback",
        "approval if: environment == 'production' or not confirmed",
    )


def test_support_triage_marks_its_humans_and_its_approved_refund() -> None:
    box = _graph("support_triage").members("AGENT")
    assert box["choose_resolution"].lines == ("choose_resolution", "human: multiple_choice")
    assert box["ask_customer"].shape == "parallelogram"
    assert box["issue_refund"].shape == "hexagon"


def test_travel_support_hands_off_between_its_assistants() -> None:
    structure = _structure(_graph("travel_support"))
    assert structure["start"] == ["fetching"]
    assert list(structure["boxes"]) == [
        "fetching",
        "car_rental",
        "excursions",
        "flight_updates",
        "hotel_booking",
        "primary_assistant",
    ]
    assistants = {"car_rental", "excursions", "flight_updates", "hotel_booking"}
    back = {(name, "complete_or_escalate", "primary_assistant") for name in assistants}
    assert back <= structure["moves"]
    assert ("fetching", "fetch_user_flight_information", "primary_assistant") in structure["moves"]
    flights = _graph("travel_support").members("S_flight_updates")
    assert flights["cancel_ticket"].lines == ("cancel_ticket", "approval: always")


def test_sub_agents_are_called_through_dotted_edges() -> None:
    chart = _graph("airline_triage")
    assert _structure(chart)["calls"] == {
        ("ask_faq_agent", "agent: airline_faq"),
        ("ask_seat_booking_agent", "agent: seat_booking"),
    }
    assert chart.nodes["AGENT__ask_faq_agent"].shape == "subroutine"
    assert chart.nodes["SUB_airline_faq"].parent is None


def test_terminal_tools_end_the_thread_in_each_state_that_offers_them() -> None:
    assert _structure(_graph("seat_booking"))["ends"] == {
        ("booking", "seat_updated"),
        ("booking", "transfer_to_triage_agent"),
        ("start", "seat_updated"),
    }


def _hostile(ir: AgentIR) -> AgentIR:
    """The calculator with Mermaid keywords for states and a `when` full of markup."""
    when = 'a > 1 and b != "#x;" or `c` < 2 & d\nthen <br> %% end'
    intents = tuple(
        dataclasses.replace(i, approval="when", approval_when=when) if i.name == "divide" else i
        for i in ir.intents
    )
    names = ("end", "subgraph", "style", "click", "graph")
    every = tuple(i.name for i in ir.intents)
    states = tuple(
        ControlState(name, name == "end", "", every, (("divide", names[(n + 1) % 5]),))
        for n, name in enumerate(names)
    )
    return dataclasses.replace(ir, intents=intents, states=states)


def test_any_name_and_label_text_stays_inside_its_label() -> None:
    chart = parse(mermaid_graph(_hostile(_ir(ROOT / "specs" / "calculator.toml"))))
    assert [sub.title for sub in chart.subgraphs.values()] == [
        "end",
        "click",
        "graph",
        "style",
        "subgraph",
    ]
    divide = chart.members("S_end")["divide"]
    # Newlines become spaces: a label is one line of the diagram's text.
    assert divide.lines[1] == 'approval if: a > 1 and b != "#x;" or `c` < 2 & d then <br> %% end'
    assert ("S_end__divide", "-->", "S_subgraph") in chart.edges


def test_the_output_does_not_depend_on_the_order_of_the_spec() -> None:
    ir = _hostile(_ir(ROOT / "specs" / "calculator.toml"))
    shuffled = dataclasses.replace(
        ir,
        intents=ir.intents[::-1],
        states=tuple(dataclasses.replace(s, allowed=s.allowed[::-1]) for s in ir.states[::-1]),
    )
    assert mermaid_graph(shuffled) == mermaid_graph(ir)


def test_a_transition_to_its_own_state_is_not_drawn() -> None:
    ir = _ir(ROOT / "specs" / "deploy_bot.toml")
    states = tuple(
        dataclasses.replace(s, transitions=(*s.transitions, ("list_git_tags", s.name)))
        for s in ir.states
    )
    assert mermaid_graph(dataclasses.replace(ir, states=states)) == mermaid_graph(ir)


def test_the_parser_is_strict() -> None:
    good = mermaid_graph(_ir(ROOT / "specs" / "calculator.toml"))
    broken = [
        good.replace("flowchart LR", "graph LR"),
        good.replace('"add"', '"a"d"'),
        good.replace('"add"', '"<b>add</b>"'),
        good.replace("    end\n", ""),
        good.replace("START --> AGENT", "START --> NOWHERE"),
        good + "    AGENT__add --> AGENT__add;\n",
        good.rstrip("\n"),
    ]
    for text in broken:
        with pytest.raises(MermaidSyntaxError):
            parse(text)


def test_the_readme_shows_each_examples_graph_as_agentgen_graph_prints_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    blocks = {
        match["spec"]: match["graph"]
        for match in README_DIAGRAM.finditer(README.read_text(encoding="utf-8"))
    }
    assert sorted(blocks) == sorted(IN_README)
    for spec, shown in blocks.items():
        result = _run(spec)
        assert result.exit_code == 0, result.output
        assert shown == result.stdout, (
            f"README.md's diagram of {spec} is stale: paste `agentgen graph {spec}`"
        )


def test_the_command_prints_the_graph_of_a_valid_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = _run("specs/airline_triage.toml")  # its sub-agents are the specs beside it
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == mermaid_graph(_ir(ROOT / "specs" / "airline_triage.toml"))


def test_out_writes_the_file_and_its_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "docs" / "graphs" / "calculator.mmd"
    result = _run("specs/calculator.toml", "--out", str(out))
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == f"wrote {out.as_posix()}\n"
    assert out.read_bytes() == mermaid_graph(_ir(ROOT / "specs" / "calculator.toml")).encode()


def test_an_unwritable_out_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    (tmp_path / "file").write_text("", encoding="utf-8")
    result = _run("specs/calculator.toml", "--out", str(tmp_path / "file" / "x.mmd"))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"Error: cannot write '{(tmp_path / 'file' / 'x.mmd').as_posix()}': "
    )
    assert result.stderr.count("\n") == 1


BAD = '[agent]\nname = "Calc"\n'


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    (tmp_path / "bad.toml").write_text(BAD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)


def test_an_invalid_spec_prints_its_diagnostics_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path, monkeypatch)
    result = _run("bad.toml")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "bad.toml:2:8: error[AG020]: 'Calc' is not a snake_case identifier\n"
        "    hint: did you mean 'calc'?\n"
        "bad.toml is invalid: nothing was drawn\n"
    )


def test_diagnostics_take_the_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(tmp_path, monkeypatch)
    result = _run("bad.toml", "--format", "json")
    assert (result.exit_code, result.stdout) == (1, "")
    assert [d["code"] for d in json.loads(result.stderr)] == ["AG020"]
    github = _run("bad.toml", "--format", "github")
    assert github.stderr.startswith("::error file=bad.toml,line=2,col=8,title=AG020::")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.toml"], "no such file or folder: 'missing.toml'"),
        (["."], "Invalid value for 'SPEC': '.' is a folder: give one spec file"),
        ([], "Missing argument 'SPEC'."),
        (["bad.toml", "--format", "xml"], "Invalid value for '--format'"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    _project(tmp_path, monkeypatch)
    result = _run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_every_option_has_help() -> None:
    options = [param for param in graph_command.params if isinstance(param, click.Option)]
    assert {option.name for option in options} >= {"out", "output_format", "quiet", "verbose"}
    assert all(option.help for option in options)
    assert _run("--help").stdout.startswith("Usage: agentgen graph [OPTIONS] SPEC\n")
