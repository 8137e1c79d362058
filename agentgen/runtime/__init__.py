"""What generated agents import: models, lenient parsing, handler calls, thread stores.

Nothing here is specific to one agent.
"""

from __future__ import annotations

from ._anthropic import AnthropicModel
from ._base import AgentgenError
from ._calls import run_handler, takes_context
from ._describe import describe_thread, parse_var
from ._errors import compact_error
from ._fallback import FallbackModel
from ._handlers import HandlerNotImplemented, call_handler, json_ready
from ._http import (
    HttpError,
    agentgen_error_response,
    check_auth,
    json_error,
    post_callback,
    read_json_object,
)
from ._ids import new_id
from ._intents import IntentSpecs, args_schema, intent_spec
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
from ._postgres import PostgresStore
from ._provider import ModelUnavailable
from ._refusals import IncompatibleThread, ResponseRefused
from ._resolve import resolve_model
from ._sqlite import SqliteStore
from ._stores import MemoryStore, Store, ThreadConflict, ThreadNotFound
from ._urls import default_store, store_from_url
from ._yaml import to_yaml

__all__ = [
    "AgentgenError",
    "AnthropicModel",
    "FallbackModel",
    "HandlerNotImplemented",
    "HttpError",
    "IncompatibleThread",
    "IntentSpec",
    "IntentSpecs",
    "MemoryStore",
    "Model",
    "ModelConfig",
    "ModelNotConfigured",
    "ModelOutput",
    "ModelRequest",
    "ModelUnavailable",
    "OpenAIModel",
    "PostgresStore",
    "ResponseRefused",
    "ScriptExhausted",
    "ScriptedModel",
    "SqliteStore",
    "StepError",
    "Store",
    "ThreadConflict",
    "ThreadNotFound",
    "agentgen_error_response",
    "args_schema",
    "call_handler",
    "check_auth",
    "compact_error",
    "default_store",
    "describe_thread",
    "intent_spec",
    "json_error",
    "json_ready",
    "new_id",
    "parse_step",
    "parse_var",
    "post_callback",
    "read_json_object",
    "resolve_model",
    "run_handler",
    "store_from_url",
    "takes_context",
    "to_yaml",
]
