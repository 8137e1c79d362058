"""Fixtures shared by the model tests: a loopback LLM server and a clean model environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_llm import FakeLLM, serving
from tests.model_steps import clear_model_env


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    """A scripted OpenAI- and Anthropic-compatible server on 127.0.0.1."""
    with serving() as fake:
        yield fake


@pytest.fixture
def clean_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No variable of the machine changes how models are built."""
    clear_model_env(monkeypatch)
