"""Cover while a cook is away: who can take a meal, asking them (familiar faces first)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date

from sqlmodel import Session, col, select

from app.cooks.service import find_own_profile
from app.councils.rules import council_today
from app.db import lock_row, utcnow
from app.diners.erasure_hold import erasure_hold
from app.diners.service import alert_recipients
from app.errors import Conflict, NotFound
from app.geo.distance import haversine_m, public_distance_m
from app.matching import engine
from app.matching.engine.busy import clashes
from app.matching.inputs import CookFields, cook_input, cook_inputs, diner_input, history
from app.models import Cook, CookAway, Council, Diner, Meal, Notification, Pairing, User
from app.names import first_name
from app.notifications import messages
from app.notifications.outbox import enqueue, tell
from app.schemas import minutes
from app.vocab import MealStatus

ALL_FREQUENCIES = frozenset({"weekly", "fortnightly", "monthly"})
NO_LONGER_NEEDS_COVER = "This meal no longer needs cover"  # 409: taken, back, or cancelled


def _one_off(diner: Diner, meal: Meal, *, excluded: set[int], met: set[int]) -> engine.DinerInput:
    """The diner's needs, but only for this meal's hour (a cover is a one-off)."""
    start = minutes(meal.start)
    base = diner_input(diner, excluded=excluded, met=met, frequency="weekly")
    window = engine.Window(meal.date.weekday(), start, min(start + 60, 1440))
    return replace(base, windows=(window,))


def cover_candidates(session: Session, *, meal: Meal) -> list[tuple[CookFields, float, bool]]:
    """Cooks who may safely take this meal, familiar faces first, then nearest; only familiar
    faces for a diner held for an erasure their carer asked for (no cook is newly sent their
    needs, nor given their address: app/diners/erasure_hold.py; seek_cover tells the
    coordinator when none can)."""
    diner = session.get(Diner, meal.diner_id)
    pairing = session.get(Pairing, meal.pairing_id)
    council = session.get(Council, meal.council_id)
    assert diner is not None and pairing is not None and council is not None
    inputs, rows = cook_inputs(
        session,
        council=council,
        today=council_today(council),
        near=(diner.latitude, diner.longitude),
        # One meal, one day: _away_on and _busy_near below look at that day itself. (Away
        # weekdays would drop a cook away this week from a meal next week, an outside check.)
        with_away=False,
        with_booked=False,
    )
    # A cook who declined to be the diner's regular cook may still cover one meal.
    excluded, met = history(session, [meal.diner_id], declined_excluded=False)
    met_ids = met[meal.diner_id] | _covered_before(session, meal.diner_id)
    target = _one_off(diner, meal, excluded=excluded[meal.diner_id], met=met_ids)
    busy = _away_on(session, meal.date) | _busy_near(session, meal) | _in_review(session, council)
    held = erasure_hold(session, diner=diner) is not None
    found = []
    for cook in inputs:
        if cook.id == pairing.cook_id or cook.id in busy or (held and cook.id not in met_ids):
            continue
        # Covers don't take a place, and any frequency will do for a single meal.
        candidate = replace(cook, spare=max(cook.spare, 1), frequencies=ALL_FREQUENCIES)
        if not _may_cover(candidate, target, council):
            continue
        if engine.check_slot(candidate, target, meal.date.weekday(), minutes(meal.start)):
            continue
        distance = haversine_m(cook.lat, cook.lon, diner.latitude, diner.longitude)
        found.append((rows[cook.id], distance, cook.id in met_ids))
    return sorted(found, key=lambda f: (not f[2], f[1], f[0].id))


def can_still_cover(session: Session, *, cook: Cook, meal: Meal, diner: Diner) -> bool:
    """Whether a cook who took this meal as cover may still bring it to the diner as they are
    now: every hard rule (allergies, diets, texture, the walk, an exclusion) but the places and
    the time, which the cover does not take or already agreed. Needs that changed while the
    meal was cancelled would otherwise reach a cook who cooked to the old ones."""
    council = session.get(Council, meal.council_id)
    assert council is not None
    excluded, met = history(session, [meal.diner_id], declined_excluded=False)
    target = _one_off(diner, meal, excluded=excluded[meal.diner_id], met=met[meal.diner_id])
    offer = cook_input(cook, council=council, today=council_today(council), load=0)
    return _may_cover(replace(offer, spare=1, frequencies=ALL_FREQUENCIES), target, council)


def _may_cover(cook: engine.CookInput, diner: engine.DinerInput, council: Council) -> bool:
    """Every hard rule, the walk judged on the distance as the cook sees it (to 100 m): a cook
    sees which meals they are asked to cover, so the exact distance would let one who lowers
    their walk 100 m at a time learn where a diner lives to closer than the rounding shows (a
    security review narrowed one to 50 m)."""
    broken = engine.check_pair(cook, diner, max_radius_m=council.max_walk_radius_m)
    if any(v.rule != "out_of_reach" for v in broken):
        return False
    seen = public_distance_m(haversine_m(cook.lat, cook.lon, diner.lat, diner.lon))
    return seen <= min(cook.radius_m, council.max_walk_radius_m)


def _covered_before(session: Session, diner_id: int) -> set[int]:
    rows = session.exec(
        select(Meal.cook_id).where(
            Meal.diner_id == diner_id,
            col(Meal.is_cover).is_(True),
            Meal.status == MealStatus.delivered,
        )
    ).all()
    return {r for r in rows if r is not None}


def _in_review(session: Session, council: Council) -> set[int]:
    """Cooks who moved since approval: no cover until staff confirm where they live."""
    rows = session.exec(
        select(Cook.id).where(Cook.council_id == council.id, col(Cook.location_review).is_(True))
    ).all()
    return {r for r in rows if r is not None}


def _busy_near(session: Session, meal: Meal) -> set[int]:
    """Cooks already bringing another meal that day close to this meal's time (the engine's
    rule: ``engine.busy.clashes``, as for pairings)."""
    weekday, start = meal.date.weekday(), minutes(meal.start)
    rows = session.exec(
        select(Meal.cook_id, Meal.start).where(
            Meal.date == meal.date,
            Meal.id != meal.id,
            col(Meal.status).in_((MealStatus.scheduled, MealStatus.delivered)),
        )
    ).all()
    return {
        cook_id
        for cook_id, other in rows
        if cook_id is not None and clashes(weekday, start, [(weekday, minutes(other))])
    }


def _away_on(session: Session, day: date) -> set[int]:
    rows = session.exec(
        select(CookAway.cook_id).where(col(CookAway.from_date) <= day, col(CookAway.to_date) >= day)
    ).all()
    return set(rows)


def ask_for_cover(
    session: Session, *, meal: Meal, limit: int = 5, given_back_by: int | None = None
) -> int:
    """Ask the best few candidates (a cook the diner has met first). Each time a meal needs
    cover is a new request, keyed by its time: a cook asked when the meal last needed cover
    (then taken by someone who gave it back, or planned again at another time) is asked again,
    not swallowed as a duplicate (an outside check). Never the cook it was just taken from
    (`given_back_by`): a cook who stopped was asked, in the same second as "please do not bring
    it", to cover the meal they had given up (a newcomer's walk)."""
    diner = session.get(Diner, meal.diner_id)
    assert diner is not None
    asked, now = 0, utcnow().isoformat()
    candidates = [c for c in cover_candidates(session, meal=meal) if c[0].id != given_back_by]
    for cook, _distance, _met in candidates[:limit]:
        request = messages.cover_request(
            diner_name=first_name(diner.full_name),
            day=meal.date,
            start=meal.start,
            needs=messages.needs_in_words(
                diets=diner.diets,
                allergies=diner.allergies,
                texture=diner.texture,
                other_allergies=diner.other_allergies,
            ),
        )
        enqueue(
            session,
            event=request.event,
            to=cook.user_id,
            subject=request.subject,
            body=request.body,
            dedupe_key=f"meal:{meal.id}:cover_request:{cook.id}:{now}",
            about_diner_id=diner.id,
        )
        asked += 1
    return asked


