"""Errors a person or a caller can act on: a refused response, an unreadable thread."""

from __future__ import annotations

from ._base import AgentgenError


class ResponseRefused(AgentgenError, ValueError):
    """A response that does not fit the thread (wrong call_id, nothing pending); nothing changed."""

    http_status = 409


class IncompatibleThread(AgentgenError, RuntimeError):
    """A thread written by another spec version, which this agent cannot read."""

    http_status = 409
