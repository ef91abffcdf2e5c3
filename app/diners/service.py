"""Diners: registration by carers, referral by staff, pauses, leaving, and who may see them."""

from __future__ import annotations

from sqlalchemy import and_, not_
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, select

from app.audit import record_audit
from app.config import Settings
from app.councils.rules import council_today
from app.councils.service import staff_council
from app.db import paginate, utcnow, writing
from app.diners.schemas import (
    DinerIn,
    PauseIn,
)
from app.errors import Conflict, NotFound, RuleBroken
from app.models import (
    Council,
    Diner,
    Neighbourhood,
    User,
)
from app.places import locate_place
from app.vocab import DinerStatus


def register_diner(
    session: Session, *, actor: User, body: DinerIn, settings: Settings, by_staff: bool
) -> Diner:
    """A new diner, waiting for a cook; consent is recorded with its time and who gave it."""
    place = locate_place(session, raw_postcode=body.postcode, role="diner", settings=settings)
    if by_staff and place.council.id != actor.council_id:
        raise RuleBroken(
            "outside_council_area", ["postcode"], "This postcode is outside your council's area"
        )
    diner = Diner(
        **body.model_dump(mode="json", exclude={"postcode", "consent"}),
        postcode=place.postcode.full,
        latitude=place.location.latitude,
        longitude=place.location.longitude,
        geo_precision=place.location.precision,
        council_id=place.council.id,  # type: ignore[arg-type]
        neighbourhood_id=place.neighbourhood.id if place.neighbourhood else None,
        carer_id=None if by_staff else actor.id,
        referred_by_id=actor.id if by_staff else None,
        consent_at=utcnow(),
        consent_by_id=actor.id,  # type: ignore[arg-type]
        status=DinerStatus.waiting,
    )
    session.add(diner)
    session.flush()
    if by_staff:
        record_audit(
            session,
            actor_id=actor.id,
            council_id=diner.council_id,
            action="diner.referred",
            subject_type="diner",
            subject_id=diner.id,
        )
    return diner


def get_carers_diner(session: Session, *, carer: User, diner_id: int) -> Diner:
    """The carer's own diner; anyone else's is 'not found'."""
    diner = session.get(Diner, diner_id)
    if diner is None or diner.carer_id != carer.id:
        raise NotFound("Diner not found")
    return diner


def get_councils_diner(session: Session, *, staff: User, diner_id: int) -> Diner:
    """A diner of the staff member's own council; another council's is 'not found'."""
    diner = session.get(Diner, diner_id)
    if diner is None or diner.council_id != staff.council_id:
        raise NotFound("Diner not found")
    return diner


def get_diner_for(session: Session, *, user: User, diner_id: int) -> Diner:
    if user.role == "staff":
        return get_councils_diner(session, staff=user, diner_id=diner_id)
    return get_carers_diner(session, carer=user, diner_id=diner_id)


# What a list shows of a diner (DinerListItem); the rest of the row is not read for a list.
_LISTED_COLUMNS = (
    "id",
    "council_id",
    "neighbourhood_id",
    "status",
    "full_name",
    "postcode",
    "diets",
    "allergies",
    "texture",
    "frequency",
    "paused_from",
    "paused_to",
    "created_at",
)
_LISTED = load_only(*(getattr(Diner, name) for name in _LISTED_COLUMNS))


def list_carers_diners(
    session: Session, *, carer: User, limit: int, offset: int
) -> tuple[list[Diner], int]:
    query = select(Diner).options(_LISTED).where(Diner.carer_id == carer.id)
    return paginate(session, query, order_by=(col(Diner.id),), limit=limit, offset=offset)


