"""What a batch confirmation did, kept so that its result can be shown again by GET.

The staff pages answer a confirmation with a redirect (post / redirect / get), so the result
page must find the outcome again, in whichever app process serves it. It is kept where every
staff decision is kept anyway: one ``matching.confirmed`` audit entry per confirmation (as
``matching.run`` has one), its id the result page's. Ids and rule codes only (the log holds no
personal data, and the refusals' messages name people): the page words them from the codes and
today's names. No table of its own to migrate, prune or erase from, and the entry is the record
of the decision whatever else becomes of the page. Only the staff member who confirmed, in
their council, reads it back: anyone else gets 404, as for a record of another council.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.audit import record_audit
from app.councils.service import staff_council
from app.db import utcnow
from app.errors import NotFound
from app.models import AuditEntry, Council, Pairing, User

CONFIRMED = "matching.confirmed"
CHUNK = 10_000  # ids a query asks for at once (a big council's batch has more)
# How long the pairs a staff member left out of a confirmation stay unticked on their next
# previews: Back from the result, or a new preview soon after, ticked them all again, and Send
# would have invited the very pair they had just decided against (a review). Later, a preview
# is a fresh look.
LEFT_OUT_FOR = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A confirmation's outcome: when, the pairings proposed, the pairs refused (with the rule's
    code, as ``RefusedOut.reason``) and the preview's pairs left unticked."""

    at: datetime
    invited: list[Pairing]
    refused: list[tuple[int, int, str]]
    unticked: list[tuple[int, int]]


def record_outcome(
    session: Session,
    *,
    staff: User,
    council: Council,
    pairing_ids: list[int],
    refused: list[tuple[int, int, str]],
    unticked: list[tuple[int, int]],
) -> int:
    """Audit a confirmation with what it did; its id names the outcome for ``read_outcome``."""
    entry = record_audit(
        session,
        actor_id=staff.id,
        council_id=council.id,
        action=CONFIRMED,
        subject_type="council",
        subject_id=council.id,
        data={
            "proposed": len(pairing_ids),
            "refused": len(refused),
            "unticked": len(unticked),
            "pairing_ids": pairing_ids,
            "refused_pairs": [list(r) for r in refused],
            "unticked_pairs": [list(u) for u in unticked],
        },
    )
    session.flush()
    assert entry.id is not None
    return entry.id


def read_outcome(session: Session, *, staff: User, outcome_id: int) -> Outcome:
    """The outcome of one of this staff member's confirmations, in their council; else 404."""
    council = staff_council(session, staff)
    entry = session.get(AuditEntry, outcome_id)
    if (
        entry is None
        or entry.action != CONFIRMED
        or entry.actor_id != staff.id
        or entry.council_id != council.id
    ):
        raise NotFound("Matching result not found")
    data = entry.data
    return Outcome(
        at=entry.at,
        invited=_pairings(session, [int(i) for i in _list(data, "pairing_ids")]),
        refused=[(int(d), int(c), str(r)) for d, c, r in _list(data, "refused_pairs")],
        unticked=[(int(d), int(c)) for d, c in _list(data, "unticked_pairs")],
    )


def _list(data: dict[str, object], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def _pairings(session: Session, ids: Iterable[int]) -> list[Pairing]:
    """The pairings in the order given (history is never deleted, so each is found)."""
    wanted = list(ids)
    found: dict[int | None, Pairing] = {}
    for i in range(0, len(wanted), CHUNK):
        part = wanted[i : i + CHUNK]
        found |= {p.id: p for p in session.exec(select(Pairing).where(col(Pairing.id).in_(part)))}
    return [found[i] for i in wanted if i in found]


@dataclass(frozen=True, slots=True)
class LeftOut:
    """The pairs (diner id, cook id) a staff member unticked in their last confirmation, and
    when they sent it."""

    at: datetime
    pairs: frozenset[tuple[int, int]]


def left_out_lately(session: Session, *, staff: User) -> LeftOut | None:
    """The pairs this staff member left out of their latest confirmation in their council,
    within `LEFT_OUT_FOR`; None when there is none (or it left nothing out)."""
    entry = session.exec(
        select(AuditEntry)
        .where(
            AuditEntry.council_id == staff.council_id,
            col(AuditEntry.at) >= utcnow() - LEFT_OUT_FOR,
            AuditEntry.actor_id == staff.id,
            AuditEntry.action == CONFIRMED,
        )
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(1)
    ).first()
    if entry is None:
        return None
    pairs = frozenset((int(d), int(c)) for d, c in _list(entry.data, "unticked_pairs"))
    return LeftOut(entry.at, pairs) if pairs else None
