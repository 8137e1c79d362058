"""Errors a person or a caller can act on: a refused response, an unreadable thread."""

from __future__ import annotations


class ResponseRefused(ValueError):
    """A response that does not fit the thread (wrong call_id, nothing pending); nothing changed."""


class IncompatibleThread(RuntimeError):
    """A thread written by another spec version, which this agent cannot read."""