def cover_requests_for(session: Session, *, user: User) -> list[tuple[Meal, int]]:
    """Meals needing cover that this cook could take, each with how far its diner lives from
    the cook as the cook may see it (to 100 m): how far is what a cook weighs first (a
    newcomer's walk found the requests gave none)."""
    cook = find_own_profile(session, user=user)
    if cook is None:
        raise NotFound("You have no cook profile yet")
    council = session.get(Council, cook.council_id)
    assert council is not None
    rows = session.exec(
        select(Meal, Diner.latitude, Diner.longitude)
        .join(Diner, col(Diner.id) == Meal.diner_id)
        .where(
            Meal.council_id == cook.council_id,
            Meal.status == MealStatus.needs_cover,
            col(Meal.at) > utcnow(),  # not a meal whose time has gone (a 17:00 one at 22:00)
        )
        .order_by(col(Meal.at))
    ).all()
    # Only meals within this cook's walk (as they see the distance: _may_cover) go through
    # the full candidate check, one per meal.
    reach = min(cook.walk_radius_m, council.max_walk_radius_m)
    in_reach = [
        (meal, shown)
        for meal, lat, lon in rows
        if (shown := public_distance_m(haversine_m(cook.latitude, cook.longitude, lat, lon)))
        <= reach
    ]
    return [
        (m, shown)
        for m, shown in in_reach
        if any(c.id == cook.id for c, _, _ in cover_candidates(session, meal=m))
    ]


