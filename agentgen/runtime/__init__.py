"""What generated agents import: models, lenient parsing, handler calls, thread stores.

Nothing here is specific to one agent.
"""

from __future__ import annotations

from ._anthropic import AnthropicModel
from ._describe import describe_thread, parse_var
from ._errors import compact_error
from ._fallback import FallbackModel
from ._handlers import HandlerNotImplemented, call_handler
from ._http import HttpError, check_auth, json_error, post_callback, read_json_object
from ._ids import new_id
from ._models import (
    IntentSpec,
    Model,
    ModelConfig,
    ModelNotConfigured,
    ModelOutput,
    ModelRequest,
    ScriptedModel,
    ScriptExhausted,
    resolve_model,
)
from ._openai import OpenAIModel
from ._parsing import StepError, parse_step
from ._postgres import PostgresStore
from ._provider import ModelUnavailable
from ._refusals import IncompatibleThread, ResponseRefused
from ._sqlite import SqliteStore
from ._stores import MemoryStore, Store, ThreadConflict, ThreadNotFound
from ._urls import default_store, store_from_url
from ._yaml import to_yaml

__all__ = [
    "AnthropicModel",
    "FallbackModel",
    "HandlerNotImplemented",
    "HttpError",
    "IncompatibleThread",
    "IntentSpec",
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
    "call_handler",
    "check_auth",
    "compact_error",
    "default_store",
    "describe_thread",
    "json_error",
    "new_id",
    "parse_step",
    "parse_var",
    "post_callback",
    "read_json_object",
    "resolve_model",
    "store_from_url",
    "to_yaml",
]
