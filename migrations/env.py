"""Alembic environment: the app's metadata, and its engine (or a connection tests pass in)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context

import app.models  # noqa: F401  (registers every table on the metadata)
from app.config import get_settings
from app.db import make_engine, metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_migrations_offline() -> None:
    context.configure(
        url=get_settings().database_url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().database_url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # Batch mode lets SQLite alter tables by copying them; PostgreSQL alters in place.
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        # SQLite's DDL is transactional too (SQLAlchemy, not pysqlite, begins here: app.db):
        # one transaction for the whole upgrade, so a failed step leaves the schema as it was.
        transactional_ddl=True,
    )
    with _sqlite_foreign_keys_checked_at_the_end(connection), context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:  # raised inside the transaction: nothing of the migration is kept
                raise RuntimeError(f"The migration would break foreign keys: {broken[:5]}")


@contextmanager
def _sqlite_foreign_keys_checked_at_the_end(connection) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """SQLite alters a table by copying it and dropping the old copy, and that drop breaks the
    rows of other tables that refer to it (meal_feedback to meal, say): the foreign keys are off
    while the migration runs, and checked at its end instead (as Alembic's batch mode advises).
    SQLite switches them only outside a transaction, so it is done on the driver's connection
    (SQLAlchemy's own would begin one); a connection a caller has already begun is left as is."""
    if connection.dialect.name != "sqlite" or connection.in_transaction():
        yield
        return
    driver = connection.connection.dbapi_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
