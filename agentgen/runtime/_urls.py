"""Choosing a store from a URL or from the environment."""

from __future__ import annotations

import os
import threading

from ._postgres import PostgresStore
from ._sqlite import MEMORY, SqliteStore
from ._stores import MemoryStore, Store

ENV = "AGENTGEN_STORE"
DEFAULT_PATH = ".agentgen/threads.db"
_SQLITE = "sqlite:///"
_POSTGRES = ("postgresql://", "postgres://")  # the two schemes libpq accepts

_defaults: dict[str, Store] = {}
_lock = threading.Lock()


def store_from_url(url: str) -> Store:
    """A new store for "memory://", "sqlite:///path.db" or "postgresql://user@host:port/db"."""
    # "sqlite:////abs/path.db" is absolute; "postgresql://" takes any libpq connection URI
    if url == "memory://":
        return MemoryStore()
    if url.startswith(_POSTGRES):
        return PostgresStore(url)
    return SqliteStore(_sqlite_path(url))


def _sqlite_path(url: str) -> str:
    path = url.removeprefix(_SQLITE) if url.startswith(_SQLITE) else ""
    if not path:
        raise ValueError(
            f"unsupported store URL {url!r}: use 'memory://', 'sqlite:///path/to/threads.db' "
            "or 'postgresql://user@host:port/dbname'"
        )
    return path


def default_store() -> Store:
    """The store $AGENTGEN_STORE names, else SqliteStore(".agentgen/threads.db"); one per place."""
    url = os.environ.get(ENV) or _SQLITE + DEFAULT_PATH
    # one store per place, so launch and a later resume share a memory store and a connection
    key = _place(url)
    with _lock:
        store = _defaults.get(key)
        if store is None:
            store = _defaults[key] = store_from_url(url)
    return store


def _place(url: str) -> str:
    """What a store URL points at: relative paths resolve against the working directory."""
    if url == "memory://" or url.startswith(_POSTGRES):
        return url
    path = _sqlite_path(url)
    return url if path == MEMORY else os.path.abspath(path)
