"""A person asks for their data to be erased: the council that holds it is told, and acts.

Erasure itself stays with staff (erase_diner, erase_cook in privacy/service.py): it ends
pairings and cannot be undone, so a person's request reaches the coordinator of each relative's
neighbourhood (or the council's staff), who erase within the month the law allows. The request
is audited with ids only; asking twice tells nobody twice the same day. Until staff carry it
out, the relatives it names (those the person had when asking) are held out of matching
(app/diners/erasure_hold.py); one registered after is not, and asking again names them too.

While it is still to do the person may take it back (withdraw_erasure: Dad is not moving into a
home after all): those the request told hear that nothing is to be erased, and the relatives it
held are matched again. Asking again after that holds them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from app.audit import record_audit
from app.config import Settings
from app.councils.rules import local_date
from app.db import utcnow
from app.diners.erasure_hold import (
    ERASURE_REQUESTED,
    ERASURE_WITHDRAWN,
    erasure_asked_on,
    erasure_firsts,
    still_to_do,
)
from app.diners.rules import erase_by
from app.diners.service import alert_recipients
from app.models import AuditEntry, Council, Diner, User
from app.notifications import messages
from app.notifications.outbox import enqueue, tell

# erase_by and erasure_asked_on live a layer down, in app/diners (matching reads them too).
__all__ = [
    "erase_by",
    "erasure_asked_on",
    "erasure_begun",
    "erasures_waiting",
    "request_erasure",
    "withdraw_erasure",
]


def _holders(session: Session, diners: Sequence[Diner], settings: Settings) -> dict[int, list[str]]:
    """Who is told of a request about these relatives, each with the links to the records they
    can open: each relative's coordinator (else the staff), or, when nobody holds a relative,
    the service's administrators."""
    told: dict[int, list[str]] = {}
    for diner in diners:
        for to in alert_recipients(session, diner):  # the coordinator, else the staff
            told.setdefault(to, []).append(settings.link(f"/staff/diners/{diner.id}"))
    if not told:  # nobody holds a relative of theirs: the service's administrators act
        admins = session.exec(
            select(User.id).where(User.role == "admin", col(User.is_active).is_(True))
        ).all()
        told = {a: [] for a in admins if a is not None}
    return told


def _record_per_council(
    session: Session, *, user_id: int, action: str, diners: Sequence[Diner]
) -> None:
    """An entry for each council holding one of `diners`, naming only its own: one council's
    log listed another's diners (a security review); none, one entry of no council."""
    held: dict[int | None, list[int | None]] = {}
    for diner in diners:
        held.setdefault(diner.council_id, []).append(diner.id)
    for council_id, diner_ids in sorted(held.items()) if held else [(None, [])]:
        record_audit(
            session,
            actor_id=user_id,
            council_id=council_id,
            action=action,
            subject_type="user",
            subject_id=user_id,
            data={"diner_ids": diner_ids},
        )


def request_erasure(session: Session, *, user: User, settings: Settings) -> int:
    """Tell whoever holds the person's data (and their relatives') to erase it, with links to
    the relatives' records each can open; returns how many people were told."""
    diners = session.exec(
        select(Diner).where(Diner.carer_id == user.id, col(Diner.anonymised_at).is_(None))
    ).all()
    told = _holders(session, diners, settings)
    # Asking twice tells nobody twice the same day, unless a relative was registered since:
    # the request now names them, and their coordinator must hear of it. Nor after taking it
    # back: the request is new, and those told it was taken back must hear of it again.
    today = f"{utcnow().date().isoformat()}:{len(diners)}"
    withdrawn = session.execute(
        core_select(func.max(col(AuditEntry.at))).where(
            col(AuditEntry.action) == ERASURE_WITHDRAWN,
            col(AuditEntry.subject_type) == "user",
            col(AuditEntry.subject_id) == user.id,
        )
    ).scalar()
    if withdrawn is not None:
        today += f":{withdrawn:%Y%m%dT%H%M%S%f}"
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
    _record_per_council(session, user_id=user.id, action=ERASURE_REQUESTED, diners=diners)
    session.flush()
    return len(told)


def erasure_begun(session: Session, *, carer_id: int) -> bool:
    """Whether staff have already erased a relative the carer's requests still to do name: the
    erasure is under way and cannot be undone, so the request can no longer be taken back (a
    review: taken back between a relative's erasure and the carer's own, it told the
    administrators instead of the coordinator, and the carer that nothing would be erased)."""
    named = erasure_firsts(session, carer_ids=[carer_id])
    if not named:
        return False
    erased = select(Diner.id).where(
        col(Diner.id).in_(sorted(named)), col(Diner.anonymised_at).is_not(None)
    )
    return session.exec(erased.limit(1)).first() is not None


def withdraw_erasure(session: Session, *, user: User, settings: Settings) -> int:
    """Take back the person's requests still to do: nothing is to be erased, and the relatives
    they named are matched again. Those the requests told hear it (the relatives'
    coordinators, else the staff, else the administrators), and the person; returns how many
    people were told, 0 when nothing was still to do (then nothing changes)."""
    assert user.id is not None
    if user.anonymised_at is not None:
        return 0
    since = session.execute(
        core_select(func.min(col(AuditEntry.at))).where(
            *still_to_do(), col(AuditEntry.subject_id) == user.id
        )
    ).scalar()
    if since is None or erasure_begun(session, carer_id=user.id):
        return 0
    named = erasure_firsts(session, carer_ids=[user.id])
    diners = session.exec(
        select(Diner)
        .where(Diner.carer_id == user.id, col(Diner.anonymised_at).is_(None))
        .order_by(col(Diner.id))
    ).all()
    held = [d for d in diners if d.id in named]
    told = _holders(session, held, settings)
    # Once per request taken back: the same requests cannot be taken back twice, and a later
    # one taken back is a new message.
    key = f"{user.id}:{since:%Y%m%dT%H%M%S%f}"
    for to, records in sorted(told.items()):
        tell(
            session,
            messages.erasure_withdrawn(account_id=user.id, records=records),
            to=to,
            dedupe_key=f"erasure_withdrawn:{key}",
        )
    taken_back = messages.erasure_taken_back(full_name=user.full_name)
    tell(session, taken_back, to=user, dedupe_key=f"erasure_taken_back:{key}")
    _record_per_council(session, user_id=user.id, action=ERASURE_WITHDRAWN, diners=held)
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
        .where(*still_to_do())  # not taken back since
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