def list_council_diners(
    session: Session, *, staff: User, status: DinerStatus | None, limit: int, offset: int
) -> tuple[list[Diner], int]:
    council = staff_council(session, staff)
    query = select(Diner).options(_LISTED).where(Diner.council_id == council.id)
    if status is not None:
        today = council_today(council)
        paused_now = and_(
            col(Diner.status) != DinerStatus.left,
            col(Diner.paused_from).is_not(None),  # NULL would make NOT(...) unknown
            col(Diner.paused_to).is_not(None),
            col(Diner.paused_from) <= today,
            col(Diner.paused_to) >= today,
        )
        query = query.where(
            paused_now
            if status == DinerStatus.paused
            else and_(col(Diner.status) == status, not_(paused_now))
        )
    return paginate(session, query, order_by=(col(Diner.id),), limit=limit, offset=offset)


def pause_diner(session: Session, *, actor: User, diner: Diner, body: PauseIn) -> Diner:
    """Pause from..to (a hospital stay, a holiday); the schedule resumes by itself after.

    Only the diner's record: app.flows.diners.pause_diner also cancels and restores meals."""
    if diner.status == DinerStatus.left:
        raise Conflict("This diner has left")
    council = session.get(Council, diner.council_id)
    assert council is not None
    if body.to < council_today(council):
        raise RuleBroken("pause_in_past", ["to"], "The pause must not end in the past")
    diner.paused_from, diner.paused_to = body.from_, body.to
    diner.status_reason = body.reason
    session.add(diner)
    _audit_if_staff(
        session, actor, diner, "diner.paused", {"from": str(body.from_), "to": str(body.to)}
    )
    session.flush()
    return diner


def leave_diner(session: Session, *, actor: User, diner: Diner, reason: str) -> Diner:
    """The diner leaves the service; history is kept (app.flows.diners.leave_diner also ends
    their pairings)."""
    if diner.status == DinerStatus.left:
        raise Conflict("This diner has already left")
    diner.status, diner.status_reason = DinerStatus.left, reason
    session.add(diner)
    _audit_if_staff(session, actor, diner, "diner.left", {})
    session.flush()
    return diner


def coordinator_id(session: Session, diner: Diner) -> int | None:
    """The user who coordinates the diner's neighbourhood (told about meals needing a hand)."""
    if diner.neighbourhood_id is None:
        return None
    hood = session.get(Neighbourhood, diner.neighbourhood_id)
    return hood.coordinator_id if hood else None


def alert_recipients(session: Session, diner: Diner) -> list[int]:
    """Who is told what the council side must act on about a diner (a missed meal, a meal
    without cover, a declined invitation, a concern, a lapse): the coordinator of their
    neighbourhood; where it has none (or theirs is no longer active), every active staff
    member of the diner's council, so that no alert is dropped. Ids in order."""
    coordinator = coordinator_id(session, diner)
    if coordinator is not None:
        user = session.get(User, coordinator)
        if user is not None and user.is_active:
            return [coordinator]
    staff = session.exec(
        select(User.id)
        .where(
            User.role == "staff",
            User.council_id == diner.council_id,
            col(User.is_active).is_(True),
        )
        .order_by(col(User.id))
    ).all()
    return [s for s in staff if s is not None]


def view_diner_as_staff(session: Session, *, staff: User, diner_id: int) -> Diner:
    """The full record for staff; the view of the address is audited (committed here, in a
    short writing transaction of its own when the request's session only reads)."""
    diner = get_councils_diner(session, staff=staff, diner_id=diner_id)
    with writing(session):
        audit_address_view(session, viewer=staff, diner=diner)
    return diner


def audit_address_view(session: Session, *, viewer: User, diner: Diner) -> None:
    """A response giving the diner's address to anyone but their carer is audited."""
    if viewer.id is not None and viewer.id == diner.carer_id:
        return
    record_audit(
        session,
        actor_id=viewer.id,
        council_id=diner.council_id,
        action="diner.address_viewed",
        subject_type="diner",
        subject_id=diner.id,
    )


def _audit_if_staff(
    session: Session, actor: User, diner: Diner, action: str, data: dict[str, object]
) -> None:
    if actor.role == "staff":
        record_audit(
            session,
            actor_id=actor.id,
            council_id=diner.council_id,
            action=action,
            subject_type="diner",
            subject_id=diner.id,
            data=data,
        )
