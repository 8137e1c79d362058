"""The PostgreSQL bench rows (bench/concurrency.py) on tiny sizes: measured, or n/a without one."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from bench import concurrency, http_load, ours
from bench.stats import Row
from tests.postgres_db import server_dsn


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return ours.generate_agent(tmp_path_factory.mktemp("bench-agent"))


def _found(rows: list[Row]) -> dict[str, Row]:
    assert {row.benchmark for row in rows} == {concurrency.CONCURRENT}
    return {row.system: row for row in rows}


def test_the_postgres_row_measures_ours_against_the_sleeps(agent: ModuleType) -> None:
    server_dsn()  # skips (or fails, where CI requires one) without a server
    found = _found(concurrency.rows(1, agent, threads=3))
    ideal = found[concurrency.IDEAL].value
    assert ideal is not None and ideal >= 0.2  # 11 model calls of 20 ms, one after the other
    for system in (concurrency.POSTGRES, concurrency.MEMORY):
        value = found[system].value
        assert value is not None and value >= ideal, found[system]
    assert found[concurrency.POSTGRES].note.startswith("1 run; ")
    [line] = concurrency.targets(list(found.values()))
    assert line.startswith("- 200 concurrent threads on PostgreSQL within 2x of ideal: ")


def test_without_a_server_the_postgres_row_is_na(
    agent: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(concurrency.DSN_ENV, raising=False)
    found = _found(concurrency.rows(1, agent, threads=3))
    postgres = found[concurrency.POSTGRES]
    assert (postgres.value, postgres.note) == (None, "n/a (no PostgreSQL)")
    assert found[concurrency.MEMORY].value is not None
    assert concurrency.targets(list(found.values())) == [
        "- 200 concurrent threads on PostgreSQL within 2x of ideal: not measured"
    ]


def test_the_http_rows_measure_our_app_against_bare_starlette(agent: ModuleType) -> None:
    server_dsn()
    packages = Path(agent.__file__).resolve().parent.parent  # where generate_agent put it
    rows = http_load.rows(1, packages, requests=20)
    assert {row.benchmark for row in rows} == {http_load.THROUGHPUT}
    found = {row.system: row for row in rows}
    for system in (http_load.OURS, http_load.MEMORY, http_load.BARE):
        value = found[system].value
        assert value is not None and value > 0, found[system]
    assert "x the floor" in found[http_load.OURS].note
    [line] = http_load.targets(rows)
    assert line.startswith("- HTTP throughput on PostgreSQL at least 0.8x bare Starlette: ")


def test_without_a_server_the_http_row_of_postgres_is_na(
    agent: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(concurrency.DSN_ENV, raising=False)
    packages = Path(agent.__file__).resolve().parent.parent
    found = {row.system: row for row in http_load.rows(1, packages, requests=20)}
    assert (found[http_load.OURS].value, found[http_load.OURS].note) == (
        None,
        "n/a (no PostgreSQL)",
    )
    assert found[http_load.MEMORY].value is not None
    assert http_load.targets(list(found.values()))[0].endswith("not measured")
