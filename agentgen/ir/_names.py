"""Every name a generated package binds, module by module, and the names a spec may not take.

The templates define what is listed here and nothing else: tests/test_package_names.py renders
them all and fails on a name this table lacks, or on an entry no template binds any more.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from agentgen.spec.names import to_pascal, to_snake


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class ModuleNames:
    """What one generated module binds at its top level, whatever the spec says."""

    defines: frozenset[str]
    imports: frozenset[str]
    beside_spec: bool = True  # whether the spec's classes share this module's namespace

    @property
    def names(self) -> frozenset[str]:
        return self.defines | self.imports


# The runtime's, pydantic's and the standard library's names the package imports.
_EVENTS = _words(
    "ApprovalEvent ErrorEvent EscalationEvent Event HumanResponseEvent ThreadPaused "
    "ThreadResumed ThreadStarted ToolCallEvent ToolResultEvent UserMessageEvent SubAgentEvent"
    " TimeoutEvent SummaryEvent ModelCallEvent"
)
_PEOPLE = _words("Approval HumanResponse UserMessage")
# An agent with a `timeout` on some call also has the response its deadline gives.
DEADLINE_PASSED = "DeadlinePassed"
# An agent with an [input] table also has its typed payload, and the event that starts a
# thread with one (every other agent binds neither name, but no spec may take them).
INPUT_CLASS = "AgentInput"
INPUT_EVENT = "InputEvent"
INPUT_TAG = "input"
# What datamodel-code-generator may import into tools.py for the spec's JSON Schemas.
SCHEMA_TYPE_NAMES = _words(
    "AnyUrl AwareDatetime Decimal EmailStr Enum IPv4Address IPv6Address NaiveDatetime Optional "
    "RootModel UUID Union date datetime time timedelta"
)

PACKAGE_MODULES: Mapping[str, ModuleNames] = MappingProxyType(
    {
        "__init__": ModuleNames(
            defines=frozenset(),
            imports=_PEOPLE
            | _words(
                "AgentState Event Handlers NextStep Pending StateName Thread ToolContext "
                "fold launch load_thread reduce resume"
            )
            | {INPUT_CLASS, DEADLINE_PASSED},
        ),
        "__main__": ModuleNames(
            defines=_words("main"),
            imports=_PEOPLE
            | _words(
                "AgentgenError Response Thread VERSION ValidationError argparse asyncio "
                "compact_error describe_thread launch missing_extra "
                "load_thread parse_var render_thread resume sys thread_json"
            )
            | _words("Event default_store follow_events render_event")  # show --follow
            | _words("AGENT LOG_FORMATS LogFormat configured_prices serve_log_config")
            | _words("json typed_input")
            | _words("os")  # serve --ui sets AGENTGEN_UI
            | {DEADLINE_PASSED},
            beside_spec=False,
        ),
        "agent": ModuleNames(
            defines=_words(
                "AGENT DEFAULT_HANDLERS launch next_request resume typed_input TIMEOUTS"
            ),
            imports=(_EVENTS - {"ToolResultEvent"})  # results come typed, through RESULT_EVENTS
            | _PEOPLE
            | _words(
                "AgentState Any Context asyncio DepsT HUMAN_ANSWERS Handlers INTENTS "
                "INTENTS_BY_STATE Literal MAX_CONSECUTIVE_ERRORS MAX_TURNS MODEL Mapping "
                "MemoryStore Model ModelConfig ModelRequest NEXT_STEP NextStep PromptVars "
                "RESULT_EVENTS Response ResponseRefused ScriptedModel StepError Store Thread "
                "ToolContext VERSION ValidationError compact_error dataclass "
                "default_handlers default_store field functools hold_lease json_ready load_thread "
                "new_id parse_step reduce render_next_step render_system step_vars "
                "resolve_model run_handler to_json ValueRefused check_json_value check_known_vars "
                "event_json edits_refused utc_now"
            )
            # usage, traces and a log line per step
            | _words("ModelOutput agent_span collect_calls logging observe tool_span")
            | _words(f"{INPUT_CLASS} {INPUT_EVENT} check_input")
            | _words("Pending render_summary")
            | _words(f"{DEADLINE_PASSED} TimeLimit check_deadline schedule_deadline")
            # an agent with sub-agent tools runs child threads of other agents
            | _words(
                "ChildSettings SubAgentHandlers SubAgentOutcome TypedDict advance_child "
                "child_thread_id sub_agent_stopped"
            )
            # an agent with a [context] budget compacts its thread
            | _words(
                "KEEP_LAST MAX_TOKENS SUMMARY_INTENT parse_summary render_summary_prompt "
                "count_tokens request_tokens"
            ),
        ),
        "context": ModuleNames(
            defines=_words(
                "Context KEEP_LAST MAX_TOKENS STABLE_EVERY TRUNCATE_RESULTS count_tokens "
                "offer_tokens render_event render_thread request_tokens"
            ),
            imports=_EVENTS
            | _words("Any IntentSpec Iterable ModelRequest bisect element json")
            | {INPUT_EVENT},
        ),
        "events": ModuleNames(
            defines=_EVENTS
            | _PEOPLE
            | _words("EVENT RESULT_EVENTS Response ToolResult")
            | {INPUT_EVENT, DEADLINE_PASSED},
            imports=_words(
                "Annotated Any BaseModel ConfigDict Field Literal MAX_ID_CHARS MAX_TEXT_CHARS "
                "NextStep TypeAdapter datetime"
            )
            | {INPUT_CLASS},
        ),
        "handler_types": ModuleNames(
            defines=_words("DepsT Handlers ToolContext"),
            imports=_words(
                "AgentState Any Awaitable Callable Generic PromptVars Protocol TypeAlias TypeVar "
                "dataclass"
            ),
        ),
        "handlers": ModuleNames(defines=frozenset(), imports=_words("Any")),
        "http": ModuleNames(
            defines=_words(
                "ApprovalBody HumanResponseBody LaunchBody ResponseBody ResumeBody UserMessageBody "
                "app create_app person_response"
            )
            | {"INBOX"},  # what /ui shows of the agent
            imports=_PEOPLE
            | _words(
                "AgentgenError Annotated Any BaseModel CallbackSender CallbackUrl ConfigDict Field "
                "Handlers JSONResponse Literal MAX_ID_CHARS MAX_TEXT_CHARS Model PersonResponse "
                "Request Response Route Starlette Store Thread TypeAdapter VERSION "
                "ValidationError agentgen_error_response check_auth default_store launch "
                "load_thread path_thread_id queued_work read_json_object resume thread_json "
                "work_queue"
            )
            | _words("after_seq event_stream")  # GET /threads/{id}/events
            # the /ui inbox
            | _words(
                "AGENT HUMAN_ANSWERS INTENTS INTENTS_BY_STATE InboxAgent TRANSITIONS inbox_routes "
                "ui_enabled"
            )
            | {"ValueRefused"}  # an agent with [input]: neither or both of message and input
            | {"SubAgentHandlers"},  # an agent with sub-agent tools
            beside_spec=False,
        ),
        "worker": ModuleNames(
            defines=_words("create_worker queued_work run_worker work_queue"),
            imports=_PEOPLE
            | _words(
                f"AGENT Any Awaitable Callable {DEADLINE_PASSED} Handlers IncompatibleThread "
                "Model Response logging "
                "ResponseRefused Store ThreadNotFound Work WorkQueue default_store "
                "post_callback resume thread_json"
            )
            | {"SubAgentHandlers"},  # an agent with sub-agent tools
            beside_spec=False,
        ),
        "prompts": ModuleNames(
            defines=_words(
                "NEXT_STEP PromptVars STATE_INSTRUCTIONS STATE_SYSTEMS SUMMARIES SUMMARY_PROMPT "
                "SYSTEM StepVars render_next_step render_summary render_summary_prompt "
                "render_system step_vars"
            ),
            imports=_words(
                "AgentState Any BaseModel ConfigDict NextStep PromptTemplate StateName TypedDict "
                "compile_template functools"
            ),
        ),
        "reducer": ModuleNames(
            defines=_words("TRANSITIONS fold reduce"),
            imports=_EVENTS
            | _words("AgentState Iterable Pending StateChanges StateName Status Unpack")
            | {INPUT_EVENT},
        ),
        "state": ModuleNames(
            defines=_words("AgentState PRICES Pending StateChanges Status Thread"),
            imports=_words(
                "Any BaseModel ConfigDict Event Field Literal NextStep Price StateName "
                "ToolCallEvent TypedDict Usage datetime total_usage"
            ),
        ),
        "threads": ModuleNames(
            defines=_words("load_thread thread_json"),
            imports=_words(
                "Any Event IncompatibleThread Store Thread ThreadStarted TypeAdapter "
                "ValidationError default_store fold"
            ),
        ),
        "tools": ModuleNames(
            # StateFields: the spec's state fields, when it has any; AgentInput: its [input]
            defines=_words(
                "HUMAN_ANSWERS INTENTS INTENTS_BY_STATE NEXT_STEP NextStep StateFields StateName"
            )
            | {INPUT_CLASS},
            imports=SCHEMA_TYPE_NAMES
            | _words(
                "Annotated BaseModel ConfigDict Field IntentSpec IntentSpecs Literal Mapping Never "
                "TypeAdapter"
            ),
        ),
    }
)

# A spec's class must not shadow a name that shares its module (http.py and __main__.py never
# import the spec's classes, so their names stay free).
RESERVED_CLASS_NAMES = frozenset(
    name
    for module in PACKAGE_MODULES.values()
    if module.beside_spec
    for name in module.names
    if name[:1].isupper()
)
# A tool's name becomes a function in handlers.py, beside `from __future__ import annotations`,
# and a member of the `Handlers` Protocol, where a member named `property` would replace the
# decorator of every member after it.
RESERVED_TOOL_NAMES = PACKAGE_MODULES["handlers"].names | {"annotations", "property"}


def handler_type_name(tool: str) -> str:
    """The alias of what may handle `tool`: `add` -> `AddHandler`."""
    return f"{to_pascal(tool)}Handler"


def input_tag(schema: Mapping[str, object] | None) -> str:
    """The input event's tag in the context: the schema's `title` in snake_case, else `input`."""
    title = schema.get("title") if schema is not None else None
    if isinstance(title, str) and re.search("[A-Za-z]", title):
        return to_snake(title)  # letters, digits and `_`, from a letter on: a safe tag
    return INPUT_TAG


def result_event_name(tool: str) -> str:
    """The event that records `tool`'s result: `add` -> `AddResult`."""
    return f"{to_pascal(tool)}Result"
