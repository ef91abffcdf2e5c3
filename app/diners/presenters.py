"""Diners as carers and staff see them (API.md "Diners")."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from app.cooks.schemas import PositionOut
from app.councils.rules import council_today
from app.diners.rules import public_status
from app.diners.schemas import (
    CookRef,
    DinerListItem,
    DinerOut,
    MealSummary,
    OutcomeSummary,
    PairingSummary,
    RecentMeal,
)
from app.diners.service import ListedDiner
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
)
from app.schemas import Window
from app.vocab import MealStatus, PairingStatus

UPCOMING_MEALS = 8


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
    cook = (
        session.get(Cook, pairing.cook_id)
        if for_staff or pairing.status != PairingStatus.proposed
        else None
    )
    return PairingSummary(
        id=pairing.id,
        status=pairing.status,
        weekday=pairing.weekday,
        start=pairing.start,
        frequency=pairing.frequency,
        pause_reason=pairing.pause_reason if pairing.status == PairingStatus.paused else None,
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
            Meal.status == MealStatus.delivered,
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


def diner_list_items(session: Session, diners: list[ListedDiner]) -> list[DinerListItem]:
    """The rows as a list shows them (``session`` is not used: each row carries its
    neighbourhood's name and its council's clock)."""
    one_per_zone = {d.timezone: d for d in diners}
    today = {zone: council_today(d) for zone, d in one_per_zone.items()}
    return [
        DinerListItem(
            id=d.id,
            status=public_status(d, today[d.timezone]),
            full_name=d.full_name,
            postcode=d.postcode,
            neighbourhood=d.neighbourhood,
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
