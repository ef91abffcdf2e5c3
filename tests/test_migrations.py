"""The migrations build exactly the models' schema, and go down again."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

import app.models  # noqa: F401
from app.db import make_engine, metadata
from tests.conftest import alembic_config, migrate


def test_migrations_match_models_when_upgraded_to_head(empty_database: str):
    engine = make_engine(empty_database)
    migrate(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        drift = compare_metadata(ctx, metadata)
    engine.dispose()
    assert drift == []


def test_downgrade_leaves_no_table_when_run_to_base(empty_database: str):
    engine = make_engine(empty_database)
    migrate(engine)
    cfg = alembic_config(empty_database)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert tables == set()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_entry SET action = 'x'", "DELETE FROM audit_entry"]
)
def test_database_refuses_change_when_audit_entry_updated_or_deleted(
    empty_database: str, statement: str
):
    engine = make_engine(empty_database)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_entry (at, action, subject_type, data) "
                "VALUES (CURRENT_TIMESTAMP, 'cook.approved', 'cook', '{}')"
            )
        )
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_entry")).scalar() == 1
    engine.dispose()
