"""Choosing a store from a URL or from the environment."""

from __future__ import annotations

import os
import threading
from urllib.parse import parse_qsl

from ._base import ConfigurationError
from ._sqlite import MEMORY, SYNCHRONOUS, SqliteStore, Synchronous
from ._stores import MemoryStore, Store

ENV = "AGENTGEN_STORE"
DEFAULT_PATH = ".agentgen/threads.db"
_SQLITE = "sqlite:///"
_POSTGRES = ("postgresql://", "postgres://")  # the two schemes libpq accepts

_defaults: dict[str, Store] = {}
_lock = threading.Lock()


def store_from_url(url: str, *, read_only: bool = False) -> Store:
    """A new store for "memory://", "sqlite:///path.db" or "postgresql://user@host:port/db".

    `read_only` opens a SQLite file as `mode=ro` does: it is neither written nor created.
    """
    # "sqlite:////abs/path.db" is absolute; "postgresql://" takes any libpq connection URI
    if url == "memory://":
        return MemoryStore()
    if url.startswith(_POSTGRES):
        from ._postgres import PostgresStore  # psycopg's extra, loaded only for such a URL

        return PostgresStore(url)
    path, query = _sqlite_parts(url)
    asked, max_pages, synchronous = _sqlite_options(url, query)
    only_read = read_only or asked
    return SqliteStore(path, read_only=only_read, max_pages=max_pages, synchronous=synchronous)


def _sqlite_parts(url: str) -> tuple[str, str]:
    """The path of a sqlite:/// URL and its options ("mode=ro&max_pages=N", or "")."""
    path, _, query = (url.removeprefix(_SQLITE) if url.startswith(_SQLITE) else "").partition("?")
    if not path:
        raise ConfigurationError(
            f"unsupported store URL {url!r}: use 'memory://', 'sqlite:///path/to/threads.db' "
            "or 'postgresql://user@host:port/dbname'"
        )
    return path, query


def _sqlite_options(url: str, query: str) -> tuple[bool, int | None, Synchronous]:
    """`mode=ro` (read only), `max_pages=N` (a size cap) and `synchronous=normal` (no sync at
    each commit: not durable on power loss), the options a sqlite URL takes."""
    read_only, max_pages, synchronous = False, None, SYNCHRONOUS[0]
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "mode" and value in ("ro", "rw"):
            read_only = value == "ro"
        elif key == "max_pages" and value.isdigit() and int(value) >= 1:
            max_pages = int(value)
        elif key == "synchronous" and value in SYNCHRONOUS:
            synchronous = SYNCHRONOUS[SYNCHRONOUS.index(value)]  # the Literal, typed
        else:
            raise ConfigurationError(
                f"unsupported option {key}={value!r} in store URL {url!r}: a sqlite URL "
                "takes mode=ro, max_pages=N (N >= 1) and synchronous=normal"
            )
    return read_only, max_pages, synchronous


def default_store_url() -> str:
    """What `default_store()` opens: $AGENTGEN_STORE, else sqlite:///.agentgen/threads.db."""
    return os.environ.get(ENV) or _SQLITE + DEFAULT_PATH


def default_store() -> Store:
    """The store $AGENTGEN_STORE names, else SqliteStore(".agentgen/threads.db"); one per place."""
    url = default_store_url()
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
    path, query = _sqlite_parts(url)
    place = path if path == MEMORY else os.path.abspath(path)
    return f"{place}?{query}" if query else place
