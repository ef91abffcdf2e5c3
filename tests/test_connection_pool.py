"""A request never holds one pooled connection while it waits for another: with the pool
exhausted, requests that each held one and asked for a second would wait for each other until
the pool's time-out. A GET's audit (db.own_transaction on a read-only session, as get_session
makes it) is where that happened."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, func, select

from app.db import READ_ONLY, WRITER, make_engine, own_transaction, reader
from app.models import AuditEntry
from tests.conftest import migrate


@pytest.fixture
def one_connection(empty_database: str) -> Iterator[Engine]:
    """A migrated database whose pool holds a single connection and waits 1 s for it."""
    migrate(make_engine(empty_database))
    engine = make_engine(empty_database, pool_size=1, max_overflow=0, pool_timeout=1)
    yield engine
    engine.dispose()


def test_an_audit_written_during_a_read_does_not_wait_for_a_second_connection(
    one_connection: Engine,
):
    info = {READ_ONLY: True, WRITER: one_connection}
    with Session(reader(one_connection), expire_on_commit=False, info=info) as request_session:
        request_session.exec(select(func.count(col(AuditEntry.id)))).one()  # holds the connection
        own_transaction(
            request_session,
            "audit_of_a_view",
            AuditEntry(action="diner.viewed", subject_type="diner", subject_id=7),
        )
        # The request reads on after its audit, in a transaction of its own.
        assert request_session.exec(select(func.count(col(AuditEntry.id)))).one() == 1
    with Session(one_connection) as check:
        kept = check.exec(select(AuditEntry)).one()
        assert (kept.action, kept.subject_id) == ("diner.viewed", 7)


# --- a server's connections, pinged when they have been idle ----------------------------------


@pytest.fixture
def server_database(empty_database: str) -> str:
    if not empty_database.startswith("postgresql"):
        pytest.skip("a connection's server end going away: PostgreSQL only")
    return empty_database


def pooled_backend_ended(url: str, *, idle_ping_s: float) -> Engine:
    """An engine whose one pooled connection has had its server end terminated, then sat
    idle for 0.2 s."""
    engine = make_engine(url, pool_size=1, max_overflow=0, idle_ping_s=idle_ping_s)
    with engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    admin = make_engine(url)
    with admin.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar_one()
    admin.dispose()
    time.sleep(0.2)
    return engine


def test_a_connection_idle_for_a_while_is_pinged_and_replaced_when_its_server_end_is_gone(
    server_database: str,
):
    engine = pooled_backend_ended(server_database, idle_ping_s=0.1)
    try:
        with engine.connect() as conn:  # the ping finds it dead: a new connection, no error
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(server_database: str):
    """No round trip before each request under load; a dead connection then fails its request
    once, and the pool starts afresh."""
    engine = pooled_backend_ended(server_database, idle_ping_s=60)
    try:
        with pytest.raises(DBAPIError) as failed, engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        assert failed.value.connection_invalidated
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        engine.dispose()
