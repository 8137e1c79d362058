"""From the spec's model settings and the environment to a model (or a fallback chain).

Precedence, highest first:
- provider and name: AGENTGEN_MODEL="provider:name", else the spec's [model];
- endpoint: AGENTGEN_BASE_URL, else the spec's base_url, else the SDK's own variable
  (OPENAI_BASE_URL / ANTHROPIC_BASE_URL), else the provider's public endpoint;
- key: the variable the spec's api_key_env names, else the SDK's own variable
  (OPENAI_API_KEY / ANTHROPIC_API_KEY); a loopback endpoint needs none.
When AGENTGEN_MODEL switches provider, the spec's base_url and api_key_env (which belong to the
other provider) are dropped. Fallback models share timeout, retries and temperature; one of the
same provider as the first model also shares its endpoint and key variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ._anthropic import AnthropicModel
from ._fallback import FallbackModel
from ._models import Model, ModelConfig, ModelNotConfigured
from ._openai import OpenAIModel
from ._provider import PROVIDERS, Provider

MODEL_ENV = "AGENTGEN_MODEL"
BASE_URL_ENV = "AGENTGEN_BASE_URL"


@dataclass(frozen=True)
class _Target:
    """One model to build: who serves it, where, and which variable holds its key."""

    provider: Provider
    name: str
    base_url: str | None
    api_key_env: str | None


def resolve_model(model: Model | None, config: ModelConfig) -> Model:
    """The given model, else the one `config` and the environment describe."""
    return model if model is not None else build_model(config)


def build_model(config: ModelConfig) -> Model:
    """The configured model, wrapped in a FallbackModel when the spec lists fallbacks."""
    first = _first(config)
    models = [_adapter(first, config)]
    for entry in config.fallback:
        provider, name = split_model(entry, "[model].fallback")
        same = provider == first.provider
        target = _Target(
            provider,
            name,
            first.base_url if same else None,
            first.api_key_env if same else None,
        )
        models.append(_adapter(target, config))
    return models[0] if len(models) == 1 else FallbackModel(models)


def split_model(text: str, where: str) -> tuple[Provider, str]:
    """("openai", "gpt-4o") from "openai:gpt-4o"; the name may hold colons ("llama3:8b")."""
    provider, _, name = text.partition(":")
    for known in PROVIDERS:
        if provider == known and name:
            return known, name
    raise ModelNotConfigured(
        f'{where} must be "provider:name" with provider openai or anthropic; got {text!r}'
    )


def _first(config: ModelConfig) -> _Target:
    provider = _provider(config.provider)
    name, base_url, key_env = config.name, config.base_url, config.api_key_env
    override = os.environ.get(MODEL_ENV)
    if override:
        chosen, name = split_model(override, MODEL_ENV)
        if chosen != provider:
            base_url, key_env = None, None  # they describe the other provider's endpoint
        provider = chosen
    return _Target(provider, name, os.environ.get(BASE_URL_ENV) or base_url, key_env)


def _provider(text: str) -> Provider:
    for known in PROVIDERS:
        if text == known:
            return known
    raise ModelNotConfigured(f"unknown model provider {text!r}; expected openai or anthropic")


def _adapter(target: _Target, config: ModelConfig) -> Model:
    if target.provider == "anthropic":
        return AnthropicModel(
            target.name,
            base_url=target.base_url,
            api_key_env=target.api_key_env,
            timeout_s=config.timeout_s,
            max_retries=config.max_retries,
        )
    return OpenAIModel(
        target.name,
        base_url=target.base_url,
        api_key_env=target.api_key_env,
        temperature=config.temperature,
        timeout_s=config.timeout_s,
        max_retries=config.max_retries,
    )
