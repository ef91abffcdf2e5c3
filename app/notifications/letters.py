"""A diner's meal plan as a letter (GOV.UK Notify posts it), for a diner without a carer,
an email address or a phone."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlmodel import Session, col, select

from app.errors import Conflict
from app.models import Cook, Council, Diner, Meal, Neighbourhood, Notification, User
from app.names import cook_to_diner, first_name
from app.notifications.outbox import enqueue
from app.schemas import national_phone
from app.vocab import DinerStatus, MealStatus

PLAN_WEEKS = 4


def who_to_call(session: Session, diner: Diner, council_name: str) -> str:
    """Whom a letter's reader calls: their coordinator by first name and number when the
    coordinator has a phone; else the council's team. A letter said only "call London Borough
    of Barnet", with no number, to an older person with no carer (an outside check)."""
    hood = session.get(Neighbourhood, diner.neighbourhood_id) if diner.neighbourhood_id else None
    person = session.get(User, hood.coordinator_id) if hood and hood.coordinator_id else None
    if person is not None and person.is_active and person.phone:
        name = first_name(person.full_name)
        return f"{name}, your coordinator at {council_name}, on {national_phone(person.phone)}"
    return f"{council_name} and ask for the Extra Portion team"


def meal_plan_text(name: str, meals: list[tuple[date, str, str]], call: str) -> str:
    """The letter's words: each meal's day, time and cook."""
    lines = [
        f"Dear {name}," if name else "Hello,",
        "",
        f"These are your meals for the next {PLAN_WEEKS} weeks. Each is brought to your door "
        "by a neighbour who cooks an extra portion.",
        "",
    ]
    lines += [f"{day:%A} {day.day} {day:%B}, {start}: {cook}" for day, start, cook in meals]
    lines += [
        "",
        f"To change or stop your meals, call {call}.",
    ]
    return "\n".join(lines)


def meals_stopped_text(name: str, cook_name: str, call: str) -> str:
    return "\n".join(
        [
            f"Dear {name}," if name else "Hello,",
            "",
            f"{cook_name} will no longer bring your meals, so no meals will come for now. We are "
            "looking for another neighbour to cook for you, and will write to you again when we "
            "have found one.",
            "",
            f"To ask about your meals, call {call}.",
        ]
    )


def queue_meals_stopped_letter(
    session: Session, *, diner: Diner, cook_name: str, key: str
) -> Notification | None:
    """Post a diner without a carer word that their cook's meals have stopped: they were posted
    the plan, and nobody else would tell them (an outside check)."""
    council = session.get(Council, diner.council_id)
    assert council is not None
    call = who_to_call(session, diner, council.name)
    body = meals_stopped_text(first_name(diner.full_name), cook_to_diner(cook_name), call)
    return enqueue(
        session,
        event="meals_stopped_letter",
        channel="letter",
        to_diner=diner,
        subject="Your meals from Extra Portion have stopped",
        body=body,
        dedupe_key=key,
        about_diner_id=diner.id,
    )


def queue_meal_plan_letter(session: Session, *, diner: Diner, today: date) -> Notification:
    """Queue a letter with the diner's meals for the next four weeks (the same plan is queued
    once a day; a changed plan makes a new letter)."""
    if diner.anonymised_at is not None or diner.status == DinerStatus.left:
        raise Conflict("This diner no longer gets meals")
    council = session.get(Council, diner.council_id)
    assert council is not None
    rows = session.exec(
        select(col(Meal.date), col(Meal.start), col(Cook.display_name))
        .join(Cook, col(Cook.id) == Meal.cook_id)
        .where(
            Meal.diner_id == diner.id,
            Meal.status == MealStatus.scheduled,
            col(Meal.date) >= today,
            col(Meal.date) < today + timedelta(weeks=PLAN_WEEKS),
        )
        .order_by(col(Meal.date), col(Meal.start))
    ).all()
    if not rows:
        raise Conflict(f"No meals are planned for this diner in the next {PLAN_WEEKS} weeks")
    call = who_to_call(session, diner, council.name)
    body = meal_plan_text(first_name(diner.full_name), list(rows), call)
    digest = hashlib.sha256(body.encode()).hexdigest()[:12]
    message = enqueue(
        session,
        event="meal_plan_letter",
        channel="letter",
        to_diner=diner,
        subject="Your meals from Extra Portion",
        body=body,
        dedupe_key=f"diner:{diner.id}:meal_plan:{today}:{digest}",
        about_diner_id=diner.id,
    )
    assert message is not None
    session.flush()
    return message
