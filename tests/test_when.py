"""The `approval.when` language: what it accepts, what it refuses (and where), what it emits."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentgen.spec.when import WhenProblem, check_when, when_to_python

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


REFUSED = [
    ("f(a)", _not_allowed(0, "function calls")),
    ("a.real > 1", _not_allowed(0, "attribute access")),
    ("a == b[0]", _not_allowed(5, "indexing")),
    ("a + 1 > 2", _not_allowed(0, "arithmetic")),
    ("-a > 1", _not_allowed(0, "arithmetic")),
    ("a == --1", _not_allowed(5, "arithmetic")),
    ("(lambda: a)() == 1", _not_allowed(0, "function calls")),
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
        WhenProblem("AG062", 0, "not allowed in a when expression: function calls"),
        WhenProblem("AG062", 8, "not allowed in a when expression: attribute access"),
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
    assert check_when("__import__('os').system('exit 3')", PARAMS) == _not_allowed(
        0, "function calls"
    )
    assert list(tmp_path.iterdir()) == []
