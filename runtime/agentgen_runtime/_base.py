"""The one base class of every error the runtime raises, and the HTTP status it maps to."""

from __future__ import annotations


class AgentgenError(Exception):
    """An error the runtime raises; `http_status` is what the generated HTTP app answers."""

    http_status: int = 500


class ConfigurationError(AgentgenError, ValueError):
    """A setting in the environment (a store URL, a lease TTL) that cannot work as given."""

    http_status = 503
