"""A cook's away periods: listed, added, changed and cancelled (saving dates is
meals.mark_away, which keeps one period per absence: app/meals/away_dates.py).

Only periods that have not started can be changed or cancelled, and only to dates from today:
meals already passed, or already covered by someone else, stay as they are. Each step locks the
cook's row before reading their periods (app.db.lock_row's order: the cook first), so that two
tabs saving at once run one after the other, the second seeing the first's periods.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from app.db import lock_row
from app.errors import NotFound, RuleBroken
from app.meals.service import AwaySaved, mark_away
from app.models import Cook, CookAway, Meal, Pairing
from app.vocab import MealStatus, PairingStatus

MAX_DAYS = 366  # as POST /api/cooks/me/away


def list_away(session: Session, *, cook: Cook, today: date) -> list[CookAway]:
    """The cook's away periods that have not ended, soonest first."""
    return list(
        session.exec(
            select(CookAway)
            .where(CookAway.cook_id == cook.id, col(CookAway.to_date) >= today)
            .order_by(col(CookAway.from_date), col(CookAway.id))
        ).all()
    )


def check_dates(from_: date, to: date, *, today: date) -> dict[str, str]:
    """GOV.UK messages for an away period's dates (field → message); {} when fine."""
    errors: dict[str, str] = {}
    if from_ < today:
        errors["from"] = "The first day you are away must be today or in the future"
    if to < today:
        errors["to"] = "The last day you are away must be today or in the future"
    elif to < from_:
        errors["to"] = "The last day you are away must be the same as or after the first day"
    elif (to - from_).days > MAX_DAYS:
        errors["to"] = "An away period can last at most a year: enter an earlier last day"
    return errors


def own_away(session: Session, *, cook: Cook, away_id: int) -> CookAway:
    away = session.get(CookAway, away_id)
    if away is None or away.cook_id != cook.id:
        raise NotFound("Away period not found")
    return away


def add_away(session: Session, *, cook: Cook, from_: date, to: date, today: date) -> AwaySaved:
    """Away dates from today on, as the API's: a new period, or one grown from those they
    overlap or touch, or nothing when already saved; the meals on the new days need cover."""
    _refuse(check_dates(from_, to, today=today))
    return mark_away(session, cook=cook, from_=from_, to=to, today=today)


def cancel_away(session: Session, *, cook: Cook, away_id: int, today: date) -> None:
    """Drop a period that has not started: the cook's own meals in it that nobody has covered
    come back to them."""
    lock_row(session, cook)
    away = own_away(session, cook=cook, away_id=away_id)
    _refuse_started(away, today)
    session.delete(away)
    session.flush()
    _take_back(session, cook=cook, from_=away.from_date, to=away.to_date)


def change_away(
    session: Session, *, cook: Cook, away_id: int, from_: date, to: date, today: date
) -> AwaySaved:
    """New dates for a period that has not started: meals outside them come back, meals on
    the days they add need cover (those on days it already had keep waiting for theirs, their
    cover cooks not asked again); dates that overlap or touch another period join it."""
    lock_row(session, cook)
    away = own_away(session, cook=cook, away_id=away_id)
    _refuse_started(away, today)
    _refuse(check_dates(from_, to, today=today))
    old_from, old_to = away.from_date, away.to_date
    session.delete(away)
    session.flush()
    _take_back(session, cook=cook, from_=old_from, to=old_to, still_away=(from_, to))
    return mark_away(session, cook=cook, from_=from_, to=to, today=today)


def _take_back(
    session: Session,
    *,
    cook: Cook,
    from_: date,
    to: date,
    still_away: tuple[date, date] | None = None,
) -> None:
    """The cook's own pairings' meals in the range that still wait for cover, on days not in
    another of their away periods (nor in `still_away`, the new dates of a changed one), are
    theirs again."""
    others = [
        (a.from_date, a.to_date)
        for a in session.exec(select(CookAway).where(CookAway.cook_id == cook.id)).all()
    ]
    if still_away is not None:
        others.append(still_away)
    meals = session.exec(
        select(Meal)
        .join(Pairing, col(Pairing.id) == Meal.pairing_id)
        .where(
            Pairing.cook_id == cook.id,
            Pairing.status == PairingStatus.active,
            Meal.status == MealStatus.needs_cover,
            col(Meal.date) >= from_,
            col(Meal.date) <= to,
        )
        .order_by(col(Meal.id))
        .with_for_update(of=Meal, key_share=True)  # a cover taken meanwhile stays taken
    ).all()
    for meal in meals:
        if any(first <= meal.date <= last for first, last in others):
            continue
        meal.status, meal.cook_id, meal.is_cover = MealStatus.scheduled, cook.id, False
        session.add(meal)
    session.flush()


def _refuse_started(away: CookAway, today: date) -> None:
    if away.from_date <= today:
        raise RuleBroken(
            "away_started",
            ["path", "away_id"],
            "This away period has started, so it can no longer be changed here: "
            "contact your coordinator",
        )


def _refuse(errors: dict[str, str]) -> None:
    for field, message in errors.items():
        raise RuleBroken("invalid_away", [field], message)
