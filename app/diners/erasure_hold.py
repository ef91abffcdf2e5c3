"""A relative whose carer asked for their data to be erased is held out of anything new.

The request (app/privacy/erasure_requests.py) is recorded only in the audit log, as an
ERASURE_REQUESTED entry about the carer's account per council, naming in its data the
relatives the carer had there when they asked (``diner_ids``); staff carry it out within the
month the law allows (``rules.erase_by``). Until then each relative it names keeps the meals
already planned (they still need food, and PRODUCT.md says nothing of stopping them), but no
cook is newly sent their needs: the batch, its preview, suggestions, a proposal by hand, the
next-best proposal after a decline and a cover leave them out (a cover goes only to a cook they
have met), and an end of their meals says that their data is to be erased instead of "back in
matching" (a newcomer's walk found staff inviting a new cook with the needs of a man whose
family had asked).

A relative the carer registers after asking is not named, so not held: the request did not
cover them (staff are not asked to erase them), and they are matched as any other; asking
again names them too. The hold was once the carer's, and held such a relative for ever,
never matched and never to be erased (a review).

A carer may take their request back while it is still to do (app/privacy/erasure_requests.py
withdraw_erasure): an ERASURE_WITHDRAWN entry about their account per council. A request counts
as still to do only if no withdrawal by the same carer came at or after it (``_not_withdrawn``,
read through the same index), so asking again after taking it back holds again.

The requests still to do are few (each carer's few, until staff erase the carer's account), so
they are read whole through ix_audit_entry_action_subject and their ``diner_ids`` read in
Python: JSON in SQL differs between SQLite and PostgreSQL, and a list of diner ids in the
query would meet the databases' limits on bound parameters.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, exists, func
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.councils.rules import HasTimezone, local_date
from app.diners.rules import erase_by
from app.models import AuditEntry, Diner, User

ERASURE_REQUESTED = "erasure.requested"  # the action app.privacy.erasure_requests records
ERASURE_WITHDRAWN = "erasure.withdrawn"  # the carer took their requests back (same module)

_withdrawal = aliased(AuditEntry, name="withdrawal")


def _not_withdrawn() -> ColumnElement[bool]:
    """SQL: the request (the enclosing query's AuditEntry row) was not taken back: NOT EXISTS a
    withdrawal by the same carer at or after it, one probe of ix_audit_entry_action_subject."""
    return ~exists().where(
        col(_withdrawal.action) == ERASURE_WITHDRAWN,
        col(_withdrawal.subject_type) == "user",
        col(_withdrawal.subject_id) == col(AuditEntry.subject_id),
        col(_withdrawal.at) >= col(AuditEntry.at),
    )


def still_to_do() -> tuple[ColumnElement[bool], ...]:
    """SQL: the AuditEntry rows that are carers' requests to be erased not taken back since."""
    return (
        col(AuditEntry.action) == ERASURE_REQUESTED,
        col(AuditEntry.subject_type) == "user",
        _not_withdrawn(),
    )


def _requests_of(carer_id: Any) -> Any:
    return (*still_to_do(), col(AuditEntry.subject_id) == carer_id)


def first_erasure_ask(carer_id: Any) -> ScalarSelect[datetime]:
    """SQL: when the carer first asked (NULL if never), whichever relatives they named: a
    cheap first look, in a query that reads the diner already; ``erasure_firsts`` then says
    which relatives the requests name (most carers never asked, and cost nothing more)."""
    first = core_select(func.min(col(AuditEntry.at))).where(*_requests_of(carer_id))
    return first.scalar_subquery()


def erasure_asked(carer_id: Any) -> ColumnElement[bool]:
    """SQL: the carer (a column, e.g. ``Diner.carer_id``) has a request still to do (not taken
    back since, their account not yet erased): IN the few who asked, a list both databases
    build once (the NOT EXISTS inside is per request, not per diner; a test
    per diner, NOT EXISTS, led PostgreSQL to a nested loop: 1.6 s against 0.12 s for 100,000
    diners). A cheap first look, as ``first_erasure_ask``: ``erasure_firsts`` then says which
    relatives the requests name."""
    asked = (
        core_select(col(AuditEntry.subject_id))
        .join(User, col(User.id) == col(AuditEntry.subject_id))
        .where(*still_to_do(), col(User.anonymised_at).is_(None))
    )
    return carer_id.in_(asked)


def erasure_firsts(
    session: Session, *, carer_ids: Collection[int] | None = None
) -> dict[int, datetime]:
    """Each diner named by a request still to do (the carer's account not yet erased), with
    when a request first named them: the law's month runs from then. Only the requests of
    `carer_ids` (a page's few carers) when given, else all of them (a batch's)."""
    query = (
        core_select(col(AuditEntry.at), col(AuditEntry.data))
        .join(User, col(User.id) == col(AuditEntry.subject_id))
        .where(*still_to_do(), col(User.anonymised_at).is_(None))
    )
    if carer_ids is not None:
        query = query.where(col(AuditEntry.subject_id).in_(sorted(set(carer_ids))))
    firsts: dict[int, datetime] = {}
    for at, data in session.execute(query).all():
        for diner_id in (data or {}).get("diner_ids") or []:
            if diner_id not in firsts or at < firsts[diner_id]:
                firsts[diner_id] = at
    return firsts


def held_diner_ids(session: Session) -> frozenset[int]:
    """The diners held out of matching, for a batch to leave out by id as it reads its rows."""
    return frozenset(erasure_firsts(session))


@dataclass(frozen=True, slots=True)
class ErasureHold:
    """A diner held out of matching: their carer asked on `asked_on`; erase by `due_on`."""

    asked_on: date
    due_on: date


def hold_from(first_ask: datetime | None, council: HasTimezone | None) -> ErasureHold | None:
    """The hold of a diner whose carer first asked at `first_ask` (None: no hold), on the
    council's calendar (else UTC's)."""
    if first_ask is None:
        return None
    asked = local_date(first_ask, council) if council is not None else first_ask.date()
    return ErasureHold(asked, erase_by(asked))


def erasure_holds(
    session: Session, *, diners: Collection[Diner], council: HasTimezone | None = None
) -> dict[int, ErasureHold]:
    """The holds of these diners (by id; one query for them all), those not yet erased whom
    a request of their carer names."""
    carers = {d.carer_id for d in diners if d.carer_id is not None and d.anonymised_at is None}
    if not carers:
        return {}
    firsts = erasure_firsts(session, carer_ids=carers)
    asked = {d.id: firsts.get(d.id) for d in diners if d.id is not None and d.anonymised_at is None}
    return {i: hold for i, at in asked.items() if (hold := hold_from(at, council)) is not None}


def erasure_asked_on(
    session: Session, *, carer_id: int, council: HasTimezone | None = None
) -> date | None:
    """When the carer first asked for their data (and their relatives') to be erased, while it
    is still to do (their account not yet erased), on the council's calendar (else UTC's):
    the carer's own request, whichever relatives it named."""
    carer = session.get(User, carer_id)
    if carer is None or carer.anonymised_at is not None:
        return None
    hold = hold_from(session.execute(core_select(first_erasure_ask(carer_id))).scalar(), council)
    return hold.asked_on if hold is not None else None


def erasure_hold(
    session: Session, *, diner: Diner, council: HasTimezone | None = None
) -> ErasureHold | None:
    """Whether the diner is held out of matching: a request of their carer names them, and
    the diner is not erased yet (then there is nothing left to hold)."""
    return erasure_holds(session, diners=[diner], council=council).get(diner.id or 0)
