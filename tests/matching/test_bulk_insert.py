"""app.matching.bulk.insert_rows (executemany on SQLite, COPY on PostgreSQL) writes the rows a
Core ``insert(table)`` of the same values writes: the batch's three tables, read back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, Text, cast, insert, select
from sqlmodel import Session

from app.config import Settings
from app.db import READ_ONLY, WROTE, ReadOnlySessionError
from app.matching.bulk import insert_rows
from app.models import AuditEntry, Notification, Pairing, User
from app.vocab import EndReason, Frequency, PairingStatus
from tests.factories import approved_cook, registered_diner

# Not UTC, with microseconds: the column stores it in UTC, as the model's type does.
AT = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30)))


def table(model: Any) -> Table:
    found = model.__table__
    assert isinstance(found, Table)
    return found


def written(session: Session, model: Any, where: Any, skip: tuple[str, ...]) -> list[dict]:
    t = table(model)
    rows = session.connection().execute(select(t).where(where).order_by(t.c.id)).mappings()
    return [{k: v for k, v in row.items() if k not in skip} for row in rows]


def stored(session: Session, model: Any, where: Any, skip: tuple[str, ...]) -> list[tuple]:
    """Every column as the database shows it as text: what is stored, before any reading."""
    t = table(model)
    shown = [cast(c, Text) for c in t.columns if c.name not in skip]
    return [
        tuple(r) for r in session.connection().execute(select(*shown).where(where).order_by(t.c.id))
    ]


def both_ways(
    session: Session, model: Any, columns: tuple[str, ...], rows: list[tuple], same: dict
) -> None:
    """The rows through insert_rows, then through a Core insert (same values)."""
    insert_rows(session, table(model), columns, rows[: len(rows) // 2], same=same)
    session.execute(
        insert(table(model)),
        [dict(zip(columns, r, strict=True)) | same for r in rows[len(rows) // 2 :]],
    )


@pytest.fixture
def people(client: TestClient, session: Session, settings: Settings, staff: User) -> tuple:
    cook, cook_id = approved_cook(client, session, settings, staff)
    _, diner_id = registered_diner(client, session, settings)
    return cook, cook_id, diner_id


def test_pairings_audit_entries_and_notifications_equal_a_core_insert(
    session: Session, staff: User, people: tuple
):
    cook, cook_id, diner_id = people
    council_id = staff.council_id
    columns = ("id", "council_id", "cook_id", "diner_id", "weekday", "start", "frequency",
               "distance_m", "end_reason", "ended_at")  # fmt: skip
    pairings = [
        (900_001, council_id, cook_id, diner_id, 2, "17:30", Frequency.weekly, 412.25,
         EndReason.withdrawn, AT),
        (900_002, council_id, cook_id, diner_id, 6, "12:00", "fortnightly", 0.0, None, None),
        (900_003, council_id, cook_id, diner_id, 2, "17:30", Frequency.weekly, 412.25,
         EndReason.withdrawn, AT),
        (900_004, council_id, cook_id, diner_id, 6, "12:00", "fortnightly", 0.0, None, None),
    ]  # fmt: skip
    same = {"status": PairingStatus.ended, "proposed_by_id": staff.id, "proposed_at": AT}
    both_ways(session, Pairing, columns, pairings, same)
    where = Pairing.id >= 900_001  # type: ignore[operator]
    raw = stored(session, Pairing, where, ("id",))
    assert raw[:2] == raw[2:]
    found = written(session, Pairing, where, ("id",))
    assert len(found) == 4
    assert found[:2] == found[2:]
    assert (found[0]["end_reason"], found[0]["ended_at"]) == (EndReason.withdrawn, AT)
    assert found[0]["ended_at"].utcoffset() == timedelta(0)  # stored in UTC
    assert (found[1]["end_reason"], found[1]["ended_at"]) == (None, None)
    assert found[0]["status"] == PairingStatus.ended

    data = [{"cook_id": cook_id, "note": "Zoë's “quotes”\t\\ and\nlines"}, {"list": [1, 2.5, None]}]
    audits = [(council_id, 900_001, d) for d in data * 2]
    same = {"at": AT, "actor_id": staff.id, "action": "test.bulk", "subject_type": "pairing"}
    both_ways(session, AuditEntry, ("council_id", "subject_id", "data"), audits, same)
    raw = stored(session, AuditEntry, AuditEntry.action == "test.bulk", ("id",))
    assert raw[:2] == raw[2:]
    found = written(session, AuditEntry, AuditEntry.action == "test.bulk", ("id",))
    assert len(found) == 4
    assert found[:2] == found[2:]
    assert [row["data"] for row in found[:2]] == data

    notes = [
        (f"test:{i}", "proposal", "email", cook.id, diner_id if i % 2 else None, "Hello",
         "Two\nlines, a tab\t and a backslash \\N", f"<{i % 2}@x>")
        for i in range(4)
    ]  # fmt: skip
    columns = ("dedupe_key", "event", "channel", "to_user_id", "about_diner_id", "subject",
               "body", "message_id")  # fmt: skip
    same = {"status": "pending", "attempts": 0, "next_attempt_at": AT, "created_at": AT}
    both_ways(session, Notification, columns, notes, same)
    where = Notification.dedupe_key.startswith("test:")  # type: ignore[attr-defined]
    raw = stored(session, Notification, where, ("id", "dedupe_key"))
    assert raw[:2] == raw[2:]
    found = written(session, Notification, where, ("id", "dedupe_key"))
    assert len(found) == 4
    assert found[:2] == found[2:]
    assert found[0] != found[1]


def test_a_column_with_a_default_must_be_given(session: Session, staff: User, people: tuple):
    _, cook_id, diner_id = people
    with pytest.raises(ValueError, match="status, proposed_at"):
        insert_rows(
            session,
            table(Pairing),
            (
                "id",
                "council_id",
                "cook_id",
                "diner_id",
                "weekday",
                "start",
                "frequency",
                "distance_m",
            ),
            [(900_001, staff.council_id, cook_id, diner_id, 2, "17:30", "weekly", 1.0)],
        )


def test_a_read_only_session_refuses_and_a_write_is_noted(session: Session, staff: User):
    same = {"at": AT, "actor_id": staff.id, "action": "test.bulk", "subject_type": "x"}
    session.info[READ_ONLY] = True
    with pytest.raises(ReadOnlySessionError):
        insert_rows(session, table(AuditEntry), ("data",), [({},)], same=same)
    session.info.pop(READ_ONLY)
    session.info.pop(WROTE, None)
    insert_rows(session, table(AuditEntry), ("data",), [({},)], same=same)
    assert session.info[WROTE] is True
