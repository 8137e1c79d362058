"""Live cases: the model `--model` names, behind an on-disk cache of its answers.

An answer is cached under a hash of the model, the run's number (so that `--repeat` asks
again), the system prompt, the prompt (which holds the thread) and the intents offered: a rerun
with nothing changed asks no model, and any change to a prompt or a tool asks afresh.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from agentgen_runtime import (
    Model,
    ModelConfig,
    ModelOutput,
    ModelRequest,
    build_model,
    collect_calls,
    split_model,
)

CHARS_PER_TOKEN = 3
"""Tokens the provider does not report are estimated as the generated context.py's
count_tokens does: one per 3 characters."""


def live_model(choice: str, spec_model: ModelConfig) -> Model:
    """The model `provider:name` names, with the spec's settings (endpoint: same provider only)."""
    provider, name = split_model(choice, "--model")
    config = dataclasses.replace(spec_model, provider=provider, name=name, fallback=())
    if provider != spec_model.provider:
        config = dataclasses.replace(config, base_url=None, api_key_env=None)
    return build_model(config)


class CachedModel:
    """A model whose answers are kept on disk; it counts calls, cache hits and tokens."""

    def __init__(self, model: Model, label: str, run: int, folder: Path | None) -> None:
        self._model, self._label, self._run, self._folder = model, label, run, folder
        self.calls = 0
        self.cached = 0
        self.tokens = 0
        self.estimated = False  # whether some of the tokens are estimates

    async def next_step(self, request: ModelRequest) -> ModelOutput:
        """The cached answer to this request, else the model's (then cached)."""
        path = self._path(request)
        if path is not None and path.is_file():
            self.cached += 1
            answer: ModelOutput = json.loads(path.read_text(encoding="utf-8"))["answer"]
            return answer
        with collect_calls() as reported:
            answer = await self._model.next_step(request)
        self.calls += 1
        counted = [
            c for c in reported if c.input_tokens is not None and c.output_tokens is not None
        ]
        if counted:
            self.tokens += sum((c.input_tokens or 0) + (c.output_tokens or 0) for c in counted)
        else:  # a model that reports no usage
            self.estimated = True
            self.tokens += _estimate(_request_text(request)) + _estimate(json.dumps(answer))
        if path is not None:
            _write_atomically(path, json.dumps({"model": self._label, "answer": answer}))
        return answer

    def _path(self, request: ModelRequest) -> Path | None:
        if self._folder is None:
            return None
        key = json.dumps([self._label, self._run, _request_text(request)], ensure_ascii=False)
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self._folder / digest[:2] / f"{digest}.json"


def _request_text(request: ModelRequest) -> str:
    """What the model reads of a request (the thread's id is not part of it)."""
    intents: list[Any] = [dataclasses.asdict(intent) for intent in request.intents]
    return "\n".join((request.system, request.prompt, json.dumps(intents, sort_keys=True)))


def _estimate(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _write_atomically(path: Path, text: str) -> None:
    """Whole or not at all: two runs writing one answer never leave half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)
