"""What generated agents import: models, lenient parsing, handler calls, thread stores.

Nothing here is specific to one agent.
"""

from __future__ import annotations

from ._errors import compact_error
from ._handlers import HandlerNotImplemented, call_handler
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
from ._parsing import StepError, parse_step
from ._refusals import IncompatibleThread, ResponseRefused
from ._sqlite import SqliteStore
from ._stores import MemoryStore, Store, ThreadConflict, ThreadNotFound
from ._urls import default_store, store_from_url
from ._yaml import to_yaml

__all__ = [
    "HandlerNotImplemented",
    "IncompatibleThread",
    "IntentSpec",
    "MemoryStore",
    "Model",
    "ModelConfig",
    "ModelNotConfigured",
    "ModelOutput",
    "ModelRequest",
    "ResponseRefused",
    "ScriptExhausted",
    "ScriptedModel",
    "SqliteStore",
    "StepError",
    "Store",
    "ThreadConflict",
    "ThreadNotFound",
    "call_handler",
    "compact_error",
    "default_store",
    "new_id",
    "parse_step",
    "resolve_model",
    "store_from_url",
    "to_yaml",
]
