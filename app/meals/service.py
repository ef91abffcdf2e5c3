"""Meals: materialising schedules, recording outcomes, cover while a cook is away."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any

from sqlalchemy import Row, bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.cooks.service import find_own_profile
from app.councils.rules import council_today
from app.db import lock_row, utcnow
from app.diners.erasure_hold import erasure_hold
from app.diners.rules import paused_on
from app.diners.service import alert_recipients
from app.errors import Conflict, NotFound, RuleBroken
from app.meals.away_dates import Outcome, Period, plan_away
from app.meals.cover import ask_for_cover, can_still_cover
from app.meals.schedule import occurrences
from app.models import Cook, CookAway, Council, Diner, Meal, Pairing, User
from app.names import first_name
from app.notifications import messages
from app.notifications.outbox import enqueue, tell
from app.vocab import CancelReason, CookStatus, EndReason, MealStatus, PairingStatus

HORIZON_DAYS = 56  # 8 weeks of meals ahead
OPEN_MEAL = (MealStatus.scheduled, MealStatus.needs_cover)


def _anchor(pairing: Pairing, council: Council) -> date:
    """Meals start the day after acceptance: a fixed anchor keeps fortnightly phases stable."""
    accepted = pairing.accepted_at or utcnow()
    return council_today(council, accepted) + timedelta(days=1)


def _away_days(session: Session, cook_id: int) -> list[tuple[date, date]]:
    rows = session.exec(select(CookAway).where(CookAway.cook_id == cook_id)).all()
    return [(r.from_date, r.to_date) for r in rows]


def schedule_meals(session: Session, *, pairing: Pairing, today: date) -> list[Meal]:
    """Create the pairing's missing meals up to the horizon; running it again adds nothing."""
    if pairing.status != PairingStatus.active:
        return []
    council = session.get(Council, pairing.council_id)
    diner = session.get(Diner, pairing.diner_id)
    assert council is not None and diner is not None
    hh, mm = (int(x) for x in pairing.start.split(":"))
    times = occurrences(
        weekday=pairing.weekday,
        start=dt.time(hh, mm),
        frequency=pairing.frequency,  # type: ignore[arg-type]
        anchor=_anchor(pairing, council),
        window_from=today,
        window_to=today + timedelta(days=HORIZON_DAYS),
        tz=council.timezone,
    )
    existing = set(session.exec(select(col(Meal.date)).where(Meal.pairing_id == pairing.id)).all())
    away = _away_days(session, pairing.cook_id)
    created = []
    for when in times:
        day = when.date()
        if day in existing:
            continue
        meal = Meal(
            pairing_id=pairing.id,  # type: ignore[arg-type]
            diner_id=pairing.diner_id,
            council_id=pairing.council_id,
            cook_id=pairing.cook_id,
            date=day,
            start=pairing.start,
            at=when.astimezone(UTC),
        )
        if paused_on(diner, day):
            meal.status, meal.cancel_reason = MealStatus.cancelled, CancelReason.diner_paused
        elif any(a <= day <= b for a, b in away):
            meal.status, meal.cook_id = MealStatus.needs_cover, None
        session.add(meal)
        created.append(meal)
    session.flush()
    seek_cover(session, meals=[m for m in created if m.status == MealStatus.needs_cover])
    return created


def schedule_all(session: Session, *, now: dt.datetime | None = None) -> int:
    """The rolling-horizon job: top up every active pairing's meals (idempotent)."""
    count = 0
    for pairing in session.exec(
        select(Pairing).where(Pairing.status == PairingStatus.active)
    ).all():
        council = session.get(Council, pairing.council_id)
        assert council is not None
        count += len(schedule_meals(session, pairing=pairing, today=council_today(council, now)))
    return count


def cancel_future_meals(
    session: Session, *, pairing: Pairing, reason: EndReason | CancelReason, today: date
) -> int:
    meals = session.exec(
        select(Meal)
        .where(
            Meal.pairing_id == pairing.id, col(Meal.date) >= today, col(Meal.status).in_(OPEN_MEAL)
        )
        .order_by(col(Meal.id))
        .with_for_update(key_share=True)  # see cancel_for_pause
    ).all()
    for meal in meals:
        meal.status, meal.cancel_reason = MealStatus.cancelled, CancelReason(reason)
        session.add(meal)
    return len(meals)


