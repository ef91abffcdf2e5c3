"""A cook's full record for their council's staff: the account's name and contact, the
neighbourhood, the diners they cook or cooked for, and their meals; the view is audited.

Read-only apart from that audit entry: vetting stays in app/moderation/service.py, the history
of statuses is its cook_history, and concerns are app/concerns/search.py's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, select
from sqlmodel import Session, col

from app.audit import record_view
from app.councils.service import staff_council
from app.db import writing
from app.models import Cook, Council, Diner, Meal, Neighbourhood, Pairing, User
from app.moderation.rules import checks_expire_on
from app.moderation.service import COOK_VIEWED, get_councils_cook
from app.vocab import OPEN_PAIRING_STATUSES, EndReason, Frequency, MealStatus, PairingStatus

MAX_PAIRINGS = 100
RECENT_MEALS = 10
NEXT_MEALS = 5


@dataclass(frozen=True)
class PairingLine:
    """A diner the cook cooks for, was invited to, or cooked for."""

    id: int
    diner_id: int
    diner_name: str
    status: PairingStatus
    weekday: int
    start: str
    frequency: Frequency
    proposed_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    end_reason: EndReason | None


@dataclass(frozen=True)
class MealLine:
    id: int
    date: date
    start: str
    status: MealStatus
    is_cover: bool
    diner_id: int
    diner_name: str


@dataclass(frozen=True)
class CookRecord:
    cook: Cook
    council: Council
    full_name: str
    email: str
    contact_preference: str  # email | sms
    neighbourhood: str | None
    checks_expire_on: date | None
    pairings: list[PairingLine]
    recent_meals: list[MealLine]  # on or before today, latest first
    next_meals: list[MealLine]  # after today, soonest first


def view_cook_record(session: Session, *, staff: User, cook_id: int, today: date) -> CookRecord:
    """The cook of the staff member's council in full (another council's: 404); the view is
    audited in a short writing transaction of its own, as a diner's is (once per staff member
    within `audit.VIEW_WINDOW`)."""
    cook = get_councils_cook(session, staff=staff, cook_id=cook_id)
    with writing(session):
        record_view(
            session,
            actor_id=staff.id,
            council_id=cook.council_id,
            action=COOK_VIEWED,
            subject_type="cook",
            subject_id=cook.id,
        )
    return cook_record(session, staff=staff, cook=cook, today=today)


def cook_record(session: Session, *, staff: User, cook: Cook, today: date) -> CookRecord:
    """The record of a cook already loaded for this staff member (not audited again)."""
    council = staff_council(session, staff)
    user = session.get(User, cook.user_id)
    assert user is not None and cook.id is not None
    hood = session.get(Neighbourhood, cook.neighbourhood_id) if cook.neighbourhood_id else None
    return CookRecord(
        cook=cook,
        council=council,
        full_name=user.full_name,
        email=user.email,
        contact_preference=user.contact_preference,
        neighbourhood=hood.name if hood else None,
        checks_expire_on=checks_expire_on(cook, council),
        pairings=_pairings(session, cook_id=cook.id, council_id=cook.council_id),
        recent_meals=_meals(session, cook_id=cook.id, council_id=cook.council_id, today=today),
        next_meals=_meals(
            session, cook_id=cook.id, council_id=cook.council_id, today=today, upcoming=True
        ),
    )


def _pairings(session: Session, *, cook_id: int, council_id: int) -> list[PairingLine]:
    """This council's pairings of the cook with the diner's name: open ones first, then the
    latest proposed first."""
    is_open = case((col(Pairing.status).in_(OPEN_PAIRING_STATUSES), 0), else_=1)
    rows = session.execute(
        select(Pairing, col(Diner.full_name))
        .join(Diner, col(Diner.id) == Pairing.diner_id)
        .where(col(Pairing.cook_id) == cook_id, col(Pairing.council_id) == council_id)
        .order_by(is_open, col(Pairing.proposed_at).desc(), col(Pairing.id).desc())
        .limit(MAX_PAIRINGS)
    ).all()
    lines = []
    for pairing, diner_name in rows:
        assert pairing.id is not None
        lines.append(
            PairingLine(
                id=pairing.id,
                diner_id=pairing.diner_id,
                diner_name=diner_name,
                status=pairing.status,
                weekday=pairing.weekday,
                start=pairing.start,
                frequency=pairing.frequency,
                proposed_at=pairing.proposed_at,
                accepted_at=pairing.accepted_at,
                ended_at=pairing.ended_at,
                end_reason=pairing.end_reason,
            )
        )
    return lines


def _meals(
    session: Session, *, cook_id: int, council_id: int, today: date, upcoming: bool = False
) -> list[MealLine]:
    """The meals the cook brought or is to bring (covers included), with the diner's name."""
    query = (
        select(Meal, col(Diner.full_name))
        .join(Diner, col(Diner.id) == Meal.diner_id)
        .where(col(Meal.cook_id) == cook_id, col(Meal.council_id) == council_id)
    )
    if upcoming:
        query = query.where(col(Meal.date) > today).order_by(
            col(Meal.date), col(Meal.start), col(Meal.id)
        )
        query = query.limit(NEXT_MEALS)
    else:
        query = query.where(col(Meal.date) <= today)
        query = query.order_by(
            col(Meal.date).desc(), col(Meal.start).desc(), col(Meal.id).desc()
        ).limit(RECENT_MEALS)
    lines = []
    for meal, diner_name in session.execute(query).all():
        assert meal.id is not None
        lines.append(
            MealLine(
                id=meal.id,
                date=meal.date,
                start=meal.start,
                status=meal.status,
                is_cover=meal.is_cover,
                diner_id=meal.diner_id,
                diner_name=diner_name,
            )
        )
    return lines
