"""The test PostgreSQL server (scripts/dev-postgres starts one): a fresh schema for each test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit

import psycopg
import pytest

DSN_ENV = "AGENTGEN_TEST_POSTGRES_DSN"
REQUIRE_ENV = "AGENTGEN_REQUIRE_POSTGRES"
HOW = 'start one with: eval "$(scripts/dev-postgres start)"'


def server_dsn() -> str:
    """The server's URL; skips the test when there is none, or fails it where CI requires one."""
    dsn = os.environ.get(DSN_ENV)
    if dsn:
        return dsn
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {DSN_ENV} is not set; {HOW}")
    pytest.skip(f"no PostgreSQL server: {DSN_ENV} is not set; {HOW}")


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A postgresql:// URL whose tables live in a new, empty schema, dropped afterwards."""
    dsn = server_dsn()
    schema = f"test_{uuid.uuid4().hex}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_search_path(dsn, schema)
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def with_search_path(dsn: str, schema: str) -> str:
    """`dsn` with its unqualified table names resolved in `schema`."""
    if not urlsplit(dsn).scheme.startswith("postgres"):
        raise ValueError(f"{DSN_ENV} must be a postgresql:// URL, got {dsn!r}")
    separator = "&" if "?" in dsn else "?"
    return f"{dsn}{separator}options={quote(f'-csearch_path={schema}')}"
