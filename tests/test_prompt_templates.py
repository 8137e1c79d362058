"""compile_template: a template of text and names renders as Jinja renders it, byte for byte."""

from __future__ import annotations

from typing import Any

import jinja2
import jinja2.sandbox
import pytest

from agentgen.runtime import compile_template
from agentgen_runtime._templates import Substitution


def _sandbox(**options: Any) -> jinja2.sandbox.ImmutableSandboxedEnvironment:
    """The environment generated prompts.py compiles in."""
    settings: dict[str, Any] = {
        "undefined": jinja2.StrictUndefined,
        "autoescape": False,
        "keep_trailing_newline": True,
    }
    return jinja2.sandbox.ImmutableSandboxedEnvironment(**{**settings, **options})


VALUES: dict[str, Any] = {
    "thread": "<user_message>\n  text: 'hi {{ there }}'\n</user_message>",
    "count": 3,
    "nothing": None,
    "items": [1, "two", {"three": 3.0}],
    "flag": False,
    "markup": jinja2.utils.markupsafe.Markup("<b>kept</b>"),
}
SUBSTITUTIONS = [
    "",
    "plain text, no jinja at all",
    "{{ thread }}",
    "before {{ thread }} after\n",
    "trailing newlines kept\n\n",
    "windows\r\nnewlines\r\n{{ count }}\r\n",
    "{{ count }}{{ nothing }}{{ items }}{{ flag }}{{ markup }}",
    "{# a comment #}left {{- count -}} right",
    "{% raw %}{{ not a variable }}{% endraw %} {{ count }}",
    "{{ range }} is a global",
    "unicode: café {{ thread }} ✓",
]
JINJA_ONLY = [
    "{{ count + 1 }}",
    "{{ thread | upper }}",
    "{{ items[0] }}",
    "{% if flag %}yes{% else %}no{% endif %}",
    "{% for item in items %}{{ item }}{% endfor %}",
    "{{ 'literal' }}",
]


@pytest.mark.parametrize("text", SUBSTITUTIONS)
def test_a_substitution_renders_exactly_as_jinja(text: str) -> None:
    template = compile_template(_sandbox(), text)
    assert isinstance(template, Substitution)
    assert template.render(VALUES) == _sandbox().from_string(text).render(VALUES)


@pytest.mark.parametrize("text", JINJA_ONLY)
def test_anything_more_than_names_is_left_to_jinja(text: str) -> None:
    template = compile_template(_sandbox(), text)
    assert isinstance(template, jinja2.Template)
    assert template.render(VALUES) == _sandbox().from_string(text).render(VALUES)


def test_a_missing_name_raises_jinjas_own_error() -> None:
    template = compile_template(_sandbox(), "hello {{ who }}")
    with pytest.raises(jinja2.UndefinedError) as ours:
        template.render({})
    with pytest.raises(jinja2.UndefinedError) as theirs:
        _sandbox().from_string("hello {{ who }}").render({})
    assert str(ours.value) == str(theirs.value) == "'who' is undefined"


def test_a_lenient_environment_prints_a_missing_name_as_jinja_does() -> None:
    lenient = _sandbox(undefined=jinja2.Undefined)
    assert compile_template(lenient, "a{{ who }}b").render() == "ab"


def test_an_environment_that_escapes_or_finalizes_is_left_to_jinja() -> None:
    escaping = compile_template(_sandbox(autoescape=True), "{{ thread }}")
    finalizing = compile_template(_sandbox(finalize=lambda value: "x"), "{{ thread }}")
    assert isinstance(escaping, jinja2.Template)
    assert isinstance(finalizing, jinja2.Template)
    assert escaping.render(VALUES).startswith("&lt;user_message&gt;")


def test_a_syntax_error_is_jinjas() -> None:
    with pytest.raises(jinja2.TemplateSyntaxError, match="Unexpected end of template"):
        compile_template(_sandbox(), "{% if x %}")