def cancel_for_pause(session: Session, *, diner: Diner, from_: date, to: date) -> list[Meal]:
    """Meals in a diner's pause are cancelled; the cook is told."""
    # Locked, so that a meal whose outcome a cook is recording meanwhile is read once that is
    # done (PostgreSQL then checks its status again): a delivered meal is never cancelled.
    meals = session.exec(
        select(Meal)
        .where(
            Meal.diner_id == diner.id,
            col(Meal.date) >= from_,
            col(Meal.date) <= to,
            col(Meal.status).in_(OPEN_MEAL),
        )
        .order_by(col(Meal.id))
        .with_for_update(key_share=True)
    ).all()
    for meal in meals:
        meal.status, meal.cancel_reason = MealStatus.cancelled, CancelReason.diner_paused
        session.add(meal)
        cook = session.get(Cook, meal.cook_id) if meal.cook_id else None
        if cook is not None:
            note = messages.diner_paused(
                diner_name=first_name(diner.full_name), day=meal.date, away_from=from_, away_to=to
            )
            enqueue(
                session,
                event=note.event,
                to=cook.user_id,
                subject=note.subject,
                body=note.body,
                # Each time: a meal paused, back on, then paused again (the same dates, even)
                # is told of each, or the cook's last word would be "bring it as planned".
                dedupe_key=f"meal:{meal.id}:paused:{utcnow().isoformat()}",
                about_diner_id=diner.id,
            )
    session.flush()
    return list(meals)


def restore_outside_pause(
    session: Session, *, diner: Diner, from_: date | None, to: date | None
) -> list[Meal]:
    """A pause moved, shortened or cancelled (`from_`, `to` None): meals it had cancelled
    outside the new range come back, and their cooks are told (they were told the meal was
    not needed)."""
    council = session.get(Council, diner.council_id)
    assert council is not None
    meals = session.exec(
        select(Meal)
        .where(
            Meal.diner_id == diner.id,
            Meal.cancel_reason == CancelReason.diner_paused,
            col(Meal.date) >= council_today(council),
        )
        .order_by(col(Meal.at), col(Meal.id))
    ).all()
    restored = []
    for meal in meals:
        pairing = session.get(Pairing, meal.pairing_id)
        inside = from_ is not None and to is not None and from_ <= meal.date <= to
        if inside or pairing is None or pairing.status != PairingStatus.active:
            continue
        bring_back(session, meal=meal, diner=diner, tell=True)
        restored.append(meal)
    session.flush()
    return restored


def bring_back(session: Session, *, meal: Meal, diner: Diner, tell: bool) -> None:
    """A cancelled meal is needed after all. Its cook has it again (told, with `tell`) if they
    can still bring it; a meal without a cook, or whose cook no longer can (not approved, away
    that day, or a cover cook who cannot meet the diner's needs as they are now or who has moved
    and is not yet confirmed), goes to cover instead: a suspended cover cook was told to bring
    it, and so was one who cannot cook free of an allergy added while the meal was off.

    A regular cook who moved keeps their own neighbours while in reach (the review of a new
    home is for new ones, as for proposals and cover): a cook who moved away and back had
    every meal sent to cover while the carer read "back on with Sam" (an outside check)."""
    meal.cancel_reason = None
    cook = session.get(Cook, meal.cook_id) if meal.cook_id else None
    if (
        cook is None
        or cook.status != CookStatus.approved
        or (meal.is_cover and cook.location_review)
        or any(a <= meal.date <= b for a, b in _away_days(session, cook.id or 0))
        or (meal.is_cover and not can_still_cover(session, cook=cook, meal=meal, diner=diner))
    ):
        seek_cover(session, meals=[meal])
        return
    meal.status = MealStatus.scheduled
    session.add(meal)
    if tell:
        note = messages.meal_back_on(
            diner_name=first_name(diner.full_name), day=meal.date, start=meal.start
        )
        enqueue(
            session,
            event=note.event,
            to=cook.user_id,
            subject=note.subject,
            body=note.body,
            dedupe_key=f"meal:{meal.id}:back_on:{utcnow().isoformat()}",
            about_diner_id=diner.id,
        )


# --- the cook's meals --------------------------------------------------------------------------


def own_meal(session: Session, *, user: User, meal_id: int, lock: bool = True) -> tuple[Meal, Cook]:
    """A meal the signed-in cook brings (locked until commit, unless only read); anyone else's
    is 'not found'."""
    cook = find_own_profile(session, user=user)
    query = select(Meal).where(Meal.id == meal_id)
    meal = session.exec(query.with_for_update(key_share=True) if lock else query).first()
    if cook is None or meal is None or meal.cook_id != cook.id:
        raise NotFound("Meal not found")
    return meal, cook


