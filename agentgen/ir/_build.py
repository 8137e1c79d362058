"""Build the IR from a valid spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from agentgen.ir._names import handler_type_name, input_tag, result_event_name
from agentgen.spec.durations import duration_seconds
from agentgen.spec.model import ApprovalWhen, HumanSection, Spec, ToolSection
from agentgen.spec.names import to_pascal

IntentKind = Literal["tool", "human", "done"]
PYTHON_TYPES = {
    "string": "str",
    "number": "float",
    "integer": "int",
    "boolean": "bool",
    "array": "list[Any]",
    "object": "dict[str, Any]",
}


@dataclass(frozen=True)
class Intent:
    """One thing the model may choose: a tool, a human contact or the done intent."""

    name: str
    class_name: str
    kind: IntentKind
    description: str
    params: dict[str, dict[str, Any]]
    approval: Literal["never", "always", "when"] = "never"
    approval_when: str | None = None
    human_format: str | None = None
    choices: tuple[str, ...] = ()
    returns_type: str = "Any"
    summary: str | None = None
    agent: str | None = None  # a sub-agent tool: the agent each call runs as a child thread
    timeout: str | None = None  # how long a call may wait for a person, as the spec wrote it
    timeout_s: int | None = None
    escalate_on_timeout: bool = False

    @property
    def handler_type(self) -> str:
        """The alias in handler_types.py of what may handle this tool."""
        return handler_type_name(self.name)

    @property
    def result_event(self) -> str:
        """The event class in events.py that records this tool's result."""
        return result_event_name(self.name)

    @property
    def model_choices(self) -> bool:
        """A multiple-choice contact whose choices the model gives in each call's `choices`."""
        return self.human_format == "multiple_choice" and not self.choices

    @property
    def answers(self) -> tuple[str, ...]:
        """What a person may answer a yes/no or multiple-choice contact; () for free text."""
        if self.human_format == "yes_no":
            return ("yes", "no")
        return self.choices if self.human_format == "multiple_choice" else ()


@dataclass(frozen=True)
class StateField:
    """A business state field and the event that sets it."""

    name: str
    schema: dict[str, Any]
    from_tool: str | None
    from_param: str | None  # None: the tool's result


@dataclass(frozen=True)
class ControlState:
    """A control-flow state: the intents allowed in it and where each tool leads."""

    name: str
    initial: bool
    description: str
    allowed: tuple[str, ...]
    transitions: tuple[tuple[str, str], ...]
    system: str | None = None


@dataclass(frozen=True)
class Prefetch:
    """A tool call made before the model's first step: fixed args, and args from launch vars."""

    tool: str
    class_name: str
    args: dict[str, Any]
    from_vars: dict[str, str]  # param -> the launch var it takes

    @property
    def call(self) -> dict[str, Any]:
        """The fixed part of the call as the model would write it: its intent, then the args."""
        return {"intent": self.tool, **self.args}


@dataclass(frozen=True)
class Budget:
    """A [context] max_tokens and how a thread over it is compacted."""

    max_tokens: int
    keep_last: int
    summarize: bool
    summary_prompt: str


@dataclass(frozen=True)
class AgentIR:
    """Everything the templates need to write one agent package."""

    name: str
    spec_file: str
    description: str
    version: str
    max_turns: int
    max_consecutive_errors: int
    model: dict[str, Any]
    # (provider:name, ((rate, USD per million tokens), ...)): input, output, cached_input
    prices: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]
    system_prompt: str
    next_step_prompt: str
    prompt_vars: tuple[tuple[str, str], ...]
    intents: tuple[Intent, ...]
    types: dict[str, dict[str, Any]]
    state_fields: tuple[StateField, ...]
    states: tuple[ControlState, ...] = field(default=())
    input: dict[str, Any] | None = None  # the [input] object schema: `AgentInput`, `InputEvent`
    input_tag: str = "input"  # the context's tag of the input event
    prefetch: tuple[Prefetch, ...] = ()
    step_vars: tuple[tuple[str, str], ...] = ()  # computed before each model call: (name, type)
    budget: Budget | None = None  # None: the model reads the whole thread
    truncate_results: int | None = None  # the most characters of a result the model reads

    @property
    def tools(self) -> tuple[Intent, ...]:
        return tuple(i for i in self.intents if i.kind == "tool")

    @property
    def humans(self) -> tuple[Intent, ...]:
        return tuple(i for i in self.intents if i.kind == "human")

    @property
    def handled_tools(self) -> tuple[Intent, ...]:
        """The tools whose calls the user's handlers run (not the sub-agent ones)."""
        return tuple(i for i in self.tools if i.agent is None)

    @property
    def sub_agents(self) -> tuple[Intent, ...]:
        """The tools whose calls run a child thread of another agent."""
        return tuple(i for i in self.tools if i.agent is not None)

    @property
    def children(self) -> tuple[str, ...]:
        """The agents this one's sub-agent tools run, sorted."""
        return tuple(sorted({i.agent for i in self.sub_agents if i.agent is not None}))

    @property
    def summaries(self) -> tuple[Intent, ...]:
        """The tools with a `summary` for the person approving their calls."""
        return tuple(i for i in self.intents if i.summary is not None)

    @property
    def timeouts(self) -> tuple[Intent, ...]:
        """The tools and humans whose calls wait for a person only until a deadline."""
        return tuple(i for i in self.intents if i.timeout is not None)

    @property
    def terminals(self) -> tuple[Intent, ...]:
        """Every intent that ends the thread: `terminal = true` tools, then [done]."""
        return tuple(i for i in self.intents if i.kind == "done")

    @property
    def done(self) -> Intent:
        """The [done] intent (it comes after the terminal tools)."""
        return self.terminals[-1]

    @property
    def initial_state(self) -> str | None:
        return next((s.name for s in self.states if s.initial), None)


