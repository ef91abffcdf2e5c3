"""Vetting cooks: approve with recorded checks, reject, suspend, reinstate; all audited."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, false, func, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.audit import record_audit
from app.councils.rules import council_today
from app.councils.service import staff_council
from app.db import lock_row, page_of_rows, paginate, paginate_by_index, utcnow
from app.errors import Conflict, NotFound, RulesBroken
from app.models import AuditEntry, AuditReason, Cook, Council, Neighbourhood, User
from app.moderation.rules import (
    STICKY,
    approval_problems,
    checks_expire_on,
    dbs_expires_on,
    is_theirs,
)
from app.moderation.schemas import ApproveIn, CookListItem
from app.notifications import messages
from app.notifications.outbox import enqueue, tell
from app.vocab import CookStatus, Role

# Staff opened the cook's full record (app/moderation/record.py): in the audit log, not the
# cook's history of what happened to them.
COOK_VIEWED = "cook.viewed"


def get_councils_cook(session: Session, *, staff: User, cook_id: int) -> Cook:
    """A cook of the staff member's own council; another council's is 'not found'."""
    cook = session.get(Cook, cook_id)
    if cook is None or cook.council_id != staff.council_id:
        raise NotFound("Cook not found")
    return cook


def get_visible_cook(session: Session, *, user: User, cook_id: int) -> Cook:
    """A cook of the staff member's council, or any cook for an admin."""
    if user.role == Role.admin:
        cook = session.get(Cook, cook_id)
        if cook is None:
            raise NotFound("Cook not found")
        return cook
    return get_councils_cook(session, staff=user, cook_id=cook_id)


def get_liftable_cook(session: Session, *, user: User, cook_id: int) -> Cook:
    """A cook this staff member may reinstate: of their council, or suspended or rejected by
    their council before moving away; any cook for an admin."""
    cook = session.get(Cook, cook_id)
    if cook is not None and user.role == Role.staff and cook.council_id != user.council_id:
        if cook.status in STICKY and cook.status_council_id == user.council_id:
            return cook
        raise NotFound("Cook not found")
    return get_visible_cook(session, user=user, cook_id=cook_id)


def imposed_by(cook: Cook) -> int:
    """The council whose suspension or rejection holds (older rows: the cook's council)."""
    return cook.status_council_id if cook.status_council_id is not None else cook.council_id


_COUNCIL_CHECKS = core_select(col(Council.timezone), col(Council.dbs_recheck_days)).where(
    col(Council.id) == bindparam("council_id")
)


