"""The council's audit log is read in its own order through the index on (council, at, id)
(migration 0020): by council alone, every page sorted all of the council's entries (0.09 s for
the first page, 0.25 s deep, at a city's 253,000 entries)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from app.audit import record_audit, record_view
from app.config import Settings
from app.models import User
from app.moderation.audit_log import AuditFilter, audit_page
from app.moderation.service import list_audit
from tests.factories import registered_diner


def test_a_page_of_the_log_reads_the_councils_entries_in_order_without_sorting_them(
    session: Session, staff: User
):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's query plan: PostgreSQL plans by table statistics (tiny in tests)")
    for n in range(3):
        record_audit(
            session,
            actor_id=staff.id,
            council_id=staff.council_id,
            action="diner.address_viewed",
            subject_type="diner",
            subject_id=n,
        )
    session.flush()
    ran: list[tuple[str, Any]] = []
    connection = session.connection()

    def seen(conn, cursor, statement, parameters, context, executemany):
        ran.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", seen)
    try:
        entries, total = list_audit(
            session, staff=staff, subject_type=None, subject_id=None, limit=50, offset=1
        )
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert (len(entries), total) == (2, 3)

    def plan(statement: str, parameters: Any) -> list[str]:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return [row[-1] for row in rows]

    assert len(ran) == 2, ran  # the count, then the page
    for statement, parameters in ran:
        steps = plan(statement, parameters)
        assert any("ix_audit_entry_council_at" in step for step in steps), steps
        assert not any("TEMP B-TREE" in step or "SCAN audit_entry" in step for step in steps)


def test_the_look_up_for_a_view_seen_lately_reads_only_the_records_recent_entries_by_index(
    session: Session, staff: User
):
    """`record_view` asks, on every view of a record, whether the same person saw it lately:
    through (action, subject, at), only that record's entries of the window, not every view
    of it ever, nor all of a busy council's last minutes."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's query plan: PostgreSQL plans by table statistics (tiny in tests)")
    ran: list[tuple[str, Any]] = []
    connection = session.connection()

    def seen(conn, cursor, statement, parameters, context, executemany):
        ran.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", seen)
    try:
        kinds = dict(action="cook.viewed", subject_type="cook", subject_id=7)
        record_view(session, actor_id=staff.id, council_id=staff.council_id, **kinds)
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert len(ran) == 1, ran  # the look-up; the entry is written with the request's others
    statement, parameters = ran[0]
    steps = [
        row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    ]
    wanted = "ix_audit_entry_action_subject (action=? AND subject_type=? AND subject_id=? AND at>?)"
    assert any(wanted in s for s in steps), steps


def test_a_cooks_or_a_diners_log_finds_the_entries_naming_them_in_data_by_index(
    client: TestClient, session: Session, settings: Settings, staff: User
):
    """A cover staff recorded is about the diner and names the cook only in its data; a
    carer's request to be erased is about their account and names the diner only in its
    data. Narrowed to a cook or a diner, the log finds them through (action, subject type,
    subject) – the covers of the cook's diners, the carer's own requests – never by reading
    the log for the JSON, nor every cover recorded in any council."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's query plan: PostgreSQL plans by table statistics (tiny in tests)")
    ran: list[tuple[str, Any]] = []
    connection = session.connection()

    def seen(conn, cursor, statement, parameters, context, executemany):
        ran.append((statement, parameters))

    _, diner = registered_diner(client, session, settings)
    event.listen(connection, "before_cursor_execute", seen)
    try:
        audit_page(
            session, staff=staff, limit=50, offset=0, f=AuditFilter(diner_id=diner, cook_id=7)
        )
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    looked_up = []
    for statement, parameters in ran:
        if "FROM audit_entry" not in statement:
            continue
        steps = [
            row[-1]
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        ]
        assert not any("SCAN" in step for step in steps), (statement, steps)
        looked_up += [s for s in steps if "ix_audit_entry_action_subject" in s]
    index = "SEARCH audit_entry USING INDEX ix_audit_entry_action_subject"
    # The covers (of the diners the cook brings meals to or was told about, by their own
    # indexes: no SCAN above), then the carer's requests: each to its diners' or carer's
    # entries, not every cover recorded in any council.
    assert looked_up == 2 * [f"{index} (action=? AND subject_type=? AND subject_id=?)"]