# The cook's meals as the list shows them: plain columns with the diner's name joined, in one
# statement built once, with parameters (GET /api/cooks/me/meals).
_COOK_MEAL_ROWS = (
    core_select(
        col(Meal.id),
        col(Meal.pairing_id),
        col(Meal.cook_id),
        col(Meal.date),
        col(Meal.start),
        col(Meal.status),
        col(Meal.is_cover),
        col(Diner.full_name),
        col(Diner.diets),
        col(Diner.allergies),
        col(Diner.other_allergies),
        col(Diner.texture),
    )
    .join(Diner, col(Diner.id) == col(Meal.diner_id))
    .where(
        col(Meal.cook_id) == bindparam("cook_id"),
        col(Meal.date) >= bindparam("from_"),
        col(Meal.date) <= bindparam("to"),
    )
    .order_by(col(Meal.at), col(Meal.id))
)
# The signed-in cook's profile id and their council's time zone (none: no profile yet).
_OWN_COOK_CLOCK = (
    core_select(col(Cook.id), col(Council.timezone))
    .join(Council, col(Council.id) == col(Cook.council_id))
    .where(col(Cook.user_id) == bindparam("user_id"))
)


def own_cook_clock(session: Session, *, user: User) -> tuple[int, date]:
    """The signed-in cook's profile id and their council's date today (no profile yet: 404,
    as app.cooks.service.get_own_profile)."""
    row = session.connection().execute(_OWN_COOK_CLOCK, {"user_id": user.id}).first()
    if row is None:
        raise NotFound("You have no cook profile yet")
    return row.id, council_today(row)


def cook_meal_rows(
    session: Session, *, cook_id: int, from_: date, to: date
) -> Sequence[Row[*tuple[Any, ...]]]:
    """The cook's meals from ``from_`` to ``to`` (by time): id, pairing_id, cook_id, date,
    start, status, is_cover and the diner's full_name and needs, as plain rows."""
    return (
        session.connection()
        .execute(_COOK_MEAL_ROWS, {"cook_id": cook_id, "from_": from_, "to": to})
        .all()
    )


def list_cook_meals(session: Session, *, cook: Cook, from_: date, to: date) -> list[Meal]:
    return list(
        session.exec(
            select(Meal)
            .where(Meal.cook_id == cook.id, col(Meal.date) >= from_, col(Meal.date) <= to)
            .order_by(col(Meal.at), col(Meal.id))
        ).all()
    )


def missed_too_soon(meal: Meal, now: dt.datetime) -> bool:
    """Whether it is still before the meal's time (at 07:00, a 16:30 meal is not missed)."""
    at = meal.at if meal.at.tzinfo else meal.at.replace(tzinfo=UTC)
    return now < at


def record_outcome(session: Session, *, meal: Meal, outcome: MealStatus) -> Meal:
    """delivered from the meal's day (a cook may bring it early), missed only once its time
    has come (it tells the carer and the coordinator that it did not happen); once only."""
    if meal.status != MealStatus.scheduled:
        raise Conflict(f"This meal's outcome cannot be recorded: it is {meal.status}")
    council = session.get(Council, meal.council_id)
    assert council is not None
    if meal.date > council_today(council):
        raise RuleBroken("meal_in_future", ["path", "meal_id"], "The meal's date has not come yet")
    if outcome == MealStatus.missed and missed_too_soon(meal, utcnow()):
        raise RuleBroken(
            "meal_not_yet_due",
            ["path", "meal_id"],
            f"The meal is at {meal.start}: it can be recorded as missed once that time has come",
        )
    meal.status, meal.recorded_at = outcome, utcnow()
    session.add(meal)
    if outcome == MealStatus.missed:
        diner = session.get(Diner, meal.diner_id)
        assert diner is not None
        tell_missed(session, meal=meal, diner=diner)
    session.flush()
    return meal


def tell_missed(session: Session, *, meal: Meal, diner: Diner, but: int | None = None) -> None:
    """The carer and the coordinator (else the staff) hear that the meal did not happen; `but`:
    the staff member who recorded it, who knows."""
    staff = [s for s in alert_recipients(session, diner) if s != but]
    for recipient in (diner.carer_id, *staff):
        missed = messages.meal_missed(
            diner_name=first_name(diner.full_name),
            day=meal.date,
            start=meal.start,
            to_staff=recipient in staff,
        )
        enqueue(
            session,
            event=missed.event,
            to=recipient,
            subject=missed.subject,
            body=missed.body,
            dedupe_key=f"meal:{meal.id}:missed",
            about_diner_id=diner.id,
        )


# --- away and cover ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AwaySaved:
    """What saving away dates did (app/meals/away_dates.py): the period that holds them now,
    and the cook's meals that needed cover because of it (none when already saved)."""

    outcome: Outcome
    period: CookAway
    meals: list[Meal]