def was_asked(session: Session, *, meal: Meal, cook: Cook) -> bool:
    """Whether this cook was sent a cover request for this meal (ask_for_cover's message, keyed
    by the time it was asked: any of them)."""
    asked = select(Notification.id).where(
        col(Notification.dedupe_key).startswith(
            f"meal:{meal.id}:cover_request:{cook.id}:", autoescape=True
        ),
        Notification.to_user_id == cook.user_id,
    )
    return session.exec(asked).first() is not None


def take_cover(session: Session, *, user: User, meal_id: int) -> Meal:
    """The cook takes the meal; the pairing itself is unchanged."""
    cook = find_own_profile(session, user=user, lock=True)
    meal = locked_meal(session, meal_id=meal_id)  # after the cook: lock_row's order
    if cook is None or meal is None or meal.council_id != cook.council_id:
        raise NotFound("Meal not found")
    candidate = is_candidate(session, cook=cook, meal=meal)
    if meal.status != MealStatus.needs_cover:
        # Only a cook who was asked (or could have taken it) learns that it is gone.
        if candidate or was_asked(session, meal=meal, cook=cook):
            raise Conflict(NO_LONGER_NEEDS_COVER)
        raise NotFound("Meal not found")
    if not candidate:
        raise NotFound("Meal not found")  # not one this cook may take
    check_not_past(meal)
    return cover_meal(session, cook=cook, meal=meal)


def locked_meal(session: Session, *, meal_id: int) -> Meal | None:
    """The meal and its diner, read again locked until commit, the diner first (lock_row's
    order: a caller locks the cook before): two takers of one meal, the second sees it taken;
    and a change of the diner's needs committing meanwhile (an allergy added) is waited for
    and then judged against, where a cook unsafe for the new needs was given the meal (a
    review reproduced it on PostgreSQL)."""
    meal = session.get(Meal, meal_id)
    if meal is None:
        return None
    diner = session.get(Diner, meal.diner_id)
    if diner is not None:
        lock_row(session, diner)
    lock_row(session, meal)
    return meal


def is_candidate(session: Session, *, cook: Cook, meal: Meal) -> bool:
    """Whether the cook is among those who may cover the meal now (`cover_candidates`)."""
    return any(c.id == cook.id for c, _, _ in cover_candidates(session, meal=meal))


def is_past(meal: Meal) -> bool:
    """Whether the meal's time has come: it is delivered or missed then, not covered."""
    return meal.at.replace(tzinfo=meal.at.tzinfo or UTC) <= utcnow()


def check_not_past(meal: Meal) -> None:
    """409 once the meal's time has come (`is_past`)."""
    if is_past(meal):
        raise Conflict("This meal's time has passed")


def cover_meal(session: Session, *, cook: Cook, meal: Meal, arranged_by: int | None = None) -> Meal:
    """The meal becomes the cook's cover (checked: a candidate, still needing cover, not past),
    so its diner's address and access notes show on the cook's page, as for their own; the
    pairing itself is unchanged. The carer, the coordinator (the council's staff without one)
    and the regular cook are told who will bring it, but `arranged_by`, the staff member who
    arranged it (they know)."""
    meal.status, meal.cook_id, meal.is_cover = MealStatus.scheduled, cook.id, True
    session.add(meal)
    diner = session.get(Diner, meal.diner_id)
    pairing = session.get(Pairing, meal.pairing_id)
    assert diner is not None and pairing is not None
    regular = session.get(Cook, pairing.cook_id)

    def arranged(*, call_them: bool) -> messages.Message:
        return messages.cover_arranged(
            cook_name=cook.display_name,
            diner_name=first_name(diner.full_name),
            day=meal.date,
            start=meal.start,
            call_them=call_them,
        )

    staff = [s for s in alert_recipients(session, diner) if s != arranged_by]
    # A diner with no carer hears of it from one person: the staff member who recorded the
    # cover, who has just phoned the cook and whom the cover page asks; the coordinator only
    # when the cook took it themselves. Both were asked, and both might call, or each leave
    # it to the other (a review).
    call_them = diner.carer_id is None and arranged_by is None
    key = f"meal:{meal.id}:covered:{cook.id}:{utcnow().isoformat()}"
    for recipient in (diner.carer_id, *staff, regular.user_id if regular else None):
        told = arranged(call_them=call_them and recipient in staff)
        tell(session, told, to=recipient, dedupe_key=key, about_diner_id=diner.id)
    session.flush()
    return meal
