"""Writing to the append-only audit log, inside the caller's transaction."""

from __future__ import annotations

from sqlmodel import Session

from app.models import AuditEntry


def audit_entry(
    *,
    actor_id: int | None,
    council_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    data: dict[str, object] | None = None,
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
