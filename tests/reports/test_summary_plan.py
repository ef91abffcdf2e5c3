"""The summary's statements read a council's meals of one status through the index on
(council, status, date), not every meal the council ever had (migration 0012; bench/README.md
measured the summary at 50,000 meals), and its delivered covers through their partial index
(migration 0019: at a city's 155,000 delivered meals, 1.1 s of the summary's 1.6 without it)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlalchemy.sql import Select

from app.reports import figures
from app.reports.service import _COUNTS, _RECENT_COOKS

INDEX = "ix_meal_council_status_date"
COVERS = "ix_meal_council_cover"
TODAY = date(2026, 12, 1)


def plan(engine: Engine, statement: Select[tuple[object, ...]], **params: object) -> list[str]:
    compiled = statement.params(**params).compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    return [row[-1] for row in rows if "meal" in row[-1]]


@pytest.fixture
def sqlite(engine: Engine) -> Engine:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan: PostgreSQL plans by table statistics (tiny in tests)")
    return engine


def test_the_recent_meals_cooks_read_a_range_of_the_index(sqlite: Engine):
    first, last = figures.continuity_window(TODAY)
    steps = plan(sqlite, _RECENT_COOKS, council_id=1, first=first, last=last)
    assert any(INDEX in step and "date>" in step for step in steps), steps


def test_the_counts_read_meals_by_council_and_status_through_the_indexes(sqlite: Engine):
    steps = plan(sqlite, _COUNTS, council_id=1, today=TODAY)
    assert len(steps) == 3, steps  # delivered, missed, delivered covers
    assert [INDEX in step for step in steps].count(True) == 2, steps
    assert any(COVERS in step for step in steps), steps  # not every delivered meal's row
