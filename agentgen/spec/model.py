"""The spec language v1 as pydantic models: one TOML file describes one agent."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from agentgen.spec.durations import DURATION_PATTERN, check_duration
from agentgen.spec.names import check_identifier, check_type_name, shaped

FROM_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*\.(result|args\.\S+)$"
FALLBACK_PATTERN = r"^(openai|anthropic):\S+$"
URL_PATTERN = r"^https?://\S+$"

Url = Annotated[
    str,
    shaped(URL_PATTERN, "http(s)://host/path"),
    Field(json_schema_extra={"pattern": URL_PATTERN}),
]
FallbackModel = Annotated[
    str,
    shaped(FALLBACK_PATTERN, '"openai:<model>" or "anthropic:<model>"'),
    Field(json_schema_extra={"pattern": FALLBACK_PATTERN}),
]
FromRule = Annotated[
    str,
    shaped(FROM_PATTERN, '"<tool>.result" or "<tool>.args.<param>"'),
    Field(json_schema_extra={"pattern": FROM_PATTERN}),
]

Duration = Annotated[
    str,
    AfterValidator(check_duration),
    Field(json_schema_extra={"pattern": DURATION_PATTERN, "minLength": 1}),
]
OnTimeout = Literal["continue", "escalate"]
_TIMEOUT_TEXT = (
    'How long the call may wait for a person ("24h", "30m", "1d12h"); then the thread records'
    " a timeout event."
)
_ON_TIMEOUT_TEXT = (
    'After the timeout: "continue" (the model reads the timeout and picks the next step, the'
    ' default) or "escalate" (a person is asked to step in).'
)

Identifier = Annotated[
    str,
    AfterValidator(check_identifier),
    Field(json_schema_extra={"pattern": "^[a-z][a-z0-9]*(_[a-z0-9]+)*$"}),
]
TypeName = Annotated[
    str,
    AfterValidator(check_type_name),
    Field(json_schema_extra={"pattern": "^[A-Z][A-Za-z0-9]*$"}),
]
JsonSchema = Annotated[
    dict[str, Any],
    Field(description="A JSON Schema; `$ref` may point at a named type: `#/$defs/<Type>`."),
]
VarType = Literal["string", "number", "integer", "boolean", "array", "object"]

DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant that can help with tasks."
DEFAULT_NEXT_STEP_PROMPT = """\
You are working on the following thread:

{{ thread }}

What should the next step be?"""
DEFAULT_SUMMARY_PROMPT = """\
You are working on the following thread:

{{ thread }}

It is too long to keep in full: summarize it for yourself. Keep what you will need later:
what was asked, what was done and what came of it, what was decided and why, and what is
still open. Keep ids, names, numbers and quoted text exact."""


class _Section(BaseModel):
    """Base of every table: unknown keys are errors and values are never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AgentSection(_Section):
    """[agent]: who the agent is and its limits."""

    name: Identifier = Field(description="The agent's name, snake_case; also its package name.")
    description: str = Field("", description="What the agent does, for people and the model.")
    max_turns: int = Field(
        20, ge=1, description="Model calls per launch or resume; then the thread is paused."
    )
    max_consecutive_errors: int = Field(
        3, ge=1, description="Errors in a row before the thread escalates to a person."
    )
    version: str = Field(
        "1",
        min_length=1,
        description="Stamped into threads; bump it when a change breaks old threads.",
    )


class PriceSection(_Section):
    """What one model costs, in USD per million tokens."""

    input: float = Field(ge=0, description="USD per million input tokens (not read from cache).")
    output: float = Field(ge=0, description="USD per million output tokens.")
    cached_input: float | None = Field(
        None, ge=0, description="USD per million input tokens read from cache (default: input)."
    )


