"""A diner's needs or address change (PATCH /api/diners/{id}): safety first for their pairing.

A flow: it crosses diners, matching (the engine's hard rules), pairings, meals and the outbox.
A change the current cook can no longer meet safely (an allergen, a diet, a texture, an address
beyond their walk) pauses the pairing at once with reason ``needs_changed`` (a proposal is
withdrawn instead), cancels its meals and tells the cook and the coordinator. A change of times
only tells the coordinator. Audit entries carry ids and field names, never values.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from app.audit import record_audit
from app.config import Settings
from app.councils.rules import council_today
from app.diners.schemas import DinerUpdate
from app.errors import Conflict, RuleBroken
from app.matching import engine
from app.matching.inputs import cook_input, diner_input
from app.meals.service import OPEN_MEAL, cancel_future_meals, seek_cover
from app.models import OPEN_STATUSES, Cook, Council, Diner, Meal, Neighbourhood, Pairing, User
from app.names import first_name
from app.notifications import messages
from app.notifications.outbox import enqueue
from app.pairings.lifecycle import end_pairing
from app.places import locate_place
from app.schemas import minutes
from app.vocab import (
    WEEKDAYS,
    CancelReason,
    DinerStatus,
    EndReason,
    MealStatus,
    PairingStatus,
    PauseReason,
)

TIMES = frozenset({"availability", "frequency"})
# The engine's hard rules that are about the diner's safety (not capacity, vetting or time).
SAFETY_RULES = {
    "allergen_unsafe": "an allergy the cook cannot cook free from",
    "diet_unmet": "a diet the cook does not cook",
    "texture_unmet": "a texture the cook cannot make",
    "out_of_reach": "an address beyond the cook's walk",
}
FIELD_WORDS = {
    "diets": "diets",
    "allergies": "allergies",
    "texture": "food texture",
    "availability": "meal times",
    "frequency": "how often they would like a meal",
    "access_notes": "access notes",
    "address_line": "address",
    "postcode": "postcode",
}


def change_diner(
    session: Session, *, actor: User, diner: Diner, body: DinerUpdate, settings: Settings
) -> list[str]:
    """Apply the changes sent; returns the names of the fields that changed (none: no-op).

    Every check that can refuse comes before the first change, so a 422 saves nothing.
    """
    # Locked, and read afresh (app.db), before the checks: it may have left meanwhile.
    session.exec(select(Diner).where(Diner.id == diner.id).with_for_update()).first()
    if diner.status == DinerStatus.left:
        raise Conflict("This diner has left")
    values = body.model_dump(mode="json", exclude_unset=True, exclude={"postcode"})
    new_place = None
    if "postcode" in body.model_fields_set:
        place = locate_place(session, raw_postcode=body.postcode, role="diner", settings=settings)
        if place.council.id != diner.council_id:
            # Staff see only their own council's diners: a move between councils is handed over
            # by the coordinators, not made by one request.
            raise RuleBroken(
                "outside_council_area",
                ["postcode"],
                "This postcode is in another council's area: please ask the coordinator "
                "to move the diner to that council",
            )
        if place.postcode.full != diner.postcode:
            new_place = place
    changed = sorted(name for name, value in values.items() if getattr(diner, name) != value)
    if new_place is not None:
        changed = sorted([*changed, "postcode"])
    if not changed:
        return []

    pairing = session.exec(
        select(Pairing)
        .where(Pairing.diner_id == diner.id, col(Pairing.status).in_(OPEN_STATUSES))
        .with_for_update()
    ).first()
    before = _needs(diner, pairing)
    old_hood = diner.neighbourhood_id
    for name in changed:
        if name != "postcode":
            setattr(diner, name, values[name])
    if new_place is not None:
        diner.postcode = new_place.postcode.full
        diner.latitude = new_place.location.latitude
        diner.longitude = new_place.location.longitude
        diner.geo_precision = new_place.location.precision
        diner.neighbourhood_id = new_place.neighbourhood.id if new_place.neighbourhood else None
    session.add(diner)
    entry = record_audit(
        session,
        actor_id=actor.id,
        council_id=diner.council_id,
        action="diner.changed",
        subject_type="diner",
        subject_id=diner.id,
        data={"fields": changed},
    )
    session.flush()
    if pairing is not None:
        _safety_first(
            session,
            actor=actor,
            diner=diner,
            pairing=pairing,
            before=before,
            changed=changed,
            change_key=f"diner:{diner.id}:change:{entry.id}",
            # Whoever made the change (staff, perhaps the coordinator) knows of it already.
            coordinators=_coordinators(session, diner, {old_hood, diner.neighbourhood_id})
            - {actor.id},
        )
    session.flush()
    return changed


def _needs(diner: Diner, pairing: Pairing | None) -> engine.DinerInput:
    """The diner as the engine sees them (for the pairing's frequency, if there is one)."""
    return diner_input(
        diner, excluded=set(), met=set(), frequency=pairing.frequency if pairing else None
    )


def _unsafe(
    cook: engine.CookInput,
    before: engine.DinerInput,
    after: engine.DinerInput,
    max_radius_m: float,
) -> list[str]:
    """The safety rules the change makes the cook break (rules already broken are not new)."""
    broken_before = {v.rule for v in engine.check_pair(cook, before, max_radius_m=max_radius_m)}
    return sorted(
        {
            v.rule
            for v in engine.check_pair(cook, after, max_radius_m=max_radius_m)
            if v.rule in SAFETY_RULES and v.rule not in broken_before
        }
    )


def _safety_first(
    session: Session,
    *,
    actor: User,
    diner: Diner,
    pairing: Pairing,
    before: engine.DinerInput,
    changed: list[str],
    change_key: str,
    coordinators: set[int],
) -> None:
    council = session.get(Council, diner.council_id)
    cook = session.get(Cook, pairing.cook_id)
    assert council is not None and cook is not None
    today = council_today(council)
    after = _needs(diner, pairing)
    cook_in = cook_input(cook, council=council, today=today, load=0)
    unsafe = _unsafe(cook_in, before, after, council.max_walk_radius_m)
    name = first_name(diner.full_name)
    what = _words(changed, FIELD_WORDS)
    if unsafe:
        _stop_pairing(
            session,
            actor=actor,
            diner=diner,
            pairing=pairing,
            cook=cook,
            today=today,
            unsafe=unsafe,
            what=what,
            change_key=change_key,
            coordinators=coordinators,
        )
        return
    slot = None
    if "availability" in changed:
        slot = engine.check_slot(cook_in, after, pairing.weekday, minutes(pairing.start))
    when = f"{WEEKDAYS[pairing.weekday]}s at {pairing.start}" if slot else None
    to_staff = messages.diner_changed_to_coordinator(diner_name=name, what=what, when=when)
    for to in sorted(coordinators):
        enqueue(
            session,
            event=to_staff.event,
            to=to,
            subject=to_staff.subject,
            body=to_staff.body,
            dedupe_key=f"{change_key}:coordinator",
            about_diner_id=diner.id,
        )
    if (slot or not set(changed) <= TIMES) and pairing.status != PairingStatus.proposed:
        to_cook = messages.diner_changed_to_cook(diner_name=name, what=what, when=when)
        enqueue(
            session,
            event=to_cook.event,
            to=cook.user_id,
            subject=to_cook.subject,
            body=to_cook.body,
            dedupe_key=f"{change_key}:cook",
            about_diner_id=diner.id,
        )
    _recover_unsafe_covers(
        session, diner=diner, pairing=pairing, council=council, today=today, before=before
    )


def _stop_pairing(
    session: Session,
    *,
    actor: User,
    diner: Diner,
    pairing: Pairing,
    cook: Cook,
    today: date,
    unsafe: list[str],
    what: str,
    change_key: str,
    coordinators: set[int],
) -> None:
    """Withdraw a proposal, or pause the pairing and cancel its meals; tell everyone concerned."""
    name = first_name(diner.full_name)
    why = _words(unsafe, SAFETY_RULES)
    if pairing.status == PairingStatus.proposed:
        end_pairing(session, pairing=pairing, reason=EndReason.needs_changed)
        action = "pairing.withdrawn"
        to_cook = messages.invitation_withdrawn_to_cook(diner_name=name)
        to_staff = messages.invitation_withdrawn_to_staff(
            diner_name=name, cook_name=cook.display_name, what=what, why=why
        )
        told = {cook.user_id}
    else:
        told = {cook.user_id} | _cover_cooks(session, pairing=pairing, today=today)
        pairing.status, pairing.pause_reason = PairingStatus.paused, PauseReason.needs_changed
        session.add(pairing)
        cancel_future_meals(
            session, pairing=pairing, reason=CancelReason.needs_changed, today=today
        )
        _retag_concern_cancellations(session, pairing=pairing, today=today)
        action = "pairing.paused"
        to_cook = messages.needs_pause_to_cook(diner_name=name)
        to_staff = messages.needs_pause_to_staff(
            diner_name=name, cook_name=cook.display_name, what=what, why=why
        )
    record_audit(
        session,
        actor_id=actor.id,
        council_id=diner.council_id,
        action=action,
        subject_type="pairing",
        subject_id=pairing.id,
        data={
            "reason": PauseReason.needs_changed,
            "diner_id": diner.id,
            "cook_id": pairing.cook_id,
        },
    )
    for to in sorted(told):
        enqueue(
            session,
            event=to_cook.event,
            to=to,
            subject=to_cook.subject,
            body=to_cook.body,
            dedupe_key=f"{change_key}:stopped",
            about_diner_id=diner.id,
        )
    for to in sorted(coordinators - told):
        enqueue(
            session,
            event=to_staff.event,
            to=to,
            subject=to_staff.subject,
            body=to_staff.body,
            dedupe_key=f"{change_key}:stopped",
            about_diner_id=diner.id,
        )
    if diner.carer_id is not None and diner.carer_id != actor.id:
        to_carer = messages.needs_pause_to_carer(diner_name=name, what=what)
        enqueue(
            session,
            event=to_carer.event,
            to=diner.carer_id,
            subject=to_carer.subject,
            body=to_carer.body,
            dedupe_key=f"{change_key}:stopped",
            about_diner_id=diner.id,
        )


def _future_open_meals(session: Session, *, pairing: Pairing, today: date) -> list[Meal]:
    return list(
        session.exec(
            select(Meal).where(
                Meal.pairing_id == pairing.id,
                col(Meal.date) >= today,
                col(Meal.status).in_(OPEN_MEAL),
            )
        ).all()
    )


def _cover_cooks(session: Session, *, pairing: Pairing, today: date) -> set[int]:
    """The users of cooks covering this pairing's coming meals (they are told too)."""
    cook_ids = {
        m.cook_id
        for m in _future_open_meals(session, pairing=pairing, today=today)
        if m.cook_id is not None and m.cook_id != pairing.cook_id
    }
    if not cook_ids:
        return set()
    return set(session.exec(select(Cook.user_id).where(col(Cook.id).in_(cook_ids))).all())


def _retag_concern_cancellations(session: Session, *, pairing: Pairing, today: date) -> None:
    """Meals a concern had cancelled stay cancelled for the needs: resolving it brings none back."""
    for meal in session.exec(
        select(Meal).where(
            Meal.pairing_id == pairing.id,
            col(Meal.date) >= today,
            Meal.cancel_reason == CancelReason.concern_pause,
        )
    ).all():
        meal.cancel_reason = CancelReason.needs_changed
        session.add(meal)


def _recover_unsafe_covers(
    session: Session,
    *,
    diner: Diner,
    pairing: Pairing,
    council: Council,
    today: date,
    before: engine.DinerInput,
) -> None:
    """A cover cook who cannot meet the new needs safely gives the meal back (cover is sought
    again among cooks who can) and is told."""
    after = _needs(diner, pairing)
    for meal in _future_open_meals(session, pairing=pairing, today=today):
        if not meal.is_cover or meal.cook_id is None or meal.status != MealStatus.scheduled:
            continue
        cover = session.get(Cook, meal.cook_id)
        assert cover is not None
        cover_in = cook_input(cover, council=council, today=today, load=0)
        if not _unsafe(cover_in, before, after, council.max_walk_radius_m):
            continue
        name = first_name(diner.full_name)
        cancelled = messages.cover_cancelled(diner_name=name, day=meal.date)
        enqueue(
            session,
            event=cancelled.event,
            to=cover.user_id,
            subject=cancelled.subject,
            body=cancelled.body,
            dedupe_key=f"meal:{meal.id}:cover_cancelled:{cover.id}",
            about_diner_id=diner.id,
        )
        seek_cover(session, meals=[meal])


def _coordinators(session: Session, diner: Diner, hood_ids: set[int | None]) -> set[int]:
    """The coordinators of the diner's neighbourhoods (before and after a move), or else the
    council's staff."""
    ids = [h for h in hood_ids if h is not None]
    found = (
        {
            c
            for c in session.exec(
                select(Neighbourhood.coordinator_id).where(col(Neighbourhood.id).in_(ids))
            ).all()
            if c is not None
        }
        if ids
        else set()
    )
    if found:
        return found
    staff = session.exec(
        select(User.id).where(
            User.role == "staff",
            User.council_id == diner.council_id,
            col(User.is_active).is_(True),
        )
    ).all()
    return {s for s in staff if s is not None}


def _words(codes: list[str], words: dict[str, str]) -> str:
    parts = [words[c] for c in codes]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
