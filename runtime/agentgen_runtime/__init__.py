"""What generated agents import: models, lenient parsing, handler calls, thread stores.

Nothing here is specific to one agent.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._anthropic import AnthropicModel
from ._base import AgentgenError, ConfigurationError
from ._calls import run_handler, takes_context
from ._deadlines import DeadlineNotReached, TimeLimit, check_deadline, utc_now
from ._describe import describe_thread, parse_var
from ._elements import element
from ._errors import compact_error, problem_text
from ._extras import MissingExtra, missing_extra
from ._fallback import FallbackModel
from ._follow import StoredEvent, follow_events, follow_poll_s, keepalive_s, sse_message
from ._handlers import HandlerNotImplemented, call_handler, json_ready
from ._ids import new_id
from ._inputs import check_input
from ._intents import IntentSpecs, args_schema, intent_spec
from ._leases import DEFAULT_LEASE_TTL_S, LEASE_TTL_ENV, hold_lease, lease_ttl_s
from ._limits import (
    MAX_EVENT_CHARS,
    MAX_ID_CHARS,
    MAX_JSON_DEPTH,
    MAX_TEXT_CHARS,
    ValueRefused,
    check_json_value,
    event_json,
)
from ._logs import LOG_FORMATS, JsonFormatter, LogFormat, serve_log_config
from ._models import (
    IntentSpec,
    Model,
    ModelConfig,
    ModelNotConfigured,
    ModelOutput,
    ModelRequest,
    ScriptedModel,
    ScriptExhausted,
)
from ._openai import OpenAIModel
from ._parsing import StepError, parse_step
from ._provider import ModelUnavailable
from ._refusals import IncompatibleThread, ResponseRefused, edits_refused
from ._resolve import build_model, resolve_model, split_model
from ._sqlite import SqliteStore
from ._stores import (
    MemoryStore,
    Store,
    StoreUnavailable,
    ThreadBusy,
    ThreadConflict,
    ThreadNotFound,
)
from ._summaries import SUMMARY_INTENT, parse_summary
from ._tags import escape_tags
from ._templates import PromptTemplate, compile_template
from ._tracing import (
    CONTENT_ENV,
    CallRecord,
    agent_span,
    call_text,
    model_call_span,
    observe,
    tool_span,
)
from ._urls import default_store, default_store_url, store_from_url
from ._usage import (
    PRICES_ENV,
    ModelCall,
    Price,
    Usage,
    collect_calls,
    configured_prices,
    report_call,
    total_usage,
)
from ._vars import check_known_vars
from ._yaml import to_yaml

if TYPE_CHECKING:
    from ._callbacks import (
        CallbackSender,
        CallbackUrl,
        callback_hosts,
        check_callback_url,
        deliver,
        post_callback,
        signature,
    )
    from ._engine import (
        EngineUnavailable,
        Work,
        WorkQueue,
        deadline_work,
        heartbeat_s,
        postgres_dsn,
        schedule_deadline,
    )
    from ._http import (
        HttpError,
        after_seq,
        agentgen_error_response,
        check_auth,
        event_stream,
        json_error,
        path_thread_id,
        read_json_object,
    )
    from ._mcp import (
        McpClient,
        McpError,
        McpToolError,
        call_mcp_tool,
        mcp_arguments,
        mcp_tool_result,
    )
    from ._postgres import PostgresStore
    from ._sub_agents import (
        ChildSettings,
        SubAgentOutcome,
        SubAgentStopped,
        advance_child,
        child_thread_id,
        sub_agent_stopped,
    )
    from ._ui import inbox_routes, ui_enabled
    from ._ui_view import InboxAgent

# Imported on first use: what only the HTTP app needs (starlette, httpx: the `http` extra), so
# that an agent run from Python or the command line neither needs nor loads them; and what
# only some agents or deployments use (the job engine, PostgreSQL, sub-agents), so that
# `import <agent>` and `show` do not pay for them (cold start).
_LAZY = {
    "EngineUnavailable": "._engine",
    "Work": "._engine",
    "WorkQueue": "._engine",
    "deadline_work": "._engine",
    "heartbeat_s": "._engine",
    "postgres_dsn": "._engine",
    "schedule_deadline": "._engine",
    "PostgresStore": "._postgres",
    # The `mcp` extra: handlers of tools imported with `agentgen import mcp`.
    "McpClient": "._mcp",
    "McpError": "._mcp",
    "McpToolError": "._mcp",
    "call_mcp_tool": "._mcp",
    "mcp_arguments": "._mcp",
    "mcp_tool_result": "._mcp",
    "ChildSettings": "._sub_agents",
    "SubAgentOutcome": "._sub_agents",
    "SubAgentStopped": "._sub_agents",
    "advance_child": "._sub_agents",
    "child_thread_id": "._sub_agents",
    "sub_agent_stopped": "._sub_agents",
    "CallbackSender": "._callbacks",
    "CallbackUrl": "._callbacks",
    "callback_hosts": "._callbacks",
    "check_callback_url": "._callbacks",
    "deliver": "._callbacks",
    "post_callback": "._callbacks",
    "signature": "._callbacks",
    "HttpError": "._http",
    "after_seq": "._http",
    "agentgen_error_response": "._http",
    "check_auth": "._http",
    "event_stream": "._http",
    "json_error": "._http",
    "path_thread_id": "._http",
    "read_json_object": "._http",
    # The /ui inbox (AGENTGEN_UI=1): the http extra, and Jinja2 for its pages.
    "InboxAgent": "._ui_view",
    "inbox_routes": "._ui",
    "ui_enabled": "._ui",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module, __name__), name)
    except ModuleNotFoundError as error:
        raise missing_extra(error) from None
    globals()[name] = value
    return value


__all__ = [
    "CONTENT_ENV",
    "DEFAULT_LEASE_TTL_S",
    "LEASE_TTL_ENV",
    "LOG_FORMATS",
    "MAX_EVENT_CHARS",
    "MAX_ID_CHARS",
    "MAX_JSON_DEPTH",
    "MAX_TEXT_CHARS",
    "PRICES_ENV",
    "SUMMARY_INTENT",
    "AgentgenError",
    "AnthropicModel",
    "CallRecord",
    "CallbackSender",
    "CallbackUrl",
    "ChildSettings",
    "ConfigurationError",
    "DeadlineNotReached",
    "EngineUnavailable",
    "FallbackModel",
    "HandlerNotImplemented",
    "HttpError",
    "InboxAgent",
    "IncompatibleThread",
    "IntentSpec",
    "IntentSpecs",
    "JsonFormatter",
    "LogFormat",
    "McpClient",
    "McpError",
    "McpToolError",
    "MemoryStore",
    "MissingExtra",
    "Model",
    "ModelCall",
    "ModelConfig",
    "ModelNotConfigured",
    "ModelOutput",
    "ModelRequest",
    "ModelUnavailable",
    "OpenAIModel",
    "PostgresStore",
    "Price",
    "PromptTemplate",
    "ResponseRefused",
    "ScriptExhausted",
    "ScriptedModel",
    "SqliteStore",
    "StepError",
    "Store",
    "StoreUnavailable",
    "StoredEvent",
    "SubAgentOutcome",
    "SubAgentStopped",
    "ThreadBusy",
    "ThreadConflict",
    "ThreadNotFound",
    "TimeLimit",
    "Usage",
    "ValueRefused",
    "Work",
    "WorkQueue",
    "advance_child",
    "after_seq",
    "agent_span",
    "agentgen_error_response",
    "args_schema",
    "build_model",
    "call_handler",
    "call_mcp_tool",
    "call_text",
    "callback_hosts",
    "check_auth",
    "check_callback_url",
    "check_deadline",
    "check_input",
    "check_json_value",
    "check_known_vars",
    "child_thread_id",
    "collect_calls",
    "compact_error",
    "compile_template",
    "configured_prices",
    "deadline_work",
    "default_store",
    "default_store_url",
    "deliver",
    "describe_thread",
    "edits_refused",
    "element",
    "escape_tags",
    "event_json",
    "event_stream",
    "follow_events",
    "follow_poll_s",
    "heartbeat_s",
    "hold_lease",
    "inbox_routes",
    "intent_spec",
    "json_error",
    "json_ready",
    "keepalive_s",
    "lease_ttl_s",
    "mcp_arguments",
    "mcp_tool_result",
    "missing_extra",
    "model_call_span",
    "new_id",
    "observe",
    "parse_step",
    "parse_summary",
    "parse_var",
    "path_thread_id",
    "post_callback",
    "postgres_dsn",
    "problem_text",
    "read_json_object",
    "report_call",
    "resolve_model",
    "run_handler",
    "schedule_deadline",
    "serve_log_config",
    "signature",
    "split_model",
    "sse_message",
    "store_from_url",
    "sub_agent_stopped",
    "takes_context",
    "to_yaml",
    "tool_span",
    "total_usage",
    "ui_enabled",
    "utc_now",
]