class ModelSection(_Section):
    """[model]: the default model; overridable at run time and by environment variables."""

    provider: Literal["openai", "anthropic"] = Field(
        "openai", description='"openai" (any OpenAI-compatible endpoint) or "anthropic".'
    )
    name: str = Field(
        "gpt-4o-mini", min_length=1, description="The model's name, e.g. gpt-4o-mini."
    )
    base_url: Url | None = Field(None, description="The endpoint, e.g. http://127.0.0.1:8000/v1.")
    api_key_env: str | None = Field(
        None, min_length=1, description="The environment variable that holds the API key."
    )
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature, 0 to 2.")
    timeout_s: float = Field(60.0, gt=0, description="Seconds before a model call times out.")
    max_retries: int = Field(2, ge=0, description="Retries of a failed model call.")
    fallback: list[FallbackModel] = Field(
        default_factory=list,
        description='Models tried in order when this one fails, as "provider:name".',
    )
    prices: dict[FallbackModel, PriceSection] = Field(
        default_factory=dict,
        description=(
            'Prices by "provider:name", for the cost of each thread (nothing is fetched);'
            " AGENTGEN_PRICES overrides them."
        ),
    )


class PromptsSection(_Section):
    """[prompts]: Jinja2 templates the generated agent renders."""

    system: str = Field(DEFAULT_SYSTEM_PROMPT, description="The system prompt (Jinja2).")
    next_step: str = Field(
        DEFAULT_NEXT_STEP_PROMPT,
        description="The prompt asking for the next step (Jinja2); must use {{ thread }}.",
    )
    vars: dict[Identifier, VarType] = Field(
        default_factory=dict,
        description="Extra template variables given at launch: name = JSON Schema type.",
    )
    step_vars: dict[Identifier, VarType] = Field(
        default_factory=dict,
        description=(
            "Template variables computed before each model call by `step_vars` in prompts.py"
            " (the current time, fresh user info): name = JSON Schema type."
        ),
    )


class ContextSection(_Section):
    """[context]: how much of the thread the model reads (factor 3: own your context window)."""

    max_tokens: int | None = Field(
        None,
        ge=200,
        description=(
            "The most tokens a request may hold (system prompt, prompt and tool schemas, as"
            " context.py's count_tokens estimates them); past it the oldest events are compacted."
        ),
    )
    truncate_results: int | None = Field(
        None,
        ge=20,
        description=(
            "The most characters of a tool result the model reads; the rest is cut, and the cut"
            " marked (the thread keeps all of it)."
        ),
    )
    keep_last: int = Field(
        40, ge=1, description="Events kept as they are when the thread is compacted."
    )
    summarize: bool = Field(
        False,
        description=(
            "Compacted events are folded into a summary written by the model (true), or left"
            " out with their number shown (false)."
        ),
    )
    summary_prompt: str = Field(
        DEFAULT_SUMMARY_PROMPT,
        description="The prompt asking for the summary (Jinja2); must use {{ thread }}.",
    )


class ApprovalWhen(_Section):
    """An approval needed only when an expression over the call's params holds."""

    when: str = Field(
        min_length=1,
        description=(
            "A safe expression over the params, their attributes, len() and arithmetic, e.g."
            ' "b == 0 or a > 1000", "target.env == \'prod\' and len(tags) > 2".'
        ),
    )


Approval = Literal["never", "always"] | ApprovalWhen


class ToolSection(_Section):
    """[tools.<name>]: a function the model may call; its handler is the user's code."""

    description: str = Field(min_length=1, description="What the tool does, for the model.")
    params: dict[str, JsonSchema] = Field(
        default_factory=dict, description="The call's parameters: name = JSON Schema."
    )
    returns: JsonSchema | None = Field(None, description="JSON Schema of the handler's result.")
    approval: Approval = Field(
        "never",
        description='"never", "always", or { when = "<expression>" } to ask a person first.',
    )
    summary: str | None = Field(
        None,
        min_length=1,
        description="What the person approving reads (Jinja2 over `call`).",
    )
    terminal: bool = Field(
        False,
        description="A further terminal intent: choosing it ends the thread; it has no handler.",
    )
    agent: Identifier | None = Field(
        None,
        description="Run each call as a child thread of this agent (another spec's [agent] name).",
    )
    timeout: Duration | None = Field(None, description=_TIMEOUT_TEXT)
    on_timeout: OnTimeout | None = Field(None, description=_ON_TIMEOUT_TEXT)

    @field_validator("approval", mode="before")
    @classmethod
    def _approval_shape(cls, value: Any) -> Any:
        """One clear message instead of one per alternative of the union."""
        if value in ("never", "always"):
            return value
        if isinstance(value, dict) and set(value) == {"when"}:
            return value
        from pydantic_core import PydanticCustomError

        raise PydanticCustomError(
            "AG013",
            'approval must be "never", "always" or a table with a "when" expression',
        )


