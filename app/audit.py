"""Writing to the append-only audit log, inside the caller's transaction."""

from __future__ import annotations

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
    entry, or None. Inside `db.writing` on a GET, as `record_audit`.

    The look-up is one small read of the council's last minutes (ix_audit_entry_council_at:
    council and time, then the few entries in that range), so a record's page costs no more
    as its log grows. Two loads at the same moment may both miss the other and both write:
    an extra entry, never a missing one."""
    now = utcnow()
    recent = (
        select(AuditEntry.id)
        .where(
            AuditEntry.council_id == council_id,
            col(AuditEntry.at) >= now - VIEW_WINDOW,
            AuditEntry.actor_id == actor_id,
            AuditEntry.action == action,
            AuditEntry.subject_type == subject_type,
            AuditEntry.subject_id == subject_id,
        )
        .limit(1)
    )
    # No autoflush: inside `db.writing` the entries added so far wait to be kept apart, and a
    # GET's session refuses to flush.
    with session.no_autoflush:
        if actor_id is not None and session.exec(recent).first() is not None:
            return None
    entry = audit_entry(
        actor_id=actor_id,
        council_id=council_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        at=now,  # the time the window was read from (a test moves this clock)
    )
    session.add(entry)
    return entry