def build_ir(spec: Spec, spec_file: str) -> AgentIR:
    """Resolve a valid spec into the IR; `spec_file` is how the header names its source."""
    return AgentIR(
        name=spec.agent.name,
        spec_file=spec_file,
        description=spec.agent.description,
        version=spec.agent.version,
        max_turns=spec.agent.max_turns,
        max_consecutive_errors=spec.agent.max_consecutive_errors,
        model=spec.model.model_dump(exclude_none=True, exclude={"prices"}),
        prices=_prices(spec),
        system_prompt=spec.prompts.system,
        next_step_prompt=spec.prompts.next_step,
        prompt_vars=tuple(sorted((n, PYTHON_TYPES[t]) for n, t in spec.prompts.vars.items())),
        intents=_intents(spec),
        types=dict(spec.types),
        state_fields=tuple(
            _state_field(name, f.schema_, f.from_) for name, f in spec.state.fields.items()
        ),
        states=_states(spec),
        input=spec.input,
        input_tag=input_tag(spec.input),
        step_vars=tuple(sorted((n, PYTHON_TYPES[t]) for n, t in spec.prompts.step_vars.items())),
        prefetch=tuple(
            Prefetch(e.tool, to_pascal(e.tool), dict(e.args), dict(e.from_vars))
            for e in spec.prefetch
        ),
        budget=_budget(spec),
        truncate_results=spec.context.truncate_results,
    )


def _budget(spec: Spec) -> Budget | None:
    context = spec.context
    if context.max_tokens is None:
        return None
    return Budget(context.max_tokens, context.keep_last, context.summarize, context.summary_prompt)


def _intents(spec: Spec) -> tuple[Intent, ...]:
    intents = [_tool_intent(name, tool, spec.types) for name, tool in spec.tools.items()]
    for name, human in spec.humans.items():
        intents.append(
            Intent(
                name,
                to_pascal(name),
                "human",
                human.description,
                dict(human.params),
                human_format=human.format,
                choices=tuple(human.choices or ()),
                **_deadline(human),
            )
        )
    done = spec.done
    intents.append(
        Intent(done.name, to_pascal(done.name), "done", done.description, dict(done.params))
    )
    return tuple(intents)


def _tool_intent(name: str, tool: ToolSection, types: dict[str, Any]) -> Intent:
    approval = tool.approval
    when = approval.when if isinstance(approval, ApprovalWhen) else None
    return Intent(
        name,
        to_pascal(name),
        "done" if tool.terminal else "tool",
        tool.description,
        dict(tool.params),
        approval="when" if when is not None else approval,  # type: ignore[arg-type]
        approval_when=when,
        returns_type=_returns_type(tool.returns, types),
        summary=tool.summary,
        agent=tool.agent,
        **_deadline(tool),
    )


def _deadline(section: ToolSection | HumanSection) -> dict[str, Any]:
    """The Intent fields of a `timeout` and its `on_timeout`."""
    if section.timeout is None:
        return {}
    return {
        "timeout": section.timeout,
        "timeout_s": duration_seconds(section.timeout),
        "escalate_on_timeout": section.on_timeout == "escalate",
    }


def _returns_type(schema: dict[str, Any] | None, types: dict[str, Any]) -> str:
    """The Python type of a handler's result, from its `returns` JSON Schema."""
    if schema is None:
        return "Any"
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.removeprefix("#/$defs/") in types:
        return ref.removeprefix("#/$defs/")
    kind = schema.get("type")
    simple = {k: v for k, v in PYTHON_TYPES.items() if "[" not in v}
    return simple.get(kind, "Any") if isinstance(kind, str) else "Any"


def _state_field(name: str, schema: dict[str, Any], rule: str | None) -> StateField:
    if rule is None:
        return StateField(name, schema, None, None)
    tool, _, rest = rule.partition(".")
    param = rest.removeprefix("args.") if rest.startswith("args.") else None
    return StateField(name, schema, tool, param)


def _states(spec: Spec) -> tuple[ControlState, ...]:
    every = tuple(name for name in (*spec.tools, *spec.humans))
    states = []
    for name, state in spec.states.items():
        listed = tuple(state.tools) if state.tools is not None else every
        allowed = tuple(dict.fromkeys((*listed, spec.done.name)))
        transitions = tuple(state.on.items())
        states.append(
            ControlState(name, state.initial, state.description, allowed, transitions, state.system)
        )
    return tuple(states)


def is_nullable(schema: dict[str, Any]) -> bool:
    """Whether a schema admits null (TOML cannot write `default = null`, so this means optional)."""
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind) or schema.get("nullable"):
        return True
    branches = [*schema.get("anyOf", []), *schema.get("oneOf", [])]
    return any(isinstance(branch, dict) and branch.get("type") == "null" for branch in branches)


def _prices(spec: Spec) -> tuple[tuple[str, tuple[tuple[str, float], ...]], ...]:
    """[model.prices] sorted by model: each one's rates as (name, USD per million tokens)."""
    return tuple(
        (model, tuple(price.model_dump(exclude_none=True).items()))
        for model, price in sorted(spec.model.prices.items())
    )