class HumanSection(_Section):
    """[humans.<name>]: a person the agent can contact; the thread waits for the answer."""

    description: str = Field(min_length=1, description="When to contact this person.")
    format: Literal["free_text", "yes_no", "multiple_choice"] = Field(
        "free_text", description='The answer expected: "free_text", "yes_no", "multiple_choice".'
    )
    choices: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, description='The options to pick from; only, and always, for "multiple_choice".'
    )
    params: dict[str, JsonSchema] = Field(
        default_factory=dict, description="What the model sends the person: name = JSON Schema."
    )
    timeout: Duration | None = Field(None, description=_TIMEOUT_TEXT)
    on_timeout: OnTimeout | None = Field(None, description=_ON_TIMEOUT_TEXT)


class DoneSection(_Section):
    """[done]: the terminal intent, by which the model says the work is finished."""

    name: Identifier = Field(
        "done_for_now", description="The intent's name, snake_case, unique among intents."
    )
    description: str = Field(
        "Tell the user the work is done.", min_length=1, description="When the model should use it."
    )
    params: dict[str, JsonSchema] = Field(
        default_factory=lambda: {"message": {"type": "string"}},
        description="What the final answer carries: name = JSON Schema.",
    )


class StateField(BaseModel):
    """[state.fields.<name>]: a JSON Schema plus `from`, the event that sets it."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    from_: FromRule | None = Field(
        None,
        alias="from",
        description='"<tool>.result" or "<tool>.args.<param>": set when that tool succeeds.',
    )

    @property
    def schema_(self) -> dict[str, Any]:
        """The field's JSON Schema, without `from`."""
        return dict(self.model_extra or {})


class StateSection(_Section):
    """[state]: typed business state derived from events by the reducer."""

    fields: dict[Identifier, StateField] = Field(
        default_factory=dict, description="Business state fields: name = JSON Schema + from."
    )


class ControlState(_Section):
    """[states.<name>]: a control-flow state and the intents allowed in it."""

    initial: bool = Field(False, description="Whether threads start here; exactly one state is.")
    description: str = Field("", description="Appended to the prompt while in this state.")
    system: str | None = Field(
        None,
        min_length=1,
        description="This state's own system prompt (Jinja2), instead of [prompts] system.",
    )
    tools: list[str] | None = Field(
        None, description="Tools and humans allowed here (done always is); omit to allow all."
    )
    on: dict[str, str] = Field(
        default_factory=dict, description="Transitions: <tool> = <state> when the tool succeeds."
    )


class PrefetchEntry(_Section):
    """A tool call made before the model's first step (factor 13), recorded like any call."""

    tool: Identifier = Field(description="The tool to call: one of [tools], without approval.")
    args: dict[str, Any] = Field(
        default_factory=dict, description="The call's fixed args, checked against its params."
    )
    from_vars: dict[str, Identifier] = Field(
        default_factory=dict,
        description="Args taken from the launch vars: param = the name of a [prompts.vars] entry.",
    )


CaseStatus = Literal["running", "awaiting_approval", "awaiting_human", "paused", "done"]


class CaseResponse(_Section):
    """What a person says when the case's thread waits: one of approve, answer or message."""

    approve: bool | None = Field(None, description="Approve (true) or deny (false) the call.")
    comment: str | None = Field(None, description="The person's comment on the approval.")
    args: dict[str, Any] | None = Field(None, description="Edited args to approve the call with.")
    answer: str | None = Field(None, description="The person's answer to a question.")
    message: str | None = Field(None, description="A new user message once the thread is done.")


