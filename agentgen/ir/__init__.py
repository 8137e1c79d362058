"""The intermediate representation: a valid spec with every name resolved, ready to render.

Nothing here does I/O or knows about templates; `render` reads these values only.
"""

from agentgen.ir._build import (
    PYTHON_TYPES,
    AgentIR,
    ControlState,
    Intent,
    IntentKind,
    StateField,
    build_ir,
    is_nullable,
)
from agentgen.ir._names import (
    DEADLINE_PASSED,
    INPUT_CLASS,
    PACKAGE_MODULES,
    RESERVED_CLASS_NAMES,
    RESERVED_TOOL_NAMES,
    SCHEMA_TYPE_NAMES,
    ModuleNames,
    handler_type_name,
    result_event_name,
)

__all__ = [
    "DEADLINE_PASSED",
    "INPUT_CLASS",
    "PACKAGE_MODULES",
    "PYTHON_TYPES",
    "RESERVED_CLASS_NAMES",
    "RESERVED_TOOL_NAMES",
    "SCHEMA_TYPE_NAMES",
    "AgentIR",
    "ControlState",
    "Intent",
    "IntentKind",
    "ModuleNames",
    "StateField",
    "build_ir",
    "handler_type_name",
    "is_nullable",
    "result_event_name",
]
