"""The `approval.when` language: what it accepts, what it refuses (and where), what it emits."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentgen.spec.when import (
    ARITHMETIC_HINT,
    CALL_HINT,
    OBJECT_HINT,
    WhenProblem,
    check_when,
    when_to_python,
)

PARAMS = ("a", "b", "env", "note")

ACCEPTED = [
    "b == 0 or a > 1000",
    "a != 1 and b <= 2 and a >= 3 and b < 4",
    "not (a == 1)",
    "not a",
    "env in ['staging', 'production']",
    "env not in ('dev',)",
    "env in {'dev', 'test'}",
    "note is None",
    "None is not note",
    "a > -1 and b < -2.5 and a != +3",
    "0 < a < 10",
    "env == 'prod' and (a > 1 or b is not None)",
    "a == True or b == False",
    "  a == 1  ",
    "(a ==\n 1)",
    "a == --1",
]


@pytest.mark.parametrize("expression", ACCEPTED)
def test_the_allowed_subset_is_accepted(expression: str) -> None:
    assert check_when(expression, PARAMS) == []


def test_signed_numbers_inside_a_list_are_literals() -> None:
    assert check_when("a in [-1, +1.5, 2]", PARAMS) == []
    assert check_when("a in [-b]", PARAMS) == [
        WhenProblem("AG062", 6, "collections in a when expression hold literals only")
    ]


def _not_allowed(offset: int, what: str) -> list[WhenProblem]:
    return [WhenProblem("AG062", offset, f"not allowed in a when expression: {what}")]


def _call(offset: int, what: str) -> list[WhenProblem]:
    return [WhenProblem("AG062", offset, f"not allowed in a when expression: {what}", CALL_HINT)]


def _operator(offset: int, symbol: str) -> list[WhenProblem]:
    message = f"not allowed in a when expression: the '{symbol}' operator"
    return [WhenProblem("AG062", offset, message, ARITHMETIC_HINT)]


REFUSED = [
    ("f(a)", _call(0, "calling 'f'")),
    ("a == b[0]", _not_allowed(5, "indexing")),
    ("a ** 2 > 1", _operator(0, "**")),
    ("~a > 1", _operator(0, "~")),
    ("a << 1 > 2", _operator(0, "<<")),
    ("a & 1 == 1", _operator(0, "&")),
    ("a @ b == 1", _operator(0, "@")),
    ("(lambda: a)() == 1", _call(0, "function calls")),
    ("a == (lambda: 1)", _not_allowed(6, "lambdas")),
    ("(c := 1) == a", _not_allowed(1, "assignment expressions")),
    ("env == f'{a}'", _not_allowed(7, "f-strings")),
    ("a in [x for x in b]", _not_allowed(5, "comprehensions")),
    ("a in {x for x in b}", _not_allowed(5, "comprehensions")),
    ("a in (x for x in b)", _not_allowed(5, "comprehensions")),
    ("a == {1: 2}", _not_allowed(5, "dicts")),
    ("a if b else env", _not_allowed(0, "conditional expressions")),
    ("await a", _not_allowed(0, "await")),
    ("env == b'prod'", _not_allowed(7, "bytes literals")),
    ("a == 1j", _not_allowed(5, "complex literals")),
    ("a == ...", _not_allowed(5, "ellipsis literals")),
    (
        "a is 1",
        [WhenProblem("AG062", 0, "'is' compares only with None here", "use '==' instead")],
    ),
    (
        "a in [b, 1]",
        [WhenProblem("AG062", 6, "collections in a when expression hold literals only")],
    ),
]


@pytest.mark.parametrize(("expression", "problems"), REFUSED)
def test_constructs_outside_the_subset_are_refused_where_they_start(
    expression: str, problems: list[WhenProblem]
) -> None:
    assert check_when(expression, PARAMS) == problems


def test_every_problem_is_reported_not_only_the_first() -> None:
    assert check_when("f(a) or a.b or zz == 1", PARAMS) == [
        WhenProblem("AG062", 0, "not allowed in a when expression: calling 'f'", CALL_HINT),
        WhenProblem(
            "AG064",
            10,
            "'a' is a value of any type, not an object: it has no attribute 'b'",
            OBJECT_HINT,
        ),
        WhenProblem(
            "AG061",
            15,
            "unknown name 'zz' in when expression",
            "the tool's params are: a, b, env, note",
        ),
    ]


def test_an_unknown_name_gets_a_did_you_mean_hint() -> None:
    assert check_when("a > 1 and envv == 'prod'", PARAMS) == [
        WhenProblem("AG061", 10, "unknown name 'envv' in when expression", "did you mean 'env'?")
    ]


def test_an_unknown_name_of_a_tool_without_params() -> None:
    assert check_when("x == 1", []) == [
        WhenProblem("AG061", 0, "unknown name 'x' in when expression", "the tool has no params")
    ]


def test_offsets_count_characters_not_bytes() -> None:
    assert check_when("env == 'é€' and zz", PARAMS) == [
        WhenProblem(
            "AG061",
            16,
            "unknown name 'zz' in when expression",
            "the tool's params are: a, b, env, note",
        )
    ]


SYNTAX_ERRORS = [
    ("a ==", WhenProblem("AG060", 4, "invalid when expression: it ends too early")),
    ("  a ==", WhenProblem("AG060", 6, "invalid when expression: it ends too early")),
    (
        "a = 1",
        WhenProblem("AG060", 2, "invalid when expression: unexpected '='", "use '==' to compare"),
    ),
    (
        "a > 1 && b",
        WhenProblem(
            "AG060", 6, "invalid when expression: unexpected '&&'", "use 'and' instead of '&&'"
        ),
    ),
    ("a == not b", WhenProblem("AG060", 5, "invalid when expression: invalid syntax")),
    ("", WhenProblem("AG060", 0, "invalid when expression: it is empty")),
    ("   ", WhenProblem("AG060", 0, "invalid when expression: it is empty")),
    (
        "a ==\n1",
        WhenProblem(
            "AG060",
            4,
            "invalid when expression: invalid syntax",
            "wrap a multi-line expression in parentheses",
        ),
    ),
]


@pytest.mark.parametrize(("expression", "problem"), SYNTAX_ERRORS)
def test_syntax_errors_are_one_positioned_problem(expression: str, problem: WhenProblem) -> None:
    assert check_when(expression, PARAMS) == [problem]


def test_a_param_named_like_a_keyword_cannot_be_written() -> None:
    # `from` parses as the keyword, never as a name: the expression is a syntax error.
    problems = check_when("from == 'x'", ["from"])
    assert problems == [WhenProblem("AG060", 0, "invalid when expression: invalid syntax")]


def test_python_is_emitted_over_the_call() -> None:
    assert (
        when_to_python("b == 0 or a > 1000", {"a": "a", "b": "b"}) == "call.b == 0 or call.a > 1000"
    )


def test_the_attribute_mapping_and_receiver_are_used() -> None:
    emitted = when_to_python("kind in ['a'] and b is not None", {"kind": "kind_", "b": "b"}, "step")
    assert emitted == "step.kind_ in ['a'] and step.b is not None"


def test_not_and_negative_numbers_survive_emission() -> None:
    assert when_to_python("not a and b > -1", {"a": "a", "b": "b"}) == "not call.a and call.b > -1"


def test_emitting_an_invalid_expression_raises() -> None:
    with pytest.raises(ValueError, match=r"^invalid when expression: it ends too early$"):
        when_to_python("a ==", {"a": "a"})


def test_emitting_refuses_names_that_are_not_params() -> None:
    with pytest.raises(ValueError, match=r"^unknown name 'os' in when expression$"):
        when_to_python("os == 1", {"a": "a"})


def test_checking_never_evaluates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    marker = "__import__('pathlib').Path('evaluated').touch()"
    for expression in (marker, f"a == 1 or {marker}", f"[{marker} for _ in 'x']"):
        problems = check_when(expression, PARAMS)
        assert problems != []
        assert {problem.code for problem in problems} == {"AG062"}
    assert check_when("__import__('os').system('exit 3')", PARAMS) == _call(0, "method calls")
    assert list(tmp_path.iterdir()) == []


# Typed checks: params given with their JSON Schemas, and the spec's named types.
TYPES = {
    "Owner": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "team": {"type": "string"},
            "manager": {"$ref": "#/$defs/Owner"},
        },
        "required": ["name"],
    },
    "Loop": {"$ref": "#/$defs/Loop"},
}
ENVIRONMENT = {"type": "string", "enum": ["staging", "production"]}
SCHEMAS = {
    "target": {
        "type": "object",
        "properties": {
            "environment": ENVIRONMENT,
            "dryRun": {"type": "boolean"},
            "owner": {"$ref": "#/$defs/Owner"},
            "region": {"type": "string"},
        },
        "required": ["environment", "dryRun", "owner"],
    },
    "backup": {"anyOf": [{"$ref": "#/$defs/Owner"}, {"type": "null"}]},
    "tags": {"type": "array", "items": {"type": "string"}},
    "amount": {"type": "number"},
    "quantity": {"type": "integer"},
    "limit": {"type": ["integer", "null"]},
    "note": {"type": ["string", "null"]},
    "day": {"type": "string", "format": "date"},
    "meta": {"type": "object"},
    "loop": {"$ref": "#/$defs/Loop"},
}


def _typed(expression: str) -> list[WhenProblem]:
    return check_when(expression, SCHEMAS, types=TYPES)


TYPED_ACCEPTED = [
    "target.environment == 'production' and len(tags) > 2",
    "target.environment in ['staging'] and not target.dryRun",
    "target.owner.name == 'ops' and len(target.owner.name) > 2",
    "target.region in ['eu', 'us'] or target.region is None",
    "amount * quantity > 1000",
    "amount + quantity - 1 > amount / 2 and quantity // 2 % 3 == 1",
    "-amount < -5 and +quantity > 0 and -len(tags) < 0 and -(amount + 1) < 0",
    "len(tags) * 2 > quantity",
    "amount / 2.0 > 1 and amount % 0.5 == 0",
    "limit is not None and limit * 2 > amount",
    "backup is not None and backup.name == 'x'",
    "None is not backup and backup.name == 'x'",
    "not (backup is None) and backup.name == 'x'",
    "backup is None or backup.team is None or len(backup.team) > 3",
    "not (backup is None or backup.team is None) and len(backup.team) > 3",
    "(backup is not None and note is not None) and note > backup.name",
    "note is not None and 'a' in note",
    "target.owner.manager is not None and target.owner.manager.manager is not None"
    " and target.owner.manager.manager.name == 'x'",
]


@pytest.mark.parametrize("expression", TYPED_ACCEPTED)
def test_attributes_len_and_arithmetic_are_accepted_over_typed_params(expression: str) -> None:
    assert _typed(expression) == []


def _problem(code: str, offset: int, message: str, hint: str | None = None) -> list[WhenProblem]:
    return [WhenProblem(code, offset, message, hint)]


def _may_be_none(offset: int, path: str) -> list[WhenProblem]:
    hint = f"check '{path} is not None and ...' first"
    return _problem("AG064", offset, f"'{path}' may be None here", hint)


def _not_a_number(offset: int, what: str) -> list[WhenProblem]:
    return _problem("AG064", offset, f"arithmetic needs numbers, not {what}")


LEN_ONE = "len() takes exactly one argument"
NOT_A_PARAM = "not allowed in a when expression: attribute access on a value that is not a param"

TYPED_REFUSED = [
    # unknown attributes: at the attribute's name, with a hint
    (
        "target.enviroment == 'production'",
        _problem(
            "AG061",
            7,
            "unknown attribute 'enviroment' of 'target' in when expression",
            "did you mean 'environment'?",
        ),
    ),
    (
        "target.owner.xyz == 1",
        _problem(
            "AG061",
            13,
            "unknown attribute 'xyz' of 'target.owner' in when expression",
            "the attributes of 'target.owner' are: manager, name, team",
        ),
    ),
    (
        "target.environment == 'prod'",
        _problem(
            "AG063",
            22,
            "'prod' is not a value of 'target.environment' (one of: 'staging', 'production')",
        ),
    ),
    # attributes of what is not an object with properties
    (
        "amount.real > 1",
        _problem(
            "AG064",
            7,
            "'amount' is a number, not an object: it has no attribute 'real'",
            OBJECT_HINT,
        ),
    ),
    (
        "len(tags) > 1 or tags.size > 1",
        _problem(
            "AG064",
            22,
            "'tags' is an array, not an object: it has no attribute 'size'",
            OBJECT_HINT,
        ),
    ),
    (
        "target.region.upper == 'X'",
        _problem(
            "AG064",
            14,
            "'target.region' is a string, not an object: it has no attribute 'upper'",
            OBJECT_HINT,
        ),
    ),
    (
        "meta.x == 1",
        _problem(
            "AG064",
            5,
            "'meta' declares no properties: it has no attribute 'x'",
            "list its properties to read them in a when expression",
        ),
    ),
    (
        "loop.x == 1",
        _problem(
            "AG064",
            5,
            "'loop' is a value of any type, not an object: it has no attribute 'x'",
            OBJECT_HINT,
        ),
    ),
    ("(amount + 1).real > 1", _problem("AG062", 0, NOT_A_PARAM, OBJECT_HINT)),
    ("len(tags).real > 1", _problem("AG062", 0, NOT_A_PARAM, OBJECT_HINT)),
    # what may be None, unguarded
    ("backup.name == 'x'", _may_be_none(0, "backup")),
    ("amount > 1 and backup.name == 'x'", _may_be_none(15, "backup")),
    ("backup is not None or backup.name == 'x'", _may_be_none(22, "backup")),
    ("backup is None and backup.name == 'x'", _may_be_none(19, "backup")),
    ("target.owner.manager.name == 'x'", _may_be_none(0, "target.owner.manager")),
    ("len(target.owner.team) > 1", _may_be_none(4, "target.owner.team")),
    ("limit * 2 > 1", _may_be_none(0, "limit")),
    ("note > 'a'", _may_be_none(0, "note")),
    ("'a' in note", _may_be_none(7, "note")),
    # len()
    (
        "len(amount) > 1",
        _problem("AG064", 4, "len() needs a string or an array: 'amount' is a number"),
    ),
    (
        "len(day) > 1",
        _problem(
            "AG064", 4, "len() needs a string or an array: 'day' is a string of format 'date'"
        ),
    ),
    (
        "len(target) > 1",
        _problem("AG064", 4, "len() needs a string or an array: 'target' is an object"),
    ),
    ("len() > 1", _problem("AG062", 0, LEN_ONE, "such as len(tags)")),
    ("len(tags, tags) > 1", _problem("AG062", 0, LEN_ONE, "such as len(tags)")),
    ("len(obj=tags) > 1", _problem("AG062", 0, LEN_ONE, "such as len(tags)")),
    ("len(*tags) > 1", _problem("AG062", 0, LEN_ONE, "such as len(tags)")),
    (
        "len('abc') > 1",
        _problem("AG062", 4, "len() takes a param or an attribute of one", "such as len(tags)"),
    ),
    (
        "len(x) > 1",
        _problem(
            "AG061",
            4,
            "unknown name 'x' in when expression",
            "the tool's params are: " + ", ".join(sorted(SCHEMAS)),
        ),
    ),
    # other calls
    ("max(amount, 1) > 2", _call(0, "calling 'max'")),
    ("target.environment.startswith('p')", _call(0, "method calls")),
    # arithmetic on what is not a number
    ("tags + 1 > 2", _problem("AG064", 0, "arithmetic needs numbers: 'tags' is an array")),
    (
        "-target.region == 1",
        _problem("AG064", 1, "arithmetic needs numbers: 'target.region' is a string"),
    ),
    ("amount + 'x' > 1", _not_a_number(9, "'x'")),
    ("amount * True > 1", _not_a_number(9, "True")),
    ("-False < 1", _not_a_number(1, "False")),
    ("amount + None > 1", _not_a_number(9, "None")),
    ("(amount > 1) + 1 > 0", _not_a_number(1, "a condition")),
    ("amount + (1, 2) > 0", _not_a_number(9, "a collection")),
    ("amount ** 2 > 1", _operator(0, "**")),
    # a literal zero divisor
    ("amount / 0 > 1", _problem("AG064", 9, "division by zero")),
    ("amount // 0.0 > 1", _problem("AG064", 10, "division by zero")),
    ("quantity % -0 == 1", _problem("AG064", 11, "division by zero")),
]


@pytest.mark.parametrize(("expression", "problems"), TYPED_REFUSED)
def test_ill_typed_uses_are_refused_where_they_are(
    expression: str, problems: list[WhenProblem]
) -> None:
    assert _typed(expression) == problems


def test_the_unknown_name_of_len_gets_the_params_hint() -> None:
    [problem] = _typed("len(tgs) > 1")
    assert (problem.code, problem.offset, problem.hint) == ("AG061", 4, "did you mean 'tags'?")


def test_attribute_offsets_count_characters_across_lines() -> None:
    assert _typed("(note == 'é€' or\n target.\n  envirnment == 'x')") == _problem(
        "AG061",
        28,
        "unknown attribute 'envirnment' of 'target' in when expression",
        "did you mean 'environment'?",
    )


def test_an_enum_behind_a_ref_and_a_nullable_one_are_checked() -> None:
    types = {"Env": ENVIRONMENT}
    params = {"env": {"$ref": "#/$defs/Env"}, "maybe": {"anyOf": [ENVIRONMENT, {"type": "null"}]}}
    assert check_when("maybe == None or maybe == 'staging'", params, types=types) == []
    assert check_when("env == None or maybe == 'qa'", params, types=types) == [
        WhenProblem("AG063", 7, "None is not a value of 'env' (one of: 'staging', 'production')"),
        WhenProblem(
            "AG063", 24, "'qa' is not a value of 'maybe' (one of: 'staging', 'production')"
        ),
    ]


def test_every_typed_problem_is_reported() -> None:
    found = _typed("backup.nme == 'x' or len(amount) > 1 or amount * 'x' > 1")
    assert [(problem.code, problem.offset) for problem in found] == [
        ("AG064", 0),  # backup may be None
        ("AG061", 7),  # nme
        ("AG064", 25),  # len(amount)
        ("AG064", 49),  # 'x'
    ]


def test_an_expression_nested_too_deeply_is_one_problem() -> None:
    assert _typed("not " * 2000 + "amount") == [
        WhenProblem("AG060", 0, "invalid when expression: it is nested too deeply")
    ]


def test_a_long_attribute_chain_is_checked_without_recursion() -> None:
    [problem] = _typed("target" + ".owner" * 1000 + " == 1")
    assert problem.message == "unknown attribute 'owner' of 'target.owner' in when expression"
    assert problem.offset == len("target.owner.")


RENAMED = {("target", "dryRun"): "dry_run", ("target", "owner", "onCall"): "on_call"}


def _renamed(path: tuple[str, ...]) -> str:
    return RENAMED.get(path, path[-1])


def _emit(expression: str) -> str:
    attributes = {name: name for name in SCHEMAS}
    return when_to_python(expression, attributes, "step", SCHEMAS, TYPES, _renamed)


EMITTED = [
    (
        "target.environment == 'production' and len(tags) > 2",
        "step.target.environment == 'production' and len(step.tags) > 2",
    ),
    ("not target.dryRun", "not step.target.dry_run"),
    ("amount * quantity > 1000", "step.amount * step.quantity > 1000"),
    ("-amount < -(quantity + 1) // 2", "-step.amount < -(step.quantity + 1) // 2"),
    (
        "backup is None or backup.name == 'x'",
        "step.backup is None or step.backup.name == 'x'",
    ),
    (
        "amount > 1 and quantity > 2 and len(tags) > 3",
        "step.amount > 1 and step.quantity > 2 and len(step.tags) > 3",
    ),
    (
        "(backup is not None and backup.name == 'x') or amount > 1",
        "(step.backup is not None and step.backup.name == 'x') or step.amount > 1",
    ),
    ("not (amount > 1 or quantity > 2)", "not (step.amount > 1 or step.quantity > 2)"),
    (
        "target.owner.manager is not None and target.owner.manager.team == 'ops'",
        "step.target.owner.manager is not None and step.target.owner.manager.team == 'ops'",
    ),
]


@pytest.mark.parametrize(("expression", "python"), EMITTED)
def test_typed_expressions_are_emitted_as_plain_python(expression: str, python: str) -> None:
    assert _emit(expression) == python


def test_each_attribute_is_renamed_by_its_whole_path() -> None:
    seen: list[tuple[str, ...]] = []

    def rename(path: tuple[str, ...]) -> str:
        seen.append(path)
        return RENAMED.get(path, path[-1].upper())

    expression = "not target.dryRun and target.owner.name == 'x'"
    emitted = when_to_python(expression, {"target": "target_"}, "call", SCHEMAS, TYPES, rename)
    assert emitted == "not call.target_.dry_run and call.target_.OWNER.NAME == 'x'"
    assert seen == [("target", "dryRun"), ("target", "owner"), ("target", "owner", "name")]


def test_without_a_rename_nested_attributes_keep_their_json_names() -> None:
    emitted = when_to_python("target.dryRun", {"target": "target"}, params=SCHEMAS, types=TYPES)
    assert emitted == "call.target.dryRun"


def test_emitting_refuses_ill_typed_expressions() -> None:
    with pytest.raises(
        ValueError, match=r"^len\(\) needs a string or an array: 'amount' is a number$"
    ):
        _emit("len(amount) > 1")
    with pytest.raises(ValueError, match=r"^'backup' may be None here$"):
        _emit("backup.name == 'x'")


def test_emitting_without_schemas_refuses_attributes() -> None:
    message = r"^'target' is a value of any type, not an object: it has no attribute 'x'$"
    with pytest.raises(ValueError, match=message):
        when_to_python("target.x == 1", {"target": "target"})