class CallExpectation(_Section):
    """A call the thread must hold, in order: its intent and matchers of its args."""

    intent: Identifier = Field(description="The intent the model chose.")
    args: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            'param = a value it equals, or { equals = v }, { regex = "..." }, { one_of = [...] }.'
        ),
    )


class CaseExpect(_Section):
    """What must hold once a case's thread stops."""

    status: CaseStatus | None = Field(None, description="The thread's final status.")
    intents: list[Identifier] | None = Field(
        None, description="The intents the model chose, in order: exactly these."
    )
    intents_contain: list[Identifier] | None = Field(
        None, description="Intents that must appear in this order (others may come between)."
    )
    calls: list[CallExpectation] = Field(
        default_factory=list, description="Calls whose args must match, in order."
    )
    state: dict[str, Any] = Field(
        default_factory=dict, description="Business state fields and the values they must hold."
    )
    errors: int | None = Field(None, ge=0, description="How many error events the thread holds.")


class CaseSection(_Section):
    """[[tests]]: one behaviour test of the agent, run by `agentgen test`."""

    name: str = Field(min_length=1, description="The case's name, unique in the spec.")
    message: str = Field(min_length=1, description="The user's message that starts the thread.")
    vars: dict[str, Any] = Field(default_factory=dict, description="The launch's prompt vars.")
    steps: list[dict[str, Any]] = Field(
        default_factory=list,
        description='The scripted model\'s steps, in order: { intent = "add", a = 1, b = 2 }.',
    )
    results: dict[Identifier, Any] = Field(
        default_factory=dict,
        description="tool = what a fake handler returns on each call (others run handlers.py).",
    )
    responses: list[CaseResponse] = Field(
        default_factory=list, description="What people say each time the thread waits, in order."
    )
    live: bool = Field(
        False, description="Run against a real model under `agentgen test --model` (no steps)."
    )
    expect: CaseExpect = Field(
        default_factory=CaseExpect,  # type: ignore[arg-type]
        description="What must hold when the thread stops.",
    )


class Spec(_Section):
    """One agent: the root of a spec file."""

    agent: AgentSection = Field(description="Who the agent is and its limits.")
    model: ModelSection = Field(
        default_factory=ModelSection,  # type: ignore[arg-type]
        description="The default model and its settings.",
    )
    prompts: PromptsSection = Field(
        default_factory=PromptsSection,  # type: ignore[arg-type]
        description="Jinja2 prompts and their variables.",
    )
    input: JsonSchema | None = Field(
        None,
        description=(
            "JSON Schema of an object: the typed payload a thread may start with instead of a"
            " message (`AgentInput`); its `title` names its tag in the context."
        ),
    )
    tools: dict[Identifier, ToolSection] = Field(
        default_factory=dict, description="Tools the model may call."
    )
    humans: dict[Identifier, HumanSection] = Field(
        default_factory=dict, description="People the agent may contact."
    )
    done: DoneSection = Field(
        default_factory=DoneSection,  # type: ignore[arg-type]
        description="The intent that ends the work.",
    )
    types: dict[TypeName, JsonSchema] = Field(
        default_factory=dict, description="Named JSON Schemas shared by tools: PascalCase = schema."
    )
    state: StateSection = Field(
        default_factory=StateSection, description="Typed business state set by tools."
    )
    states: dict[Identifier, ControlState] = Field(
        default_factory=dict, description="Control-flow states; without them one state allows all."
    )
    prefetch: list[PrefetchEntry] = Field(
        default_factory=list,
        description="Tool calls made, in order, before the model's first step of a thread.",
    )
    context: ContextSection = Field(
        default_factory=ContextSection,  # type: ignore[arg-type]
        description="A budget for what the model reads of the thread.",
    )
    tests: list[CaseSection] = Field(
        default_factory=list, description="Behaviour tests and evals run by `agentgen test`."
    )
