"""Shared fixtures: a loopback LLM server, a clean model environment, and a store on each engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.calculator_project import calculator_project
from tests.fake_llm import FakeLLM, serving
from tests.model_steps import clear_model_env
from tests.postgres_db import fresh_schema


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    """A scripted OpenAI- and Anthropic-compatible server on 127.0.0.1."""
    with serving() as fake:
        yield fake


@pytest.fixture
def clean_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No variable of the machine changes how models are built."""
    clear_model_env(monkeypatch)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One store shared by every process of a test: a SQLite file or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'threads.db'}"
    else:
        with fresh_schema() as url:
            yield url


@pytest.fixture
def calculator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, llm: FakeLLM) -> Path:
    """The working directory: a project holding the calculator; its model a loopback fake."""
    return calculator_project(tmp_path, monkeypatch, llm)
