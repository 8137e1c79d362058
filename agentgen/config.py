"""Project settings from `[tool.agentgen]` in the nearest pyproject.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentgen.spec.hints import did_you_mean

_KEYS = {"specs", "out", "templates"}


class ConfigError(Exception):
    """The project's `[tool.agentgen]` table cannot be used."""


@dataclass(frozen=True)
class Config:
    """Where specs are read from and generated code is written, relative to the project root."""

    specs: Path = Path("specs")
    out: Path = Path("generated")
    templates: Path | None = None


def load_config(start: Path) -> Config:
    """Settings of the nearest pyproject.toml at or above `start`; defaults when there is none."""
    for folder in (start.resolve(), *start.resolve().parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return _from_pyproject(candidate)
    return Config()


def _from_pyproject(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path.name}: cannot read [tool.agentgen]: {error}") from error
    tool: Any = data.get("tool", {})
    table: Any = tool.get("agentgen", {}) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise ConfigError(f"{path.name}: [tool.agentgen] must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        hint = did_you_mean(unknown[0], _KEYS)
        known = f" ({hint})" if hint else f" (known keys: {', '.join(sorted(_KEYS))})"
        raise ConfigError(f"{path.name}: unknown key '{unknown[0]}' in [tool.agentgen]{known}")
    root = path.parent
    values = {key: _folder(path, root, key, table[key]) for key in _KEYS if key in table}
    return Config(**values)


def _folder(path: Path, root: Path, key: str, value: Any) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path.name}: [tool.agentgen] {key} must be a folder path")
    return root / value