def mark_away(
    session: Session, *, cook: Cook, from_: date, to: date, today: date | None = None
) -> AwaySaved:
    """The cook is away from_..to, kept as one period with any it overlaps or touches; their
    meals on the new days need cover (their own diners' and covers they had taken), and the
    pairings carry on. `today`: the cook's council's by default.

    The cook's row is locked first: a cover arranged for them at the same moment (which locks
    it too) waits, then sees the days away, where it gave them a meal on a day they were away
    (a review reproduced it on PostgreSQL); and the same dates saved from two tabs at once are
    saved once, the second reading the periods once the first is done."""
    lock_row(session, cook)
    if today is None:
        council = session.get(Council, cook.council_id)
        assert council is not None
        today = council_today(council)
    saved = {
        a.id: a
        for a in session.exec(
            select(CookAway).where(CookAway.cook_id == cook.id).order_by(col(CookAway.id))
        ).all()
        if a.id is not None
    }
    plan = plan_away(
        [Period(i, a.from_date, a.to_date) for i, a in saved.items()],
        from_=from_,
        to=to,
        today=today,
    )
    if plan.outcome == "already":
        assert plan.grow is not None
        return AwaySaved(plan.outcome, saved[plan.grow], [])
    for folded in plan.drop:
        session.delete(saved[folded])
    if plan.grow is None:
        period = CookAway(
            cook_id=cook.id,  # type: ignore[arg-type]
            from_date=plan.from_date,
            to_date=plan.to_date,
        )
    else:
        period = saved[plan.grow]
        period.from_date, period.to_date = plan.from_date, plan.to_date
    session.add(period)
    session.flush()
    # The days already away had their meals handed on (and cover cooks asked) when saved.
    meals = session.exec(
        select(Meal)
        .where(
            Meal.cook_id == cook.id,
            Meal.status == MealStatus.scheduled,
            col(Meal.date) >= plan.first_new,
            col(Meal.date) <= to,
        )
        .order_by(col(Meal.at))
        .with_for_update(key_share=True)  # see cancel_for_pause
    ).all()
    seek_cover(session, meals=list(meals))
    return AwaySaved(plan.outcome, period, list(meals))


def seek_cover(session: Session, *, meals: list[Meal]) -> None:
    """These meals have no cook now: they need cover, and the best candidates are asked.

    A meal whose cover was arranged (the carer, the coordinator and the regular cook were told
    "Bob will bring it") is told to have fallen through: before, they went on expecting Bob."""
    arranged = [
        m
        for m in meals
        if m.is_cover and m.cook_id is not None and m.status == MealStatus.scheduled
    ]
    given_back_by = {id(meal): meal.cook_id for meal in meals}
    for meal in meals:
        meal.status, meal.cook_id, meal.is_cover = MealStatus.needs_cover, None, False
        session.add(meal)
    session.flush()
    asked = {
        id(meal): ask_for_cover(session, meal=meal, given_back_by=given_back_by[id(meal)])
        for meal in meals
    }
    for meal in arranged:
        _tell_cover_fell_through(session, meal=meal, asked=asked[id(meal)])
    told = {id(meal) for meal in arranged}  # they were told it fell through
    for meal in meals:
        if not asked[id(meal)] and id(meal) not in told:
            _tell_cover_not_sought(session, meal=meal)


def _tell_cover_not_sought(session: Session, *, meal: Meal) -> None:
    """A held diner's meal (app/diners/erasure_hold.py) that no cook they have met can bring:
    no other cook is asked, so the coordinator (else the staff) is told now, and why, rather
    than by the two days' warning (jobs.alert_uncovered) that nobody took it."""
    diner, council = session.get(Diner, meal.diner_id), session.get(Council, meal.council_id)
    assert diner is not None
    held = erasure_hold(session, diner=diner, council=council)
    if held is None:
        return  # others were asked, or none can: the two days' warning says so, as before
    told = messages.cover_not_sought(
        diner_name=first_name(diner.full_name),
        day=meal.date,
        start=meal.start,
        erase_by=held.due_on,
    )
    key = f"meal:{meal.id}:cover_not_sought:{utcnow().isoformat()}"
    for to in alert_recipients(session, diner):
        tell(session, told, to=to, dedupe_key=key, about_diner_id=diner.id)


def _tell_cover_fell_through(session: Session, *, meal: Meal, asked: int) -> None:
    diner, pairing = session.get(Diner, meal.diner_id), session.get(Pairing, meal.pairing_id)
    assert diner is not None and pairing is not None
    regular = session.get(Cook, pairing.cook_id)
    staff = alert_recipients(session, diner)
    key = f"meal:{meal.id}:cover_fell_through:{utcnow().isoformat()}"
    for to in (diner.carer_id, *staff, regular.user_id if regular else None):
        told = messages.cover_fell_through(
            diner_name=first_name(diner.full_name),
            day=meal.date,
            start=meal.start,
            asked=asked,
            to_staff=to in staff,
        )
        tell(session, told, to=to, dedupe_key=key, about_diner_id=diner.id)
