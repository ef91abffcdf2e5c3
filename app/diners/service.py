"""Diners: registration by carers, referral by staff, pauses, leaving, and who may see them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, not_
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, select

from app.audit import record_audit
from app.config import Settings
from app.cooks.schemas import PositionOut
from app.councils.rules import council_today
from app.councils.service import staff_council
from app.db import paginate, utcnow, writing
from app.diners.rules import public_status
from app.diners.schemas import (
    CookRef,
    DinerIn,
    DinerListItem,
    DinerOut,
    MealSummary,
    OutcomeSummary,
    PairingSummary,
    PauseIn,
    RecentMeal,
)
from app.errors import Conflict, NotFound, RuleBroken
from app.models import (
    OPEN_STATUSES,
    Cook,
    Council,
    Diner,
    Meal,
    MealFeedback,
    Neighbourhood,
    OutcomeAnswer,
    Pairing,
    User,
)
from app.places import locate_place
from app.schemas import Window
from app.vocab import DinerStatus

UPCOMING_MEALS = 8


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


def diner_out(session: Session, diner: Diner, *, for_staff: bool = False) -> DinerOut:
    council = session.get(Council, diner.council_id)
    assert council is not None and diner.id is not None
    hood = session.get(Neighbourhood, diner.neighbourhood_id) if diner.neighbourhood_id else None
    return DinerOut(
        id=diner.id,
        status=public_status(diner, council_today(council)),
        full_name=diner.full_name,
        address_line=diner.address_line,
        postcode=diner.postcode,
        phone=diner.phone,
        position=PositionOut(
            latitude=diner.latitude, longitude=diner.longitude, precision=diner.geo_precision
        ),
        council=council.slug,
        neighbourhood=hood.name if hood else None,
        diets=diner.diets,
        allergies=diner.allergies,
        texture=diner.texture,
        availability=[Window.model_validate(w) for w in diner.availability],
        frequency=diner.frequency,
        access_notes=diner.access_notes,
        paused_from=diner.paused_from,
        paused_to=diner.paused_to,
        status_reason=diner.status_reason,
        consent_at=diner.consent_at,
        referred_by_staff=diner.referred_by_id is not None,
        created_at=diner.created_at,
        pairing=_pairing_summary(session, diner, for_staff=for_staff),
        upcoming_meals=_upcoming_meals(session, diner, council_today(council)),
        recent_meals=_recent_meals(session, diner, council_today(council)),
        outcome=_latest_outcome(session, diner),
    )


def _pairing_summary(session: Session, diner: Diner, *, for_staff: bool) -> PairingSummary | None:
    pairing = session.exec(
        select(Pairing).where(Pairing.diner_id == diner.id, col(Pairing.status).in_(OPEN_STATUSES))
    ).first()
    if pairing is None or pairing.id is None:
        return None
    cook = session.get(Cook, pairing.cook_id) if for_staff or pairing.status != "proposed" else None
    return PairingSummary(
        id=pairing.id,
        status=pairing.status,
        weekday=pairing.weekday,
        start=pairing.start,
        frequency=pairing.frequency,
        pause_reason=pairing.pause_reason if pairing.status == "paused" else None,
        cook=CookRef(display_name=cook.display_name, id=cook.id if for_staff else None)
        if cook
        else None,
    )


def _recent_meals(session: Session, diner: Diner, today: date) -> list[RecentMeal]:
    rows = session.exec(
        select(Meal, MealFeedback.rating)
        .join(MealFeedback, col(MealFeedback.meal_id) == Meal.id, isouter=True)
        .where(
            Meal.diner_id == diner.id,
            Meal.status == "delivered",
            col(Meal.date) >= today - timedelta(weeks=8),
        )
        .order_by(col(Meal.date).desc())
    ).all()
    return [
        RecentMeal(id=m.id, date=m.date, start=m.start, status=m.status, rating=rating)
        for m, rating in rows
        if m.id is not None
    ]


def _latest_outcome(session: Session, diner: Diner) -> OutcomeSummary | None:
    answer = session.exec(
        select(OutcomeAnswer)
        .where(OutcomeAnswer.diner_id == diner.id)
        .order_by(col(OutcomeAnswer.answered_at).desc())
    ).first()
    if answer is None:
        return None
    return OutcomeSummary(considers_friend=answer.considers_friend, answered_at=answer.answered_at)


def _upcoming_meals(session: Session, diner: Diner, today: date) -> list[MealSummary]:
    meals = session.exec(
        select(Meal)
        .where(Meal.diner_id == diner.id, col(Meal.date) >= today)
        .order_by(col(Meal.date))
        .limit(UPCOMING_MEALS)
    ).all()
    return [
        MealSummary(id=m.id, date=m.date, start=m.start, status=m.status) for m in meals if m.id
    ]


def diner_list_items(session: Session, diners: list[Diner]) -> list[DinerListItem]:
    council_ids = {d.council_id for d in diners}
    councils = (
        {c.id: c for c in session.exec(select(Council).where(col(Council.id).in_(council_ids)))}
        if council_ids
        else {}
    )
    today = {council_id: council_today(council) for council_id, council in councils.items()}
    hood_ids = {d.neighbourhood_id for d in diners if d.neighbourhood_id}
    hoods = (
        {
            h.id: h.name
            for h in session.exec(select(Neighbourhood).where(col(Neighbourhood.id).in_(hood_ids)))
        }
        if hood_ids
        else {}
    )
    return [
        DinerListItem(
            id=d.id,
            status=public_status(d, today[d.council_id]),
            full_name=d.full_name,
            postcode=d.postcode,
            neighbourhood=hoods.get(d.neighbourhood_id) if d.neighbourhood_id else None,
            diets=d.diets,
            allergies=d.allergies,
            texture=d.texture,
            frequency=d.frequency,
            paused_from=d.paused_from,
            paused_to=d.paused_to,
            created_at=d.created_at,
        )
        for d in diners
    ]
