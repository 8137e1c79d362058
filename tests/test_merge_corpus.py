"""A corpus of everyday edits to generated code, each followed by a spec change and `generate`.

Each pair starts from a fresh calculator project: one edit to a generated file, as a person makes
it in an editor, then one change to the spec. Clean pairs must keep both sides with no conflict
and leave `agentgen check` passing; conflict pairs (both sides change the same thing) must fail
with the unit named, never resolved in silence. `diff` must show what `generate` then writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agentgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path("generated") / "calculator"
POWER = """
[tools.power]
description = "Raise a to the power b."
params.a = { type = "number" }
params.b = { type = "number" }
returns = { type = "number" }
"""
SUBTRACT = """[tools.subtract]
description = "Subtract b from a."
params.a = { type = "number" }
params.b = { type = "number" }
returns = { type = "number" }

"""
HANDLE_DIVIDE = '            case Divide():\n                await self.ask(step, "approval")\n'


@dataclass(frozen=True)
class Pair:
    """An edit (file, old, new), a spec change (old, new; old "" appends), what must follow."""

    name: str
    file: str
    old: str
    new: str
    spec_old: str
    spec_new: str
    expect: tuple[tuple[str, str], ...] = ()
    """(file, text) that the generated package must hold afterwards, besides the edit."""
    absent: tuple[tuple[str, str], ...] = ()
    conflict: str | None = None
    """The unit a conflict must name."""
    edit_gone: bool = False
    """The edit itself is not expected verbatim (a removed line, a unit the user deleted)."""
    extra: dict[str, str] = field(default_factory=dict)


NEW_TOOL = ("", POWER)
NEW_CASE = ("agent.py", "            case Power():\n                await self.run_tool(step)\n")
PAIRS = [
    Pair(
        "a comment on a case line, then a new tool goes in above it",
        "agent.py",
        "            case RequestMoreInformation():\n",
        "            case RequestMoreInformation():  # people answer slowly\n",
        *NEW_TOOL,
        expect=(NEW_CASE,),
    ),
    Pair(
        "a comment on the last line of a case, then a new tool",
        "agent.py",
        HANDLE_DIVIDE,
        HANDLE_DIVIDE.rstrip("\n") + "  # a person checks every division\n",
        *NEW_TOOL,
        expect=(NEW_CASE,),
    ),
    Pair(
        "a comment line inside a case, then a tool removed",
        "agent.py",
        "            case Add():\n                await self.run_tool(step)\n",
        "            case Add():\n                # adding is cheap: no approval\n"
        "                await self.run_tool(step)\n",
        SUBTRACT,
        "",
        absent=(("agent.py", "case Subtract():"),),
    ),
    Pair(
        "a comment on the terminal intent's case, then a new tool",
        "agent.py",
        "            case DoneForNow():\n",
        "            case DoneForNow():  # the thread ends here\n",
        *NEW_TOOL,
        expect=(NEW_CASE,),
    ),
    Pair(
        "a helper function at the end of agent.py, then a new tool",
        "agent.py",
        "def _refusal(response: Response, status: str) -> str:\n",
        'def negative(step: Add) -> bool:\n    """Whether an addition has a negative operand."""\n'
        "    return step.a < 0 or step.b < 0\n\n\n"
        "def _refusal(response: Response, status: str) -> str:\n",
        *NEW_TOOL,
        expect=(NEW_CASE,),
    ),
    Pair(
        "a helper method in the loop class, then a new tool",
        "agent.py",
        "    async def run_tool(self, step: NextStep) -> None:\n",
        '    def describe(self) -> str:\n        """The thread\'s id, for logs."""\n'
        "        return self.thread.id\n\n"
        "    async def run_tool(self, step: NextStep) -> None:\n",
        *NEW_TOOL,
        expect=(NEW_CASE,),
    ),
    Pair(
        "an import of the user's own, then a new tool that changes the imports",
        "agent.py",
        "import asyncio\n",
        "import asyncio\nimport math\n",
        *NEW_TOOL,
        expect=(NEW_CASE, ("agent.py", "    Power,\n")),
    ),
    Pair(
        "a reducer rule, then a new state field",
        "reducer.py",
        "    turns = state.turns + 1\n",
        "    turns = state.turns + 1  # every call counts, approved or not\n",
        "",
        '\n[state.fields.calls_made]\ntype = "integer"\ndefault = 0\n',
        expect=(("state.py", "calls_made: int"),),
    ),
    Pair(
        "a system prompt tweak, then a next_step prompt change",
        "prompts.py",
        'SYSTEM = "You are a helpful assistant that can help with tasks."\n',
        'SYSTEM = "You are a careful calculator. Show your working."\n',
        "What should the next step be?",
        "What is the single best next step?",
        expect=(("prompts.py", "What is the single best next step?"),),
    ),
    Pair(
        "a docstring of launch, then a new tool",
        "agent.py",
        '    """Start a thread with the user\'s message and run it until it needs a person or is'
        " done.\n",
        '    """Start a calculation thread; it runs until it needs a person or is done.\n',
        *NEW_TOOL,
        expect=(NEW_CASE,),
    ),
    Pair(
        "a model's docstring in tools.py, then another tool's description",
        "tools.py",
        '    """Add two numbers."""\n',
        '    """Add two numbers (floats are fine)."""\n',
        'description = "Divide a by b."',
        'description = "Divide a by b (b must not be 0)."',
        expect=(("tools.py", "Divide a by b (b must not be 0)."),),
    ),
    Pair(
        "a constant, then a different constant in the spec",
        "agent.py",
        "MAX_TURNS = 20\n",
        "MAX_TURNS = 40  # long calculations\n",
        "max_consecutive_errors = 3",
        "max_consecutive_errors = 5",
        expect=(("agent.py", "MAX_CONSECUTIVE_ERRORS = 5\n"),),
    ),
    Pair(
        "a tool renamed, with an edit in another tool's case",
        "agent.py",
        "            case Multiply():\n                await self.run_tool(step)\n",
        "            case Multiply():  # times tables\n                await self.run_tool(step)\n",
        "[tools.subtract]",
        "[tools.minus]",
        expect=(("agent.py", "            case Minus():\n"),),
        absent=(("agent.py", "case Subtract():"),),
    ),
    Pair(
        "a case the user deleted stays deleted when a new tool comes",
        "agent.py",
        "            case Multiply():\n                await self.run_tool(step)\n",
        "",
        *NEW_TOOL,
        expect=(NEW_CASE,),
        edit_gone=True,
    ),
    Pair(
        "comments between methods, then a new tool",
        "agent.py",
        "    async def ask(",
        "    # People are asked through the thread: it waits, durably.\n    async def ask(",
        *NEW_TOOL,
        expect=(NEW_CASE,),
    ),
    Pair(
        "a handler dispatch edit, then approval dropped from that tool",
        "agent.py",
        "            case Divide():\n"
        "                return await run_handler(handlers.divide, step, ctx)\n",
        "            case Divide():\n"
        "                # division by zero is the handler's to refuse\n"
        "                return await run_handler(handlers.divide, step, ctx)\n",
        'approval = "always"\n',
        "",
        expect=(
            ("agent.py", "            case Divide():\n                await self.run_tool(step)\n"),
        ),
    ),
    Pair(
        "an event's docstring, then a new tool (a new result event)",
        "events.py",
        '    """A bad model output or a failed handler, compacted to one short message'
        ' (factor 9)."""\n',
        '    """What went wrong, in one line the model reads next."""\n',
        *NEW_TOOL,
        expect=(("events.py", "class PowerResult(ToolResultEvent):"),),
    ),
    Pair(
        "the state's docstring, then a new state field",
        "state.py",
        '    """Where the thread stands, plus the business fields of the spec."""\n',
        '    """Where the thread stands, and the last result."""\n',
        "",
        '\n[state.fields.calls_made]\ntype = "integer"\ndefault = 0\n',
        expect=(("state.py", "calls_made: int"),),
    ),
    Pair(
        "a new module constant of the user's, then a new tool",
        "agent.py",
        "MAX_CONSECUTIVE_ERRORS = 3\n",
        'MAX_CONSECUTIVE_ERRORS = 3\nLARGE = 1_000_000\n"""Results above this are checked."""\n',
        *NEW_TOOL,
        expect=(NEW_CASE,),
    ),
    Pair(
        "a line added to the http app, then a new tool",
        "http.py",
        "app = create_app()\n",
        "app = create_app()  # one per process\n",
        *NEW_TOOL,
        expect=(("tools.py", "class Power(BaseModel):"),),
    ),
    Pair(
        "the same constant on both sides conflicts",
        "agent.py",
        "MAX_TURNS = 20\n",
        "MAX_TURNS = 50  # we need more\n",
        "max_turns = 20",
        "max_turns = 30",
        conflict="MAX_TURNS",
    ),
    Pair(
        "the same case on both sides conflicts",
        "agent.py",
        HANDLE_DIVIDE,
        '            case Divide():\n                await self.ask(step, "approval")  # policy\n',
        'approval = "always"\n',
        "",
        conflict="case Divide() (in _Run.handle)",
    ),
    Pair(
        "the same prompt on both sides conflicts",
        "prompts.py",
        'SYSTEM = "You are a helpful assistant that can help with tasks."\n',
        'SYSTEM = "You are a careful calculator."\n',
        'system = "You are a helpful assistant that can help with tasks."',
        'system = "You are a friendly calculator."',
        conflict="SYSTEM",
    ),
]


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The calculator without its behaviour tests (some pairs remove a tool they name)."""
    (tmp_path / "specs").mkdir()
    spec = (ROOT / "specs" / "calculator.toml").read_text(encoding="utf-8")
    spec = spec[: spec.index("\n[[tests]]")] + "\n"
    (tmp_path / "specs" / "calculator.toml").write_text(spec, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert _cli("generate", "-q").exit_code == 0
    return tmp_path


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if old == "":
        path.write_text(text + new, encoding="utf-8")
        return
    assert text.count(old) == 1, f"{old!r} is not unique in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_corpus_is_large_enough() -> None:
    assert len(PAIRS) >= 20
    assert sum(1 for pair in PAIRS if pair.conflict) >= 3


@pytest.mark.parametrize("pair", PAIRS, ids=[pair.name for pair in PAIRS])
def test_a_pair_merges_as_expected(pair: Pair, project: Path) -> None:
    target = project / PACKAGE / pair.file
    _replace(target, pair.old, pair.new)
    _replace(project / "specs" / "calculator.toml", pair.spec_old, pair.spec_new)
    planned = _cli("diff", "--format", "json")
    result = _cli("generate")
    if pair.conflict is not None:
        assert result.exit_code == 1
        assert f"{pair.conflict}: both changed; markers at line " in result.stdout
        assert planned.exit_code == 1
        return
    assert result.exit_code == 0, result.output
    assert "conflict" not in result.stdout
    text = target.read_text(encoding="utf-8")
    if not pair.edit_gone:
        assert pair.new in text, "the user's edit is kept"
    else:
        assert pair.old not in text, "the user's deletion is kept"
    for file, expected in pair.expect:
        assert expected in (project / PACKAGE / file).read_text(encoding="utf-8")
    for file, gone in pair.absent:
        assert gone not in (project / PACKAGE / file).read_text(encoding="utf-8")
    assert _cli("check").exit_code == 0
    assert _cli("diff").stdout == "", "diff showed what generate then wrote"


def test_an_edited_unit_the_spec_no_longer_produces_is_kept_and_reported(project: Path) -> None:
    agent = project / PACKAGE / "agent.py"
    case = "            case Subtract():\n                await self.run_tool(step)\n"
    mine = "            case Subtract():\n                # never below zero\n" + (
        "                await self.run_tool(step)\n"
    )
    _replace(agent, case, mine)
    _replace(project / "specs" / "calculator.toml", SUBTRACT, "")
    result = _cli("generate")
    assert result.exit_code == 0, result.output
    text = agent.read_text(encoding="utf-8")
    line = text.splitlines().index("            case Subtract():") + 1
    assert result.stdout == (
        "merged generated/calculator/agent.py: kept, though the spec no longer has them: "
        f"case Subtract() (in _Run.handle) (line {line})\n"
    )
    assert mine in text
    untouched = "            case Subtract():\n                return await run_handler("
    assert untouched not in text, "the untouched case of the same tool is removed"
