"""A request never holds one pooled connection while it waits for another: with the pool
exhausted, requests that each held one and asked for a second would wait for each other until
the pool's time-out. A GET's audit (db.own_transaction on a read-only session, as get_session
makes it) is where that happened."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
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
