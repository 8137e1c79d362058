"""The prompt variables as prompts.py declares them: a field and a parameter each."""

from __future__ import annotations

from dataclasses import dataclass

from agentgen.ir import AgentIR

# Names a variable cannot keep in prompts.py: `BaseModel` attributes (a field would shadow
# them), the types the annotations name, and the other parameters and locals of the render
# functions. Such a variable becomes `<name>_` in Python and keeps its name as the alias.
# A fixed list, not `dir(BaseModel)`: the output must not depend on the installed pydantic.
_TAKEN = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
        "bool",
        "float",
        "int",
        "list",
        "str",
        "instructions",
        "prompt",
        "state",
        "thread",
    }
)


@dataclass(frozen=True)
class PromptVar:
    """A declared variable: its name in the templates, its Python name and its type."""

    name: str
    attribute: str
    type: str

    @property
    def renamed(self) -> bool:
        return self.attribute != self.name


def prompt_vars(ir: AgentIR) -> tuple[PromptVar, ...]:
    """The agent's prompt variables, sorted by name."""
    return tuple(PromptVar(name, _attribute(name), kind) for name, kind in ir.prompt_vars)


def _attribute(name: str) -> str:
    # `x_` is never a declared name itself: snake_case names do not end with `_`.
    return f"{name}_" if name in _TAKEN or name.startswith("model_") else name


def text_literal(text: str) -> str:
    """A multi-line text as one `repr` per line, concatenated: readable, and exactly the text."""
    lines = text.splitlines(keepends=True)
    if len(lines) < 2:
        return repr(text)
    return "(\n" + "\n".join(repr(line) for line in lines) + "\n)"
