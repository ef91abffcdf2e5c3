"""Diners as carers and staff see them (API.md "Diners")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, case
from sqlalchemy import select as core_select
from sqlmodel import Session, col

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
from app.errors import NotFound
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
from app.schemas import Window
from app.vocab import RUNNING_PAIRING_STATUSES, MealStatus, PairingStatus

UPCOMING_MEALS = 8


# The record's statements are built once, with parameters, and read plain columns: a request
# neither builds them nor their cache keys, nor a model object per meal.
_PLACE = (
    core_select(col(Council.slug), col(Council.timezone), col(Neighbourhood.name))
    .outerjoin(Neighbourhood, col(Neighbourhood.id) == bindparam("neighbourhood_id"))
    .where(col(Council.id) == bindparam("council_id"))
)
_OPEN_PAIRING = (
    core_select(
        col(Pairing.id),
        col(Pairing.status),
        col(Pairing.weekday),
        col(Pairing.start),
        col(Pairing.frequency),
        col(Pairing.pause_reason),
        col(Cook.id),
        col(Cook.display_name),
    )
    .outerjoin(Cook, col(Cook.id) == col(Pairing.cook_id))
    .where(col(Pairing.diner_id) == bindparam("diner_id"), col(Pairing.status).in_(OPEN_STATUSES))
)
_RECENT_MEALS = (
    core_select(
        col(Meal.id), col(Meal.date), col(Meal.start), col(Meal.status), col(MealFeedback.rating)
    )
    .outerjoin(MealFeedback, col(MealFeedback.meal_id) == col(Meal.id))
    .where(
        col(Meal.diner_id) == bindparam("diner_id"),
        col(Meal.status) == MealStatus.delivered,
        col(Meal.date) >= bindparam("since"),
    )
    .order_by(col(Meal.date).desc())
)
_LATEST_OUTCOME = (
    core_select(col(OutcomeAnswer.considers_friend), col(OutcomeAnswer.answered_at))
    .where(col(OutcomeAnswer.diner_id) == bindparam("diner_id"))
    .order_by(col(OutcomeAnswer.answered_at).desc())
    .limit(1)
)
_UPCOMING_MEALS = (
    core_select(
        col(Meal.id),
        col(Meal.date),
        col(Meal.start),
        col(Meal.status),
        # Who brings a covered meal: the carer was told "Helen will bring it"; the page said
        # only "Their cook is Sean" (an outside check).
        case((col(Meal.is_cover).is_(True), col(Cook.display_name)), else_=None),
    )
    .outerjoin(Cook, col(Cook.id) == col(Meal.cook_id))
    # Only the running pairing's: an ended one's cancelled meals sat beside the new cook's,
    # "19 Jan 17:30 cancelled" next to "19 Jan 17:00", half the list (an outside check).
    .join(Pairing, col(Pairing.id) == col(Meal.pairing_id))
    .where(
        col(Meal.diner_id) == bindparam("diner_id"),
        col(Meal.date) >= bindparam("today"),
        col(Pairing.status).in_(RUNNING_PAIRING_STATUSES),
    )
    .order_by(col(Meal.at))
    .limit(UPCOMING_MEALS)
)


# The carer's view of one of their diners (GET /api/diners/{id}) in three statements: the diner
# with its council's slug and clock, its neighbourhood's name, its open pairing (at most one:
# uq_pairing_open_diner) with the cook's name and its latest outcome answer; then its upcoming
# and its recent meals.
_LATEST_ANSWER = (
    core_select(col(OutcomeAnswer.id))
    .where(col(OutcomeAnswer.diner_id) == col(Diner.id))
    .order_by(col(OutcomeAnswer.answered_at).desc())
    .limit(1)
    .correlate(Diner)
    .scalar_subquery()
)
_DINER_RECORD = (
    core_select(
        *Diner.__table__.columns,  # type: ignore[attr-defined]
        col(Council.slug).label("council_slug"),
        col(Council.timezone).label("timezone"),
        col(Neighbourhood.name).label("neighbourhood_name"),
        col(Pairing.id).label("pairing_id"),
        col(Pairing.status).label("pairing_status"),
        col(Pairing.weekday).label("pairing_weekday"),
        col(Pairing.start).label("pairing_start"),
        col(Pairing.frequency).label("pairing_frequency"),
        col(Pairing.pause_reason).label("pairing_pause_reason"),
        col(Cook.id).label("cook_id"),
        col(Cook.display_name).label("cook_name"),
        col(OutcomeAnswer.considers_friend).label("considers_friend"),
        col(OutcomeAnswer.answered_at).label("answered_at"),
    )
    .join(Council, col(Council.id) == col(Diner.council_id))
    .outerjoin(Neighbourhood, col(Neighbourhood.id) == col(Diner.neighbourhood_id))
    .outerjoin(
        Pairing,
        and_(col(Pairing.diner_id) == col(Diner.id), col(Pairing.status).in_(OPEN_STATUSES)),
    )
    .outerjoin(Cook, col(Cook.id) == col(Pairing.cook_id))
    .outerjoin(OutcomeAnswer, col(OutcomeAnswer.id) == _LATEST_ANSWER)
    .where(col(Diner.id) == bindparam("diner_id"))
)


def carers_diner_out(session: Session, *, carer: User, diner_id: int) -> DinerOut:
    """The carer's own diner as ``diner_out`` shows it, read as plain columns in three
    statements (anyone else's diner, or none: 'not found', as service.get_carers_diner)."""
    session.flush()  # as diner_out: what the caller changed is read back
    connection = session.connection()
    row = connection.execute(_DINER_RECORD, {"diner_id": diner_id}).first()
    if row is None or row.carer_id != carer.id:
        raise NotFound("Diner not found")
    pairing = (
        None
        if row.pairing_id is None
        else (
            row.pairing_id,
            row.pairing_status,
            row.pairing_weekday,
            row.pairing_start,
            row.pairing_frequency,
            row.pairing_pause_reason,
            row.cook_id,
            row.cook_name,
        )
    )
    outcome = None if row.answered_at is None else (row.considers_friend, row.answered_at)
    return _diner_out(
        connection,
        row,
        council=row.council_slug,
        neighbourhood=row.neighbourhood_name,
        today=council_today(row),
        pairing=_pairing_summary(pairing, for_staff=False),
        outcome=_outcome(outcome),
        for_staff=False,
    )


def diner_out(session: Session, diner: Diner, *, for_staff: bool = False) -> DinerOut:
    assert diner.id is not None
    # The reads below go to the connection, without the session's autoflush: what the caller
    # changed (a pause that paused the pairing) is written first, as a query would have.
    session.flush()
    connection = session.connection()
    place = connection.execute(
        _PLACE, {"council_id": diner.council_id, "neighbourhood_id": diner.neighbourhood_id}
    ).one()
    today = council_today(place)  # once: the clock could pass midnight between two reads
    return _diner_out(
        connection,
        diner,
        council=place.slug,
        neighbourhood=place.name,
        today=today,
        pairing=_pairing_summary(
            connection.execute(_OPEN_PAIRING, {"diner_id": diner.id}).first(), for_staff=for_staff
        ),
        outcome=_outcome(connection.execute(_LATEST_OUTCOME, {"diner_id": diner.id}).first()),
        for_staff=for_staff,
    )


def _diner_out(
    connection: Connection,
    diner: Diner | Row[*tuple[Any, ...]],
    *,
    council: str,
    neighbourhood: str | None,
    today: date,
    pairing: PairingSummary | None,
    outcome: OutcomeSummary | None,
    for_staff: bool,
) -> DinerOut:
    assert diner.id is not None
    # The carer knows the address; the coordinates are the matching's, and staff's alone
    # (SECURITY.md, "Where people live").
    position = (
        PositionOut(
            latitude=diner.latitude, longitude=diner.longitude, precision=diner.geo_precision
        )
        if for_staff
        else None
    )
    return DinerOut(
        id=diner.id,
        status=public_status(diner, today),
        full_name=diner.full_name,
        address_line=diner.address_line,
        postcode=diner.postcode,
        phone=diner.phone,
        position=position,
        council=council,
        neighbourhood=neighbourhood,
        diets=diner.diets,
        allergies=diner.allergies,
        other_allergies=diner.other_allergies,
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
        pairing=pairing,
        upcoming_meals=_upcoming_meals(connection, diner.id, today),
        recent_meals=_recent_meals(connection, diner.id, today),
        outcome=outcome,
    )


def _pairing_summary(row: Sequence[Any] | None, *, for_staff: bool) -> PairingSummary | None:
    """The open pairing from (id, status, weekday, start, frequency, pause_reason, cook id,
    cook's display name), or None."""
    if row is None:
        return None
    pairing_id, status, weekday, start, frequency, pause_reason, cook_id, cook_name = row
    # The carer sees who cooks once the cook has said yes; staff always, with the cook's id.
    shown = cook_id is not None and (for_staff or status != PairingStatus.proposed)
    return PairingSummary(
        id=pairing_id,
        status=status,
        weekday=weekday,
        start=start,
        frequency=frequency,
        pause_reason=pause_reason if status == PairingStatus.paused else None,
        cook=CookRef(display_name=cook_name, id=cook_id if for_staff else None) if shown else None,
    )


def _outcome(row: Sequence[Any] | None) -> OutcomeSummary | None:
    """The latest outcome answer from (considers_friend, answered_at), or None."""
    if row is None:
        return None
    considers_friend, answered_at = row
    return OutcomeSummary(considers_friend=considers_friend, answered_at=answered_at)


def _recent_meals(connection: Connection, diner_id: int, today: date) -> list[RecentMeal]:
    since = today - timedelta(weeks=8)
    rows = connection.execute(_RECENT_MEALS, {"diner_id": diner_id, "since": since})
    return [
        RecentMeal(id=meal_id, date=day, start=start, status=status, rating=rating)
        for meal_id, day, start, status, rating in rows
    ]


def _upcoming_meals(connection: Connection, diner_id: int, today: date) -> list[MealSummary]:
    rows = connection.execute(_UPCOMING_MEALS, {"diner_id": diner_id, "today": today})
    return [
        MealSummary(id=meal_id, date=day, start=start, status=status, cover_cook=cover)
        for meal_id, day, start, status, cover in rows
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
