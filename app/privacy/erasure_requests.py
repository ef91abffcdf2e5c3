"""A person asks for their data to be erased: the council that holds it is told, and acts.

Erasure itself stays with staff (erase_diner, erase_cook in privacy/service.py): it ends
pairings and cannot be undone, so a person's request reaches the coordinator of each relative's
neighbourhood (or the council's staff), who erase within the month the law allows. The request
is audited with ids only; asking twice tells nobody twice the same day.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, func, select

from app.audit import record_audit
from app.config import Settings
from app.db import utcnow
from app.diners.service import alert_recipients
from app.models import AuditEntry, Diner, User
from app.notifications import messages
from app.notifications.outbox import enqueue

ANSWER_WITHIN_DAYS = 30  # UK GDPR: one month to act on an erasure request


def request_erasure(session: Session, *, user: User, settings: Settings) -> int:
    """Tell whoever holds the person's data (and their relatives') to erase it, with links to
    the relatives' records each can open; returns how many people were told."""
    diners = session.exec(
        select(Diner).where(Diner.carer_id == user.id, col(Diner.anonymised_at).is_(None))
    ).all()
    told: dict[int, list[str]] = {}
    base = settings.public_url.rstrip("/")
    for diner in diners:
        for to in alert_recipients(session, diner):  # the coordinator, else the staff
            told.setdefault(to, []).append(f"{base}/staff/diners/{diner.id}")
    if not told:  # nobody holds a relative of theirs: the service's administrators act
        admins = session.exec(
            select(User.id).where(User.role == "admin", col(User.is_active).is_(True))
        ).all()
        told = {a: [] for a in admins if a is not None}
    today = utcnow().date().isoformat()
    assert user.id is not None
    for to, records in sorted(told.items()):
        request = messages.erasure_requested(
            account_id=user.id, within_days=ANSWER_WITHIN_DAYS, records=records
        )
        enqueue(
            session,
            event=request.event,
            to=to,
            subject=request.subject,
            body=request.body,
            dedupe_key=f"erasure:{user.id}:{today}",
        )
    record_audit(
        session,
        actor_id=user.id,
        council_id=diners[0].council_id if diners else None,
        action="erasure.requested",
        subject_type="user",
        subject_id=user.id,
        data={"diner_ids": [d.id for d in diners]},
    )
    session.flush()
    return len(told)


def erasure_asked_on(session: Session, *, carer_id: int) -> date | None:
    """When the carer first asked for their data (and their relatives') to be erased, while it
    is still to do (their account not yet erased): the law's month runs from the first ask."""
    carer = session.get(User, carer_id)
    if carer is None or carer.anonymised_at is not None:
        return None
    first = session.exec(
        select(func.min(AuditEntry.at)).where(
            AuditEntry.action == "erasure.requested",
            AuditEntry.subject_type == "user",
            AuditEntry.subject_id == carer_id,
        )
    ).one()
    return first.date() if first is not None else None
