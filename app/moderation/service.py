"""Vetting cooks: approve with recorded checks, reject, suspend, reinstate; all audited."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from sqlmodel import Session, col, select

from app.audit import record_audit
from app.councils.service import staff_council
from app.db import paginate, utcnow
from app.diners.service import council_today
from app.errors import Conflict, NotFound, RuleBroken
from app.models import AuditEntry, Cook, Council, Neighbourhood, User
from app.moderation.schemas import ApproveIn, CookListItem
from app.notifications.outbox import enqueue
from app.vocab import DBS_RANK, CookStatus, DbsLevel


class _Checked(Protocol):
    status: str
    dbs_checked_on: date | None


def checks_expire_on(cook: _Checked, council: Council) -> date | None:
    if cook.dbs_checked_on is None:
        return None
    return cook.dbs_checked_on + timedelta(days=council.dbs_recheck_days)


def is_matchable(cook: _Checked, council: Council, today: date) -> bool:
    """Approved, not suspended, and the DBS check still in date."""
    expires = checks_expire_on(cook, council)
    return cook.status == CookStatus.approved and expires is not None and expires >= today


def get_councils_cook(session: Session, *, staff: User, cook_id: int) -> Cook:
    """A cook of the staff member's own council; another council's is 'not found'."""
    cook = session.get(Cook, cook_id)
    if cook is None or cook.council_id != staff.council_id:
        raise NotFound("Cook not found")
    return cook


def list_council_cooks(
    session: Session,
    *,
    staff: User,
    status: CookStatus | None,
    due_within_days: int | None,
    limit: int,
    offset: int,
) -> tuple[list[CookListItem], int]:
    """The council's cooks by status; or those whose checks expire within N days."""
    council = staff_council(session, staff)
    query = select(Cook).where(Cook.council_id == council.id)
    if status is not None:
        query = query.where(Cook.status == status)
    if due_within_days is not None:
        # checked_on + interval <= today + N  ⇔  checked_on <= today + N - interval
        latest = council_today(council) + timedelta(days=due_within_days - council.dbs_recheck_days)
        query = query.where(
            col(Cook.dbs_checked_on).is_not(None), col(Cook.dbs_checked_on) <= latest
        )
    cooks, total = paginate(
        session, query, order_by=(col(Cook.created_at), col(Cook.id)), limit=limit, offset=offset
    )
    hoods = {
        h.id: h.name
        for h in session.exec(select(Neighbourhood).where(Neighbourhood.council_id == council.id))
    }
    items = [
        CookListItem(
            id=c.id,
            display_name=c.display_name,
            status=c.status,
            postcode_district=c.postcode.split(" ")[0],
            neighbourhood=hoods.get(c.neighbourhood_id) if c.neighbourhood_id else None,
            dbs_checked_on=c.dbs_checked_on,
            dbs_level=c.dbs_level,
            checks_expire_on=checks_expire_on(c, council),
            created_at=c.created_at,
        )
        for c in cooks
    ]
    return items, total


def approve_cook(session: Session, *, staff: User, cook: Cook, body: ApproveIn) -> Cook:
    """Record the checks and approve; each missing check is a 422 naming its field."""
    council = staff_council(session, staff)
    if cook.status in (CookStatus.left, CookStatus.suspended):
        raise Conflict(f"A {cook.status} cook cannot be approved (reinstate a suspended one)")
    _require_checks(body, council)
    cook.dbs_checked_on, cook.dbs_level = body.dbs_checked_on, body.dbs_level
    cook.id_checked, cook.hygiene_ack = body.id_checked, body.hygiene_ack
    cook.status, cook.status_reason, cook.approved_at = CookStatus.approved, None, utcnow()
    enqueue(
        session,
        event="cook_approved",
        to=cook.user_id,
        subject="You're approved to cook with Extra Portion",
        body="Thank you: your checks are done. We'll let you know when a neighbour is suggested.",
        dedupe_key=f"cook:{cook.id}:approved:{body.dbs_checked_on}",
    )
    _audit(
        session,
        staff,
        cook,
        "cook.approved",
        {"dbs_level": body.dbs_level, "dbs_checked_on": str(body.dbs_checked_on)},
    )
    return cook


def _require_checks(body: ApproveIn, council: Council) -> None:
    today = council_today(council)
    if not body.id_checked:
        raise RuleBroken(
            "check_missing", ["id_checked"], "Identity must be checked before approval"
        )
    if not body.hygiene_ack:
        raise RuleBroken(
            "check_missing", ["hygiene_ack"], "Food-hygiene guidance must be acknowledged"
        )
    if DBS_RANK[body.dbs_level] < DBS_RANK[DbsLevel(council.min_dbs_level)]:
        raise RuleBroken(
            "dbs_level_too_low",
            ["dbs_level"],
            f"This council needs a DBS check at level {council.min_dbs_level} or above",
        )
    if body.dbs_checked_on > today:
        raise RuleBroken("date_in_future", ["dbs_checked_on"], "The check date is in the future")
    if body.dbs_checked_on + timedelta(days=council.dbs_recheck_days) < today:
        raise RuleBroken(
            "dbs_check_expired",
            ["dbs_checked_on"],
            f"The DBS check is older than {council.dbs_recheck_days} days: a new check is needed",
        )


def reject_cook(session: Session, *, staff: User, cook: Cook, reason: str) -> Cook:
    if cook.status != CookStatus.pending:
        raise Conflict(f"Only a pending cook can be rejected (this one is {cook.status})")
    cook.status, cook.status_reason = CookStatus.rejected, reason
    _audit(session, staff, cook, "cook.rejected", {})
    return cook


def suspend_cook(session: Session, *, staff: User, cook: Cook, reason: str) -> Cook:
    """Suspend at once; the cook's pairings are unwound in the same transaction."""
    if cook.status not in (CookStatus.approved, CookStatus.pending):
        raise Conflict(f"A {cook.status} cook cannot be suspended")
    cook.status, cook.status_reason = CookStatus.suspended, reason
    from app.pairings.lifecycle import release_cook  # pairings import moderation's rules

    release_cook(session, cook=cook, reason="cook_suspended")
    _audit(session, staff, cook, "cook.suspended", {})
    return cook


def reinstate_cook(session: Session, *, staff: User, cook: Cook, reason: str) -> Cook:
    council = staff_council(session, staff)
    if cook.status != CookStatus.suspended:
        raise Conflict("Only a suspended cook can be reinstated")
    expires = checks_expire_on(cook, council)
    if expires is None or expires < council_today(council):
        cook.status = CookStatus.pending  # back in the queue for fresh checks
    else:
        cook.status = CookStatus.approved
    cook.status_reason = reason
    _audit(session, staff, cook, "cook.reinstated", {"status": cook.status})
    return cook


def _audit(session: Session, staff: User, cook: Cook, action: str, data: dict[str, object]) -> None:
    cook.updated_at = utcnow()
    session.add(cook)
    record_audit(
        session,
        actor_id=staff.id,
        council_id=cook.council_id,
        action=action,
        subject_type="cook",
        subject_id=cook.id,
        data=data,
    )
    session.flush()


def list_audit(
    session: Session,
    *,
    staff: User,
    subject_type: str | None,
    subject_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[AuditEntry], int]:
    """The council's audit entries, newest first."""
    query = select(AuditEntry).where(AuditEntry.council_id == staff.council_id)
    if subject_type is not None:
        query = query.where(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    return paginate(
        session,
        query,
        order_by=(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()),
        limit=limit,
        offset=offset,
    )
