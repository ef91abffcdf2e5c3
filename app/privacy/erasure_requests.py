"""A person asks for their data to be erased: the council that holds it is told, and acts.

Erasure itself stays with staff (erase_diner, erase_cook in privacy/service.py): it ends
pairings and cannot be undone, so a person's request reaches the coordinator of each relative's
neighbourhood (or the council's staff), who erase within the month the law allows. The request
is audited with ids only; asking twice tells nobody twice the same day. Until staff carry it
out, the relatives it names (those the person had when asking) are held out of matching
(app/diners/erasure_hold.py); one registered after is not, and asking again names them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from app.audit import record_audit
from app.config import Settings
from app.councils.rules import local_date
from app.db import utcnow
from app.diners.erasure_hold import ERASURE_REQUESTED, erasure_asked_on, erasure_firsts
from app.diners.rules import erase_by
from app.diners.service import alert_recipients
from app.models import AuditEntry, Council, Diner, User
from app.notifications import messages
from app.notifications.outbox import enqueue, tell

# erase_by and erasure_asked_on live a layer down, in app/diners (matching reads them too).
__all__ = ["erase_by", "erasure_asked_on", "erasures_waiting", "request_erasure"]


def request_erasure(session: Session, *, user: User, settings: Settings) -> int:
    """Tell whoever holds the person's data (and their relatives') to erase it, with links to
    the relatives' records each can open; returns how many people were told."""
    diners = session.exec(
        select(Diner).where(Diner.carer_id == user.id, col(Diner.anonymised_at).is_(None))
    ).all()
    told: dict[int, list[str]] = {}
    for diner in diners:
        for to in alert_recipients(session, diner):  # the coordinator, else the staff
            told.setdefault(to, []).append(settings.link(f"/staff/diners/{diner.id}"))
    if not told:  # nobody holds a relative of theirs: the service's administrators act
        admins = session.exec(
            select(User.id).where(User.role == "admin", col(User.is_active).is_(True))
        ).all()
        told = {a: [] for a in admins if a is not None}
    # Asking twice tells nobody twice the same day, unless a relative was registered since:
    # the request now names them, and their coordinator must hear of it.
    today = f"{utcnow().date().isoformat()}:{len(diners)}"
    council = session.get(Council, diners[0].council_id) if diners else None
    due = erase_by(local_date(utcnow(), council) if council else utcnow().date())
    assert user.id is not None
    for to, records in sorted(told.items()):
        request = messages.erasure_requested(account_id=user.id, due=due, records=records)
        enqueue(
            session,
            event=request.event,
            to=to,
            subject=request.subject,
            body=request.body,
            dedupe_key=f"erasure:{user.id}:{today}",
        )
    asked = messages.erasure_asked(full_name=user.full_name, due=due)
    tell(session, asked, to=user, dedupe_key=f"erasure_asked:{user.id}:{today}")
    # An entry for each council holding a relative, naming only its own: one council's log
    # listed another's diners (a security review).
    held: dict[int | None, list[int | None]] = {}
    for diner in diners:
        held.setdefault(diner.council_id, []).append(diner.id)
    for council_id, diner_ids in sorted(held.items()) if held else [(None, [])]:
        record_audit(
            session,
            actor_id=user.id,
            council_id=council_id,
            action=ERASURE_REQUESTED,
            subject_type="user",
            subject_id=user.id,
            data={"diner_ids": diner_ids},
        )
    session.flush()
    return len(told)


@dataclass(frozen=True, slots=True)
class ErasureWaiting:
    """A carer's request to be erased, still to do, for a council that holds a relative."""

    carer_name: str
    relatives: list[tuple[int, str]]  # (diner id, full name) of theirs in the council
    asked_on: date
    due_on: date


def erasures_waiting(session: Session, *, council_id: int) -> list[ErasureWaiting]:
    """The requests the council's staff have to act on, the oldest first: each carer who asked
    and is not yet erased, with a relative in the council (staff learnt of them only from the
    email and a banner on each record; the staff home had no list, a browser walk found)."""
    firsts = (
        select(AuditEntry.subject_id, func.min(AuditEntry.at).label("first"))
        .where(AuditEntry.action == ERASURE_REQUESTED, AuditEntry.subject_type == "user")
        .group_by(col(AuditEntry.subject_id))
        .subquery()
    )
    rows = session.execute(
        core_select(
            col(User.id), col(User.full_name), firsts.c.first, col(Diner.id), col(Diner.full_name)
        )
        .join(firsts, firsts.c.subject_id == col(User.id))
        .join(Diner, col(Diner.carer_id) == col(User.id))
        .where(col(User.anonymised_at).is_(None), col(Diner.council_id) == council_id)
        .order_by(firsts.c.first, col(User.id), col(Diner.id))
    ).all()
    # Only the relatives a request names: one the carer registered after asking is not to be
    # erased (staff were told to erase them; app/diners/erasure_hold.py).
    named = erasure_firsts(session, carer_ids={row[0] for row in rows})
    waiting: dict[int, ErasureWaiting] = {}
    council = session.get(Council, council_id)
    assert council is not None
    for carer_id, carer_name, first, diner_id, diner_name in rows:
        if diner_id not in named:
            continue
        asked = local_date(first, council)
        found = waiting.setdefault(carer_id, ErasureWaiting(carer_name, [], asked, erase_by(asked)))
        found.relatives.append((diner_id, diner_name))
    return list(waiting.values())
