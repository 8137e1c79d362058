"""A chain of models: the first that answers wins."""

from __future__ import annotations

from collections.abc import Sequence

from ._models import Model, ModelOutput, ModelRequest
from ._provider import ModelUnavailable


class FallbackModel:
    """Asks each model in turn until one answers; ModelUnavailable when none does.

    Only ModelUnavailable (what the adapters raise for HTTP errors, timeouts, unreachable
    endpoints and unreadable bodies) moves on; any other exception is a bug and propagates.
    """

    def __init__(self, models: Sequence[Model]) -> None:
        if not models:
            raise ValueError("FallbackModel needs at least one model")
        self.models = tuple(models)

    async def next_step(self, request: ModelRequest) -> ModelOutput:
        """The first answer any model gives."""
        failures: list[str] = []
        for model in self.models:
            try:
                return await model.next_step(request)
            except ModelUnavailable as error:
                failures.append(str(error))
        tried = len(self.models)
        raise ModelUnavailable(f"no model answered ({tried} tried): " + "; ".join(failures))
