"""Staff arrange a meal's cover. The platform asks the best few cooks itself (cover.ask_for_cover)
and alerts the coordinator two days before if nobody has taken the meal; the coordinator then
picks up the phone. This is what they need for it: the meal, the diner's needs and every cook
who could take it (how far, met before, asked already), and a way to record that a cook they
spoke to agreed, as if the cook had taken it from their own page (cover.cover_meal), audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.audit import record_audit
from app.db import lock_row, utcnow
from app.errors import Conflict, NotFound, RuleBroken
from app.meals.cover import (
    NO_LONGER_NEEDS_COVER,
    check_not_past,
    cover_candidates,
    cover_meal,
    is_candidate,
    is_past,
    locked_meal,
)
from app.models import Cook, Diner, Meal, Notification, Pairing, User
from app.moderation.audit_log import COVER_ARRANGED
from app.moderation.rules import is_theirs
from app.names import first_name
from app.notifications import messages
from app.notifications.outbox import tell
from app.vocab import MealStatus


@dataclass(frozen=True)
class CoverCandidate:
    """A cook who could cover the meal, as staff see them (their record shows the same)."""

    cook_id: int
    full_name: str
    phone: str
    distance_m: float  # exact: staff pages word it (geo.distance.staff_distance_text)
    met: bool  # the diner has met them: their regular cook before, or a cover they brought
    asked: bool  # sent a cover request for this meal (cover.ask_for_cover)


@dataclass(frozen=True)
class CoverPlan:
    """One meal's cover as staff see it. `candidates` only while it still needs cover and its
    time has not come; `cook_name`: whoever is down to bring it now (none while it needs
    cover). A cook who now volunteers with another council (`regular_cook_elsewhere`,
    `cook_elsewhere`) is named, as their concern pages name them, and no more: their record
    is that council's (it answers 404 here: moderation.rules.is_theirs)."""

    meal: Meal
    diner: Diner
    regular_cook_id: int
    regular_cook_name: str
    cook_name: str | None
    past: bool
    candidates: list[CoverCandidate]
    regular_cook_elsewhere: bool = False
    cook_elsewhere: bool = False

    @property
    def needs_cover(self) -> bool:
        return self.meal.status == MealStatus.needs_cover and not self.past


def _councils_meal(session: Session, *, staff: User, meal: Meal | None) -> Diner:
    """The meal's diner; 404 for another council's meal (or none), or an erased diner's."""
    if meal is None or meal.council_id != staff.council_id:
        raise NotFound("Meal not found")
    diner = session.get(Diner, meal.diner_id)
    if diner is None or diner.anonymised_at is not None:
        raise NotFound("Meal not found")
    return diner


@dataclass(frozen=True)
class _Named:
    name: str  # their account's full name
    phone: str  # "" for a cook of another council now: their contacts are theirs to hold
    elsewhere: bool  # volunteers with another council now


def _people(session: Session, *, council_id: int, cook_ids: set[int]) -> dict[int, _Named]:
    """Each cook named, with their phone while they are of this council. A cook who moved to
    another council is named still (the regular cook of a meal here read "A cook no longer on
    record", linked to a record that answers 404; a review)."""
    rows = session.exec(
        select(Cook.id, User.full_name, Cook.phone, Cook.council_id)
        .join(User, col(User.id) == Cook.user_id)
        .where(col(Cook.id).in_(cook_ids))
    ).all()
    return {
        cook_id: _Named(name, phone, elsewhere=False)
        if is_theirs(council, council_id)
        else _Named(name, "", elsewhere=True)
        for cook_id, name, phone, council in rows
        if cook_id is not None
    }


def _asked(session: Session, *, meal: Meal, user_ids: dict[int, int]) -> set[int]:
    """Which of these cooks (cook id: account id) were sent a cover request for the meal:
    cover.was_asked for all of them in one read."""
    prefix = f"meal:{meal.id}:cover_request:"
    rows = session.exec(
        select(Notification.dedupe_key, Notification.to_user_id).where(
            col(Notification.dedupe_key).startswith(prefix, autoescape=True),
            col(Notification.to_user_id).in_(set(user_ids.values())),
        )
    ).all()
    asked = set()
    for key, to in rows:
        cook_id = key.removeprefix(prefix).split(":", 1)[0]
        if cook_id.isdigit() and user_ids.get(int(cook_id)) == to:
            asked.add(int(cook_id))
    return asked