@cache
def _council_cooks_query(
    *, status: bool, location_review: bool, due: bool
) -> Select[*tuple[Any, ...]]:
    """The list's statement for the filters asked for (eight at most), built once with
    parameters, so that a request neither builds it nor its cache key. Plain columns, with the
    neighbourhood's name joined: a model object per cook cost more than the rest of the
    request. ``COUNT(*) OVER ()`` gives each row the total before LIMIT and OFFSET."""
    query: Select[*tuple[Any, ...]] = (
        core_select(
            col(Cook.id),
            col(Cook.display_name),
            col(Cook.status),
            col(Cook.postcode),
            col(Neighbourhood.name),
            col(Cook.dbs_checked_on),
            col(Cook.dbs_level),
            col(Cook.location_review),
            col(Cook.created_at),
            func.count().over(),
        )
        .outerjoin(
            Neighbourhood,
            # the council's own neighbourhoods only, as the list always named them
            and_(
                col(Neighbourhood.id) == col(Cook.neighbourhood_id),
                col(Neighbourhood.council_id) == col(Cook.council_id),
            ),
        )
        .where(col(Cook.council_id) == bindparam("council_id"))
        .order_by(col(Cook.created_at), col(Cook.id))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    if status:
        query = query.where(col(Cook.status) == bindparam("status"))
    if location_review:
        query = query.where(col(Cook.location_review) == bindparam("location_review"))
    if due:
        # checked_on + interval <= today + N  ⇔  checked_on <= today + N - interval
        query = query.where(
            col(Cook.dbs_checked_on).is_not(None),
            col(Cook.dbs_checked_on) <= bindparam("latest"),
        )
    return query


def list_council_cooks(
    session: Session,
    *,
    staff: User,
    status: CookStatus | None,
    due_within_days: int | None,
    limit: int,
    offset: int,
    location_review: bool | None = None,
) -> tuple[list[CookListItem], int]:
    """The council's cooks by status; or those whose checks expire within N days; or those
    whose new location waits for review."""
    connection = session.connection()
    # Only what the list needs of the council, not the council as a model object.
    council = connection.execute(_COUNCIL_CHECKS, {"council_id": staff.council_id}).first()
    if council is None:
        raise NotFound("Council not found")
    params: dict[str, Any] = {"council_id": staff.council_id}
    if status is not None:
        params["status"] = status
    if location_review is not None:
        params["location_review"] = location_review
    if due_within_days is not None:
        params["latest"] = council_today(council) + timedelta(
            days=due_within_days - council.dbs_recheck_days
        )
    query = _council_cooks_query(
        status=status is not None,
        location_review=location_review is not None,
        due=due_within_days is not None,
    )
    rows, total = page_of_rows(connection, query, params, limit=limit, offset=offset)
    return [_listed_cook(row, council.dbs_recheck_days) for row in rows], total


def _listed_cook(row: Sequence[Any], recheck_days: int) -> CookListItem:
    """The list's view of a cook, from a row of `_council_cooks_query`."""
    cook_id, name, status, postcode, hood, checked_on, level, review, created_at, _ = row
    return CookListItem(
        id=cook_id,
        display_name=name,
        status=status,
        postcode_district=postcode.split(" ")[0],
        neighbourhood=hood,
        dbs_checked_on=checked_on,
        dbs_level=level,
        checks_expire_on=dbs_expires_on(checked_on, recheck_days),
        location_review=review,
        created_at=created_at,
    )


def approve_cook(session: Session, *, staff: User, cook: Cook, body: ApproveIn) -> Cook:
    """Record the checks and approve; each missing check is a 422 naming its field."""
    council = staff_council(session, staff)
    lock_row(session, cook)  # first: a move to another council may have just been saved
    if cook.council_id != council.id:
        raise NotFound("Cook not found")
    if cook.status in (CookStatus.left, *STICKY):
        raise Conflict(f"A {cook.status} cook cannot be approved (reinstate them first)")
    _require_checks(body, council)
    sent = (body.dbs_checked_on, body.dbs_level, body.id_checked, body.hygiene_ack)
    held = (cook.dbs_checked_on, cook.dbs_level, cook.id_checked, cook.hygiene_ack)
    if cook.status == CookStatus.approved and sent == held:
        return cook  # the same approval again (a double click: a walk read it three times)
    if cook.status == CookStatus.pending:
        cook.location_review = False  # vetted where they live now
    cook.dbs_checked_on, cook.dbs_level = body.dbs_checked_on, body.dbs_level
    cook.id_checked, cook.hygiene_ack = body.id_checked, body.hygiene_ack
    cook.status, cook.status_reason, cook.approved_at = CookStatus.approved, None, utcnow()
    approved = messages.cook_approved()
    enqueue(
        session,
        event=approved.event,
        to=cook.user_id,
        subject=approved.subject,
        body=approved.body,
        dedupe_key=f"cook:{cook.id}:approved:{body.dbs_checked_on}",
    )
    _audit(
        session,
        staff,
        cook,
        "cook.approved",
        {
            "status": cook.status,
            "dbs_level": body.dbs_level,
            "dbs_checked_on": str(body.dbs_checked_on),
        },
    )
    return cook


def _require_checks(body: ApproveIn, council: Council) -> None:
    problems = approval_problems(
        dbs_checked_on=body.dbs_checked_on,
        dbs_level=body.dbs_level,
        id_checked=body.id_checked,
        hygiene_ack=body.hygiene_ack,
        min_level=council.min_dbs_level,
        recheck_days=council.dbs_recheck_days,
        today=council_today(council),
    )
    if problems:
        raise RulesBroken(problems)


def reject_cook(session: Session, *, staff: User, cook: Cook, reason: str) -> Cook:
    """Reject a pending cook; it holds until this council (or an admin) reinstates them."""
    lock_row(session, cook)  # first: a move to another council may have just been saved
    if cook.council_id != staff.council_id:
        raise NotFound("Cook not found")
    if cook.status != CookStatus.pending:
        raise Conflict(f"Only a pending cook can be rejected (this one is {cook.status})")
    cook.status, cook.status_reason = CookStatus.rejected, reason
    cook.status_council_id = staff.council_id
    _tell(session, cook, messages.cook_rejected())  # before, only an approval was ever told
    _audit(session, staff, cook, "cook.rejected", {"status": cook.status}, reason=reason)
    return cook


def _tell(session: Session, cook: Cook, told: messages.Message) -> None:
    """The cook hears of the council's decision (each one: keyed by its time)."""
    key = f"cook:{cook.id}:{told.event}:{utcnow().isoformat()}"  # each decision is told
    tell(session, told, to=cook.user_id, dedupe_key=key)


def suspend_cook(session: Session, *, staff: User, cook: Cook, reason: str) -> Cook:
    """Suspend at once (app.flows.cooks.suspend_cook also unwinds the cook's pairings)."""
    lock_row(session, cook)  # a suspension from a concern's page and one from the record
    if cook.council_id != staff.council_id:
        raise NotFound("Cook not found")  # only ever a cook of one's own council
    if cook.status not in (CookStatus.approved, CookStatus.pending):
        raise Conflict(f"A {cook.status} cook cannot be suspended")
    cook.status, cook.status_reason = CookStatus.suspended, reason
    cook.status_council_id = staff.council_id
    _tell(session, cook, messages.cook_suspended())
    _audit(session, staff, cook, "cook.suspended", {"status": cook.status}, reason=reason)
    return cook


def reinstate_cook(session: Session, *, staff: User, cook: Cook, reason: str) -> Cook:
    """Lift a suspension (approved again while the checks are in date and the cook has not
    moved council since, else pending) or a rejection (pending): only the council that
    imposed it, or an admin. A cook who asked to stop meanwhile is left stopped (`left`)."""
    lock_row(session, cook)
    if cook.status not in STICKY:
        raise Conflict("Only a suspended or rejected cook can be reinstated")
    imposer = imposed_by(cook)
    if staff.role != Role.admin and staff.council_id != imposer:
        raise Conflict(
            f"This cook was {cook.status} by another council: "
            "only that council's staff or an admin can lift it"
        )
    council = session.get(Council, cook.council_id)
    assert council is not None
    expires = checks_expire_on(cook, council)
    if cook.stopped_at is not None:  # they asked to stop meanwhile: lifting it invites nobody
        cook.status = CookStatus.left
    elif (
        cook.status == CookStatus.rejected
        or imposer != cook.council_id  # moved since: the new council has not vetted them
        or expires is None
        or expires < council_today(council)
    ):
        cook.status = CookStatus.pending  # back in the queue for fresh checks
    else:
        cook.status = CookStatus.approved
    # Lifted by the council the cook moved away from: its words stay with its own entry
    # (below), not on the record the cook's new council reads.
    cook.status_reason = reason if imposer == cook.council_id else None
    cook.status_council_id = None
    _tell(session, cook, messages.cook_reinstated(status=cook.status))
    _audit(
        session,
        staff,
        cook,
        "cook.reinstated",
        {"status": cook.status},
        also=imposer,
        reason=reason,
    )
    return cook


def confirm_location(session: Session, *, staff: User, cook: Cook) -> Cook:
    """Staff have checked where a moved cook now lives: matching and cover may use them again."""
    if cook.council_id != staff.council_id:
        raise NotFound("Cook not found")
    if not cook.location_review:
        raise Conflict("This cook's location is not waiting for review")
    cook.location_review = False
    _audit(session, staff, cook, "cook.location_confirmed", {"status": cook.status})
    return cook


def _audit(
    session: Session,
    staff: User,
    cook: Cook,
    action: str,
    data: dict[str, object],
    also: int | None = None,
    reason: str | None = None,
) -> None:
    """One entry for the cook's council, and one for the other council concerned (if any);
    the reason staff gave, beside their own council's (`AuditReason`: the history keeps why,
    after the cook's status has moved on). Staff write it for their colleagues, and it can
    name their diners: the other council's entry has none (a security review). An admin's
    reason is beside both. The `data` (the cook's status after it) is the cook's council's: a
    council the cook has moved away from keeps that it happened, not what the cook is now with
    their new council (a security review: its entry read "Status: pending", or "left")."""
    cook.updated_at = utcnow()
    session.add(cook)
    for council_id in sorted({cook.council_id, also or cook.council_id}):
        entry = record_audit(
            session,
            actor_id=staff.id,
            council_id=council_id,
            action=action,
            subject_type="cook",
            subject_id=cook.id,
            data=data if is_theirs(cook.council_id, council_id) else {},
        )
        if reason and (staff.role == Role.admin or staff.council_id == council_id):
            session.flush()  # the entry's id
            assert entry.id is not None
            session.add(AuditReason(audit_entry_id=entry.id, text=reason[:500]))
    session.flush()


OTHER_COUNCILS_STAFF = "Another council's staff"


def cook_history(
    session: Session, *, staff: User, cook_id: int, limit: int, offset: int
) -> tuple[list[tuple[AuditEntry, str | None, str | None]], int]:
    """What happened to a cook in the staff member's council (audit entries, newest first,
    with the actor's name and the reason they gave); 404 if the cook is not theirs and has no
    history with them."""
    cook = session.get(Cook, cook_id)
    query = select(AuditEntry).where(
        AuditEntry.council_id == staff.council_id,
        AuditEntry.subject_type == "cook",
        AuditEntry.subject_id == cook_id,
        AuditEntry.action != COOK_VIEWED,
    )
    entries, total = paginate(
        session,
        query,
        order_by=(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()),
        limit=limit,
        offset=offset,
    )
    if cook is None or (cook.council_id != staff.council_id and total == 0):
        raise NotFound("Cook not found")
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    actors = (
        session.exec(
            select(User.id, User.full_name, User.role, User.council_id).where(
                col(User.id).in_(actor_ids)
            )
        ).all()
        if actor_ids
        else []
    )
    # Another council's staff are named by their council's part, not by name (the entry a
    # council keeps of what the other did, for a cook who moved between them).
    names = {
        actor: OTHER_COUNCILS_STAFF if role == Role.staff and council != staff.council_id else name
        for actor, name, role, council in actors
    }
    ids = [e.id for e in entries if e.id is not None]
    reasons = (
        dict(
            session.exec(
                select(AuditReason.audit_entry_id, AuditReason.text).where(
                    col(AuditReason.audit_entry_id).in_(ids)
                )
            ).all()
        )
        if ids
        else {}
    )
    return [
        (e, names.get(e.actor_id) if e.actor_id else None, reasons.get(e.id or 0)) for e in entries
    ], total


def list_audit(
    session: Session,
    *,
    staff: User,
    subject_type: str | None,
    subject_id: int | None,
    limit: int,
    offset: int,
    action: str | None = None,
    about: Mapping[str, Collection[int]] | None = None,
    also: Collection[int] = (),
) -> tuple[list[AuditEntry], int]:
    """The council's audit entries, newest first; of one `action`, and about one of the
    records `about` names (subject type → ids; empty: none), when given, or one of the entries
    `also` names (ids: those about another record that name one of these in their data)."""
    query = select(AuditEntry).where(AuditEntry.council_id == staff.council_id)
    if subject_type is not None:
        query = query.where(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if about is not None:
        query = query.where(
            or_(
                false(),
                *(
                    and_(col(AuditEntry.subject_type) == kind, col(AuditEntry.subject_id).in_(ids))
                    for kind, ids in sorted(about.items())
                    if ids
                ),
                *([col(AuditEntry.id).in_(sorted(also))] if also else []),
            )
        )
    return paginate_by_index(  # ix_audit_entry_council_at: the log grows with every view
        session,
        query,
        order_by=(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()),
        limit=limit,
        offset=offset,
    )
