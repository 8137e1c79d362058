"""Checks across a structurally valid spec: names, references, states, schemas, expressions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from agentgen.ir import (
    RESERVED_CLASS_NAMES,
    RESERVED_TOOL_NAMES,
    handler_type_name,
    result_event_name,
)
from agentgen.spec.hints import did_you_mean
from agentgen.spec.model import ApprovalWhen, Spec
from agentgen.spec.names import (
    INTENT_FIELD,
    RESERVED_FIELD_PREFIX,
    STATE_BUILTIN_FIELDS,
    to_pascal,
)
from agentgen.spec.when import check_when
from agentgen.validate._context import check_context
from agentgen.validate._input import check_input
from agentgen.validate._jsonschema import check_schema
from agentgen.validate._positions import Path, PositionMap, position_in_string
from agentgen.validate._prefetch import check_prefetch
from agentgen.validate._problems import Problem
from agentgen.validate._spec_tests import check_spec_tests
from agentgen.validate._templates import THREAD_VARIABLE, check_template, uses_variable
from agentgen.validate._tool_keys import check_tool_keys, terminal_problem

# Names Jinja2 gives meaning to inside templates; a variable of that name would be shadowed.
JINJA_NAMES = frozenset({"self", "loop", "super", "caller", "varargs", "kwargs"})


def check_semantics(spec: Spec, text: str, positions: PositionMap) -> list[Problem]:
    """Every cross-reference problem of a spec whose shape is already valid."""
    return [
        *_intent_names(spec),
        *_class_names(spec),
        *_reserved_fields(spec),
        *_schemas(spec),
        *check_input(spec),
        *_approvals(spec, text, positions),
        *_humans(spec),
        *_state_fields(spec),
        *_control_states(spec),
        *_prompts(spec, text, positions),
        *check_tool_keys(spec, text, positions),
        *check_prefetch(spec),
        *check_context(spec, text, positions),
        *check_spec_tests(spec),
    ]


def _intents(spec: Spec) -> Iterator[tuple[str, Path, str]]:
    """(name, where it is declared, kind) of every intent, in file order of kind."""
    for name in spec.tools:
        yield name, ("tools", name), "tool"
    for name in spec.humans:
        yield name, ("humans", name), "human contact"
    yield spec.done.name, ("done", "name"), "done intent"


def _intent_names(spec: Spec) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for name, path, kind in _intents(spec):
        if name in seen:
            message = f"'{name}' is already declared as a {seen[name]}; intent names must be unique"
            at: Literal["key", "value"] = "value" if kind == "done intent" else "key"
            problems.append(Problem(path, "AG022", message, at=at))
        else:
            seen[name] = kind
    return problems


def _class_names(spec: Spec) -> list[Problem]:
    problems = []
    for name in spec.types:
        if name in RESERVED_CLASS_NAMES:
            message = f"type name '{name}' collides with a class every generated package defines"
            problems.append(
                Problem(("types", name), "AG023", message, f"try '{name}Info'", at="key")
            )
    for name, path, kind in _intents(spec):
        at: Literal["key", "value"] = "value" if kind == "done intent" else "key"
        if kind == "tool" and name in RESERVED_TOOL_NAMES:
            message = f"tool '{name}' would shadow '{name}' in handlers.py and in `Handlers`"
            problems.append(Problem(path, "AG023", message, "choose another name", at=at))
        class_name = to_pascal(name)
        if class_name in RESERVED_CLASS_NAMES:
            message = (
                f"{kind} '{name}' would generate class '{class_name}', "
                "which the package already defines"
            )
            problems.append(Problem(path, "AG023", message, "choose another name", at=at))
        elif class_name in spec.types:
            message = (
                f"{kind} '{name}' would generate class '{class_name}', which is also a named type"
            )
            problems.append(Problem(path, "AG023", message, "rename the tool or the type", at=at))
    return problems + _tool_class_names(spec)


def _tool_class_names(spec: Spec) -> list[Problem]:
    """Each tool also gets `<Tool>Handler` and `<Tool>Result`; both must be free names."""
    taken = set(RESERVED_CLASS_NAMES) | {to_pascal(name) for name, _, _ in _intents(spec)}
    problems = []
    for name in spec.tools:
        for derived in (handler_type_name(name), result_event_name(name)):
            message = f"tool '{name}' would generate class '{derived}', "
            if derived in spec.types:
                message, hint = (
                    message + "which is also a named type",
                    "rename the tool or the type",
                )
            elif derived in taken:
                message, hint = message + "which is already taken", "rename the tool"
            else:
                continue
            problems.append(Problem(("tools", name), "AG023", message, hint, at="key"))
    return problems


def _reserved_fields(spec: Spec) -> list[Problem]:
    problems = []
    for name in spec.state.fields:
        if name in STATE_BUILTIN_FIELDS or name.startswith(RESERVED_FIELD_PREFIX):
            message = f"state field '{name}' collides with a name every AgentState has"
            hint = f"rename it, e.g. '{name.removeprefix(RESERVED_FIELD_PREFIX)}_value'"
            problems.append(Problem(("state", "fields", name), "AG023", message, hint, at="key"))
    if THREAD_VARIABLE in spec.prompts.vars:
        message = f"template variable '{THREAD_VARIABLE}' is provided by the agent itself"
        hint = "remove it: the next_step prompt always gets {{ thread }}"
        var_path = ("prompts", "vars", THREAD_VARIABLE)
        problems.append(Problem(var_path, "AG023", message, hint, at="key"))
    for name in sorted(JINJA_NAMES & set(spec.prompts.vars)):
        message = f"template variable '{name}' is a name Jinja2 itself defines in templates"
        hint = f"rename it, such as '{name}_value'"
        problems.append(Problem(("prompts", "vars", name), "AG023", message, hint, at="key"))
    for params, path in _param_tables(spec):
        if "" in params:
            message = "a param name must not be empty"
            problems.append(Problem(path + ("",), "AG020", message, at="key"))
        if INTENT_FIELD in params:
            message = f"param '{INTENT_FIELD}' collides with the intent's discriminator field"
            hint = f"rename the param, such as '{INTENT_FIELD}_name'"
            problems.append(Problem(path + (INTENT_FIELD,), "AG023", message, hint, at="key"))
    return problems


def _param_tables(spec: Spec) -> Iterator[tuple[dict[str, dict[str, Any]], Path]]:
    for name, tool in spec.tools.items():
        yield tool.params, ("tools", name, "params")
    for name, human in spec.humans.items():
        yield human.params, ("humans", name, "params")
    yield spec.done.params, ("done", "params")


def _schemas(spec: Spec) -> list[Problem]:
    """Every embedded JSON Schema, checked with the named types in scope."""
    types = set(spec.types)
    problems = []
    for params, path in _param_tables(spec):
        for param, schema in params.items():
            found = check_schema(schema, path + (param,), types)
            if not found and isinstance(schema, dict) and "default" in schema:
                found = _default_fits(spec, schema, path + (param, "default"), "param")
            problems += found
    for name, tool in spec.tools.items():
        if tool.returns is not None:
            problems += check_schema(tool.returns, ("tools", name, "returns"), types)
    for name, schema in spec.types.items():
        problems += check_schema(schema, ("types", name), types)
    for name, field in spec.state.fields.items():
        problems += check_schema(field.schema_, ("state", "fields", name), types, ("from",))
    return problems


def _approvals(spec: Spec, text: str, positions: PositionMap) -> list[Problem]:
    problems = []
    for name, tool in spec.tools.items():
        if not isinstance(tool.approval, ApprovalWhen):
            continue
        path = ("tools", name, "approval", "when")
        expression = tool.approval.when
        # The schemas say which names are objects, numbers, enums or may be None.
        for problem in check_when(expression, tool.params, types=spec.types):
            where = position_in_string(text, positions, path, expression, problem.offset)
            problems.append(
                Problem(path, problem.code, problem.message, problem.hint, pinned=where)
            )
    return problems


def _humans(spec: Spec) -> list[Problem]:
    problems = []
    for name, human in spec.humans.items():
        path = ("humans", name)
        offered = _offers_choices(human.params)
        if human.format == "multiple_choice" and offered and human.choices is not None:
            message = f"human contact '{name}' has static choices and a choices param"
            hint = "keep one: static choices, or the choices the model gives in each call"
            problems.append(Problem(path + ("choices",), "AG013", message, hint, at="key"))
        elif human.format == "multiple_choice" and not human.choices and not offered:
            message = f"human contact '{name}' is multiple_choice but has no choices"
            hint = 'list the options: choices = ["…", "…"], or give it a param choices (strings)'
            # An empty list is written somewhere; a missing one only has the table to point at.
            where = path if human.choices is None else path + ("choices",)
            problems.append(Problem(where, "AG011", message, hint, at="key"))
        elif human.format != "multiple_choice" and human.choices is not None:
            message = f"choices are only for multiple_choice contacts, not {human.format}"
            hint = 'remove choices, or set format = "multiple_choice"'
            problems.append(Problem(path + ("choices",), "AG013", message, hint, at="key"))
        problems += _repeats(human.choices or [], path + ("choices",), "choice")
    return problems


def _offers_choices(params: dict[str, Any]) -> bool:
    """Whether the model gives the choices per call: a param `choices`, an array of strings."""
    schema = params.get("choices")
    if not isinstance(schema, dict) or schema.get("type") != "array":
        return False
    items = schema.get("items")
    return isinstance(items, dict) and items.get("type") == "string"


def _repeats(items: list[str], path: Path, what: str) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, item in enumerate(items):
        if item in seen:
            problems.append(Problem(path + (index,), "AG022", f"duplicate {what} '{item}'"))
        seen.add(item)
    return problems


def _state_fields(spec: Spec) -> list[Problem]:
    problems = []
    for name, field in spec.state.fields.items():
        path = ("state", "fields", name)
        if field.from_ is not None:
            found = _from_rule(spec, field.from_, path + ("from",))
            problems += found or _from_type_fits(spec, name, field.schema_, field.from_, path)
        if "default" in field.schema_:
            problems += _default_fits(spec, field.schema_, path + ("default",))
    return problems


def _from_rule(spec: Spec, rule: str, path: Path) -> list[Problem]:
    tool_name, _, rest = rule.partition(".")
    tool = spec.tools.get(tool_name)
    if tool is None:
        hint = did_you_mean(tool_name, spec.tools)
        if tool_name in spec.humans:
            hint = "only tools set state fields; humans answer in the thread"
        return [Problem(path, "AG030", f"undefined tool '{tool_name}' in from", hint)]
    terminal = terminal_problem(spec, tool_name, path, "from rule")
    if terminal is not None:
        return [terminal]
    param = rest.removeprefix("args.")
    if rest.startswith("args.") and param not in tool.params:
        known = ", ".join(tool.params)
        listed = f"its params are: {known}" if known else "it has no params"
        hint = did_you_mean(param, tool.params) or listed
        return [Problem(path, "AG030", f"tool '{tool_name}' has no param '{param}'", hint)]
    return []


def _from_type_fits(
    spec: Spec, name: str, schema: dict[str, Any], rule: str, path: Path
) -> list[Problem]:
    """The value a `from` rule takes must fit the field (else the generated reducer fails mypy)."""
    tool_name, _, rest = rule.partition(".")
    tool = spec.tools[tool_name]
    source = tool.params[rest.removeprefix("args.")] if rest.startswith("args.") else tool.returns
    wanted, given = _schema_kind(schema), _schema_kind(source or {})
    if wanted is None or given is None or _kind_fits(given, wanted):
        return []
    message = f"state field '{name}' takes {_words(wanted)}, but '{rule}' is {_words(given)}"
    return [Problem(path + ("from",), "AG035", message, "change the field's type or its from")]


# A schema's kind, when it is simple to tell: a JSON type or a `$ref`, and its enum if any.
_Kind = tuple[str, tuple[str, ...] | None]


def _schema_kind(schema: dict[str, Any]) -> _Kind | None:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return f"type '{ref.removeprefix('#/$defs/')}'", None
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    kinds = [k for k in kinds if k != "null"]
    if len(kinds) != 1 or not isinstance(kinds[0], str):
        return None
    enum = schema.get("enum")
    return kinds[0], tuple(map(str, enum)) if isinstance(enum, list) else None


def _kind_fits(given: _Kind, wanted: _Kind) -> bool:
    """Whether every value of `given` is a value of `wanted` (an integer is a number)."""
    (given_type, given_enum), (wanted_type, wanted_enum) = given, wanted
    if given_type != wanted_type and (given_type, wanted_type) != ("integer", "number"):
        return False
    return wanted_enum is None or (given_enum is not None and set(given_enum) <= set(wanted_enum))


def _words(kind: _Kind) -> str:
    name, enum = kind
    if enum is not None:
        return "one of " + ", ".join(repr(value) for value in enum)
    return name if name.startswith("type ") else f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _default_fits(
    spec: Spec, schema: dict[str, Any], path: Path, what: str = "field"
) -> list[Problem]:
    """A default must satisfy its own schema (named types resolved)."""
    validator = Draft202012Validator({**schema, "$defs": dict(spec.types)})
    try:
        error = best_match(validator.iter_errors(schema["default"]))
    except Exception:  # an unresolvable $ref or a broken schema: reported by check_schema
        return []
    if error is None:
        return []
    message = f"default does not match the {what}'s schema: {error.message}"
    return [Problem(path + tuple(error.absolute_path), "AG013", message)]


def _control_states(spec: Spec) -> list[Problem]:
    if not spec.states:
        return []
    return [*_initial_state(spec), *_state_references(spec), *_unreachable(spec)]


def _initial_state(spec: Spec) -> list[Problem]:
    initial = [name for name, state in spec.states.items() if state.initial]
    if not initial:
        first = next(iter(spec.states))
        message = "no initial state: mark exactly one state with initial = true"
        hint = f"add initial = true to the state threads start in, such as [states.{first}]"
        return [Problem(("states", first), "AG032", message, hint, at="key")]
    return [
        Problem(
            ("states", name, "initial"),
            "AG033",
            f"several initial states: '{initial[0]}' and '{name}'",
            "keep initial = true on one state only",
        )
        for name in initial[1:]
    ]


def _state_references(spec: Spec) -> list[Problem]:
    intents = {name for name, _, _ in _intents(spec)}
    problems = []
    for name, state in spec.states.items():
        path = ("states", name)
        allowed = set(state.tools) if state.tools is not None else intents
        for index, tool in enumerate(state.tools or []):
            if tool not in intents:
                hint = did_you_mean(tool, intents)
                problems.append(
                    Problem(path + ("tools", index), "AG030", f"undefined tool '{tool}'", hint)
                )
        problems += _repeats(state.tools or [], path + ("tools",), "tool")
        for tool, target in state.on.items():
            problems += _transition(spec, name, tool, target, allowed)
    return problems


def _transition(spec: Spec, state: str, tool: str, target: str, allowed: set[str]) -> list[Problem]:
    path = ("states", state, "on", tool)
    problems = _transition_tool(spec, state, tool, allowed, path)
    if target not in spec.states:
        hint = did_you_mean(target, spec.states)
        problems.append(Problem(path, "AG030", f"undefined state '{target}'", hint))
    return problems


def _transition_tool(
    spec: Spec, state: str, tool: str, allowed: set[str], path: Path
) -> list[Problem]:
    """The intent a transition is on must be a tool this state allows."""
    terminal = terminal_problem(spec, tool, path, "transition")
    if terminal is not None:
        return [terminal]
    if tool in spec.tools:
        if tool in allowed:
            return []
        message = f"transition on '{tool}', which state '{state}' does not allow"
        return [Problem(path, "AG034", message, f"add '{tool}' to its tools", at="key")]
    if tool in spec.humans or tool == spec.done.name:
        kind = "human contact" if tool in spec.humans else "done intent"
        message = f"transition on {kind} '{tool}': only a tool's success moves to another state"
        return [Problem(path, "AG030", message, at="key")]
    hint = did_you_mean(tool, spec.tools)
    return [Problem(path, "AG030", f"undefined tool '{tool}' in transition", hint, at="key")]


def _unreachable(spec: Spec) -> list[Problem]:
    """States no transition leads to from an initial one (with several, from any of them)."""
    initial = [name for name, state in spec.states.items() if state.initial]
    if not initial:  # reported as AG032; reachability means nothing without a start
        return []
    reached = set(initial)
    frontier = list(reached)
    while frontier:
        for target in spec.states[frontier.pop()].on.values():
            if target in spec.states and target not in reached:
                reached.add(target)
                frontier.append(target)
    start = f"'{initial[0]}'" if len(initial) == 1 else "any initial state"
    return [
        Problem(
            ("states", name),
            "AG031",
            f"state '{name}' is unreachable from {start}",
            "add a transition to it under some state's [on] table",
            at="key",
        )
        for name in spec.states
        if name not in reached
    ]


def _prompts(spec: Spec, text: str, positions: PositionMap) -> list[Problem]:
    variables = set(spec.prompts.vars) | set(spec.prompts.step_vars)
    system, next_step = spec.prompts.system, spec.prompts.next_step
    problems = _step_var_names(spec)
    problems += check_template(system, ("prompts", "system"), variables, text, positions)
    next_path = ("prompts", "next_step")
    problems += check_template(next_step, next_path, variables | {THREAD_VARIABLE}, text, positions)
    if not uses_variable(next_step, THREAD_VARIABLE):
        message = "the next_step prompt must show the thread with {{ thread }}"
        hint = "add {{ thread }} where the events so far should appear"
        problems.append(Problem(next_path, "AG042", message, hint, at="key"))
    return problems


def _step_var_names(spec: Spec) -> list[Problem]:
    """AG058: a step var named like a launch var, or `thread`."""
    problems = []
    for name in spec.prompts.step_vars:
        path = ("prompts", "step_vars", name)
        if name in spec.prompts.vars:
            why, hint = "is also a launch var under [prompts.vars]", "rename one of them"
        elif name == THREAD_VARIABLE:
            why, hint = "is the thread's own variable", "choose another name"
        else:
            continue
        problems.append(Problem(path, "AG058", f"step var '{name}' {why}", hint, at="key"))
    return problems