def cover_plan(session: Session, *, staff: User, meal_id: int) -> CoverPlan:
    """A meal of the staff member's council with the cooks who could cover it, familiar faces
    first, then nearest (cover.cover_candidates); 404 for another council's."""
    meal = session.get(Meal, meal_id)
    diner = _councils_meal(session, staff=staff, meal=meal)
    assert meal is not None
    pairing = session.get(Pairing, meal.pairing_id)
    assert pairing is not None
    past = is_past(meal)
    found = (
        cover_candidates(session, meal=meal)
        if meal.status == MealStatus.needs_cover and not past
        else []
    )
    ids = {pairing.cook_id, *(c.id for c, _, _ in found if c.id is not None)}
    if meal.cook_id is not None:
        ids.add(meal.cook_id)
    people = _people(session, council_id=meal.council_id, cook_ids=ids)
    asked = _asked(
        session, meal=meal, user_ids={c.id: c.user_id for c, _, _ in found if c.id is not None}
    )
    candidates = [
        CoverCandidate(
            cook_id=cook.id,
            full_name=people[cook.id].name,
            phone=people[cook.id].phone,
            distance_m=distance,
            met=met,
            asked=cook.id in asked,
        )
        for cook, distance, met in found
        if cook.id is not None and cook.id in people and not people[cook.id].elsewhere
    ]
    regular = people.get(pairing.cook_id, _Named("A cook no longer on record", "", False))
    bringing = meal.cook_id if meal.status == MealStatus.scheduled else None
    covering = people.get(bringing) if bringing is not None else None
    return CoverPlan(
        meal=meal,
        diner=diner,
        regular_cook_id=pairing.cook_id,
        regular_cook_name=regular.name,
        cook_name=covering.name if covering else None,
        past=past,
        candidates=candidates,
        regular_cook_elsewhere=regular.elsewhere,
        cook_elsewhere=covering.elsewhere if covering else False,
    )


def _not_a_candidate() -> RuleBroken:
    return RuleBroken(
        "not_a_cover_candidate",
        ["cook_id"],
        "This cook cannot cover this meal now: choose one of the cooks listed",
    )


def arrange_cover(session: Session, *, staff: User, meal_id: int, cook_id: int) -> Meal:
    """Record that a cook the coordinator spoke to agreed to cover the meal: the same checks
    and steps as the cook taking it themselves (cover.take_cover), the cook told in writing
    what they agreed, and the staff action audited. 404 for another council's meal; 409 once
    it no longer needs cover (taken meanwhile) or its time has come; a cook who is not a
    candidate now (another council's, away, busy, out of reach, unable to meet the diner's
    needs) breaks the rule `not_a_cover_candidate`, named on `cook_id`."""
    _councils_meal(session, staff=staff, meal=session.get(Meal, meal_id))  # 404 first
    cook = session.get(Cook, cook_id)
    if cook is None or cook.council_id != staff.council_id:
        raise _not_a_candidate()  # not locked: only this council's cooks are (a review)
    # Locked in lock_row's order, the cook, the diner, then the meal, as take_cover does: a
    # cook taking the meal from their page at the same moment waits, and one of the two finds
    # it taken; a change of the diner's needs or the cook's days away is waited for.
    lock_row(session, cook)
    meal = locked_meal(session, meal_id=meal_id)
    diner = _councils_meal(session, staff=staff, meal=meal)
    assert meal is not None
    if meal.status != MealStatus.needs_cover:
        raise Conflict(NO_LONGER_NEEDS_COVER)
    check_not_past(meal)
    if cook.council_id != staff.council_id or not is_candidate(session, cook=cook, meal=meal):
        raise _not_a_candidate()
    cover_meal(session, cook=cook, meal=meal, arranged_by=staff.id)
    name = first_name(diner.full_name)
    needs = messages.needs_in_words(
        diets=diner.diets,
        allergies=diner.allergies,
        texture=diner.texture,
        other_allergies=diner.other_allergies,
    )
    told = messages.cover_confirmed(diner_name=name, day=meal.date, start=meal.start, needs=needs)
    key = f"meal:{meal.id}:cover_confirmed:{cook.id}:{utcnow().isoformat()}"
    tell(session, told, to=cook.user_id, dedupe_key=key, about_diner_id=diner.id)
    record_audit(
        session,
        actor_id=staff.id,
        council_id=meal.council_id,
        action=COVER_ARRANGED,
        subject_type="diner",  # the log names the diner and links their record
        subject_id=diner.id,
        data={"meal_id": meal.id, "meal_date": meal.date.isoformat(), "cook_id": cook.id},
    )
    session.flush()
    return meal
