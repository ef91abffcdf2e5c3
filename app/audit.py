"""Writing to the append-only audit log, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.db import utcnow
from app.models import AuditEntry

# A person who opens a record again within this time of their last view of it (a reload, the
# record and then its concern page) adds no entry: one says who saw what, and when, and ten
# more from reloading one page buried everything else in the log (a newcomer's walk). Short,
# so that a view later in the day is an entry of its own.
VIEW_WINDOW = timedelta(minutes=10)


def audit_entry(
    *,
    actor_id: int | None,
    council_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    data: dict[str, object] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """An audit entry not yet in any session: for `db.own_transaction`, when what it records
    (the view of an address by a GET) must be kept whatever becomes of the request."""
    return AuditEntry(
        actor_id=actor_id,
        council_id=council_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        data=data or {},
        at=at or utcnow(),
    )


def record_audit(
    session: Session,
    *,
    actor_id: int | None,
    council_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    data: dict[str, object] | None = None,
) -> AuditEntry:
    """Add an audit entry; the caller's commit makes it durable with the change it records."""
    entry = audit_entry(
        actor_id=actor_id,
        council_id=council_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        data=data,
    )
    session.add(entry)
    return entry


def record_view(
    session: Session,
    *,
    actor_id: int | None,
    council_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
) -> AuditEntry | None:
    """Audit that a person was shown a record (`action`: what kind of view), unless the same
    person's same kind of view of it is in the log already within `VIEW_WINDOW`; the new
    entry, or None. Inside `db.writing` on a GET, as `record_audit`."""
    entries = views_to_record(
        session,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subjects={subject_id: council_id},
    )
    session.add_all(entries)
    return entries[0] if entries else None


def views_to_record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subjects: Mapping[int | None, int | None],
) -> list[AuditEntry]:
    """The entries (not yet added) for a person's view of several records at once (`subjects`:
    each record's id and council), leaving out those they saw within `VIEW_WINDOW`: a cook's
    list shows each of their diners' addresses. One look-up for all of them, through
    ix_audit_entry_action_subject (the kind of view and the record, then time), so it reads
    only the few entries of these records in the window however busy the council or long
    the log. Two loads at the same moment may both miss the other and both write: an extra
    entry, never a missing one."""
    now = utcnow()
    wanted = [subject for subject in subjects if subject is not None]
    seen: set[int | None] = set()
    if actor_id is not None and wanted:
        recent = select(AuditEntry.subject_id).where(
            AuditEntry.action == action,
            AuditEntry.subject_type == subject_type,
            col(AuditEntry.subject_id).in_(wanted),
            col(AuditEntry.at) >= now - VIEW_WINDOW,
            AuditEntry.actor_id == actor_id,
        )
        # No autoflush: inside `db.writing` the entries added so far wait to be kept apart,
        # and a GET's session refuses to flush.
        with session.no_autoflush:
            seen = set(session.exec(recent).all())
    return [
        audit_entry(
            actor_id=actor_id,
            council_id=council_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject,
            at=now,  # the time the window was read from (a test moves this clock)
        )
        for subject, council_id in subjects.items()
        if subject not in seen
    ]
