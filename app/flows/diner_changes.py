"""A diner's needs or address change (PATCH /api/diners/{id}): safety first for their pairing.

A flow: it crosses diners, matching (the engine's hard rules), pairings, meals and the outbox.
A change the current cook can no longer meet safely (an allergen, a diet, a texture, an address
beyond their walk) pauses the pairing at once with reason ``needs_changed`` (a proposal is
withdrawn instead), cancels its meals and tells the cook and the coordinator. A change of times
only tells the coordinator. Audit entries carry ids and field names, never values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.audit import record_audit
from app.concerns.service import serious_concern_open
from app.config import Settings
from app.councils.rules import council_today
from app.db import lock_row
from app.diners.schemas import DinerUpdate
from app.errors import Conflict, RuleBroken
from app.geo.distance import haversine_m
from app.matching import engine
from app.matching.inputs import cook_input, diner_input
from app.meals.service import OPEN_MEAL, cancel_future_meals, seek_cover
from app.models import OPEN_STATUSES, Cook, Council, Diner, Meal, Neighbourhood, Pairing, User
from app.names import first_name
from app.notifications import messages, outbox
from app.notifications.outbox import enqueue
from app.pairings.lifecycle import end_pairing, resume_pairing
from app.places import locate_place
from app.schemas import minutes
from app.vocab import (
    SAFETY_PAUSES,
    WEEKDAYS,
    CancelReason,
    DinerStatus,
    EndReason,
    MealStatus,
    PairingStatus,
    PauseReason,
)

TIMES = frozenset({"availability", "frequency"})
# What the meal must be. `other_allergies` (foods beyond the 14, in the carer's words) is one of
# them, but the engine cannot check free text against what a cook cooks free from, so a change
# to it never pauses the pairing by itself: pausing at every edit ("kiwi" to "kiwi fruit")
# would stop meals for nothing. Like any change the cook can still meet, it tells the running
# pairing's cook (and any cover cook) what the meals must now be, naming the foods, and the
# coordinator, who can pause the pairing from the diner's page if the cook cannot keep to it.
NEEDS = frozenset({"diets", "allergies", "other_allergies", "texture"})
FIELD_WORDS = {
    "diets": "diets",
    "allergies": "allergies",
    "other_allergies": "other foods to avoid",
    "texture": "food texture",
    "availability": "meal times",
    "frequency": "meal frequency",  # "Ada's how often they would like a meal changed": not English
    "access_notes": "access notes",
    "address_line": "address",
    "postcode": "postcode",
    "full_name": "name",
    "phone": "phone number",
}
# How to reach the diner, not what their meals must be: a correction of these asks nothing of
# the cook (their page shows the new ones) and nothing of the coordinator (it is audited).
CONTACT_DETAILS = frozenset({"full_name", "phone"})


def change_diner(
    session: Session, *, actor: User, diner: Diner, body: DinerUpdate, settings: Settings
) -> list[str]:
    """Apply the changes sent; returns the names of the fields that changed (none: no-op).

    Every check that can refuse comes before the first change, so a 422 saves nothing.
    """
    # Locked, and read afresh (app.db.lock_row), before the checks: it may have left meanwhile.
    lock_row(session, diner)
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
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).first()
    before = needs_of(diner, pairing)
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
    if pairing is not None and new_place is not None:  # the cook's walk to the new door
        cook = session.get(Cook, pairing.cook_id)
        assert cook is not None
        pairing.distance_m = haversine_m(
            cook.latitude, cook.longitude, diner.latitude, diner.longitude
        )
        session.add(pairing)
    if pairing is not None and set(changed) - CONTACT_DETAILS:
        _safety_first(
            session,
            actor=actor,
            diner=diner,
            pairing=pairing,
            before=before,
            changed=changed,
            change_key=f"diner:{diner.id}:change:{entry.id}",
            # Whoever made the change (staff, perhaps the coordinator) knows of it already.
            coordinators=coordinators_of(session, diner, {old_hood, diner.neighbourhood_id})
            - {actor.id},
        )
    session.flush()
    return changed


def needs_of(diner: Diner, pairing: Pairing | None) -> engine.DinerInput:
    """The diner as the engine sees them (for the pairing's frequency, if there is one)."""
    return diner_input(
        diner, excluded=set(), met=set(), frequency=pairing.frequency if pairing else None
    )


def paused_only_for_distance(session: Session, pairing: Pairing) -> bool:
    """Whether the pairing is paused for safety and all the cook cannot meet of the diner's
    needs now is the walk between their homes: the pause is then put down to the distance (a
    move, by either), as the messages of the move say. The pages said "needs changed" and
    "cannot cook safely" for a move (a newcomer's walk), and offered a change of profile that
    could not restart it."""
    if pairing.status != PairingStatus.paused or pairing.pause_reason not in SAFETY_PAUSES:
        return False
    diner, cook = session.get(Diner, pairing.diner_id), session.get(Cook, pairing.cook_id)
    council = session.get(Council, diner.council_id) if diner is not None else None
    if diner is None or cook is None or council is None:
        return False
    offer = cook_input(cook, council=council, today=council_today(council), load=0)
    reach = council.max_walk_radius_m
    gaps = engine.safety_gaps(offer, needs_of(diner, pairing), max_radius_m=reach)
    return {rule for rule, _ in gaps} == {"out_of_reach"}


def _unsafe(
    cook: engine.CookInput,
    before: engine.DinerInput,
    after: engine.DinerInput,
    max_radius_m: float,
) -> list[str]:
    """The safety rules the change makes the cook break anew: need by need, so a new
    allergen is seen even when another was already beyond the cook."""
    return new_dangers(
        engine.safety_gaps(cook, before, max_radius_m=max_radius_m),
        engine.safety_gaps(cook, after, max_radius_m=max_radius_m),
    )


def new_dangers(before: set[tuple[str, str]], after: set[tuple[str, str]]) -> list[str]:
    """The safety rules of the needs unmet `after` that were met `before`."""
    return sorted({rule for rule, _ in after - before})


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
    after = needs_of(diner, pairing)
    cook_in = cook_input(cook, council=council, today=today, load=0)
    unsafe = _unsafe(cook_in, before, after, council.max_walk_radius_m)
    name = first_name(diner.full_name)
    what = in_words(changed, FIELD_WORDS)
    if (
        # Paused for safety by either side (these needs before, or the cook's offer): needs
        # the cook now meets in full end the pause, whichever side's change it was.
        pairing.pause_reason in SAFETY_PAUSES
        and not engine.safety_gaps(cook_in, after, max_radius_m=council.max_walk_radius_m)
        and not serious_concern_open(session, pairing_id=pairing.id)
    ):
        back_on(
            session,
            diner=diner,
            pairing=pairing,
            cook=cook,
            cancelled_for=CancelReason(pairing.pause_reason),
            coordinators=coordinators,
            actor_id=actor.id,
            dedupe_key=f"{change_key}:resumed",
            changed=in_words(changed, FIELD_WORDS) if set(changed) - TIMES else None,
        )
        return
    if unsafe:
        why = in_words(unsafe, engine.SAFETY_RULES)
        assert actor.id is not None
        stop_unsafe_pairing(
            session,
            actor_id=actor.id,
            diner=diner,
            pairing=pairing,
            cook=cook,
            today=today,
            words=needs_words(
                diner_name=name,
                cook_name=cook.display_name,
                what=what,
                why=why,
                moved_away=unsafe == ["out_of_reach"],
            ),
            change_key=change_key,
            coordinators=coordinators,
        )
        return
    slot = None
    if "availability" in changed:
        slot = engine.check_slot(cook_in, after, pairing.weekday, minutes(pairing.start))
    when = f"{WEEKDAYS[pairing.weekday]}s at {pairing.start}" if slot else None
    # A frequency the pairing does not keep: the coordinator is asked to agree it (an outside
    # check: "changed their how often" asked for nothing, and the meals went on every week).
    often = (
        (messages.how_often(diner.frequency), messages.how_often(pairing.frequency))
        if "frequency" in changed and diner.frequency != pairing.frequency
        else None
    )
    to_staff = messages.diner_changed_to_coordinator(
        diner_name=name, what=what, when=when, often=often, cook_name=cook.display_name
    )
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
        needs = (
            messages.needs_in_words(
                diets=list(diner.diets),
                allergies=list(diner.allergies),
                texture=diner.texture,
                other_allergies=diner.other_allergies,
            )
            if set(changed) & NEEDS
            else None
        )
        # Their time no longer suits the diner, and nothing is moved until the coordinator has
        # agreed a new one: the cook is told the next meal still stands (an outside check: the
        # message left them to guess).
        coming = [
            m.date
            for m in _future_open_meals(session, pairing=pairing, today=today)
            if m.cook_id == cook.id and m.status == MealStatus.scheduled
        ]
        to_cook = messages.diner_changed_to_cook(
            diner_name=name,
            what=what,
            when=when,
            needs=needs,
            next_meal=min(coming, default=None) if when else None,
        )
        enqueue(
            session,
            event=to_cook.event,
            to=cook.user_id,
            subject=to_cook.subject,
            body=to_cook.body,
            dedupe_key=f"{change_key}:cook",
            about_diner_id=diner.id,
        )
    if pairing.status == PairingStatus.proposed and "other_allergies" in changed:
        # The invited cook decides on these foods themselves (matching cannot check them), and
        # may answer from the invitation's words: told what they are now.
        told = messages.other_foods_changed_to_invited_cook(
            diner_name=name, other_allergies=diner.other_allergies
        )
        outbox.tell(
            session, told, to=cook.user_id, dedupe_key=f"{change_key}:cook",
            about_diner_id=diner.id,
        )  # fmt: skip
    _recover_unsafe_covers(
        session,
        diner=diner,
        pairing=pairing,
        council=council,
        today=today,
        before=before,
        changed=changed,
        change_key=change_key,
    )


@dataclass(frozen=True)
class StopWords:
    """What a stopped pairing is put down to, and what each person concerned is told."""

    end_reason: EndReason  # a proposal withdrawn
    pause_reason: PauseReason  # a running pairing paused (its meals cancelled for it)
    withdrawn_to_cook: messages.Message
    withdrawn_to_staff: messages.Message
    paused_to_cook: messages.Message
    paused_to_cover: messages.Message  # to the cooks covering its coming meals
    paused_to_staff: messages.Message
    paused_to_carer: messages.Message


def needs_words(
    *, diner_name: str, cook_name: str, what: str, why: str, moved_away: bool = False
) -> StopWords:
    """The diner's needs changed (`what`) beyond what the cook can make safely (`why`);
    `moved_away`: only their new home is beyond the cook's walk."""
    return StopWords(
        end_reason=EndReason.needs_changed,
        pause_reason=PauseReason.needs_changed,
        withdrawn_to_cook=messages.invitation_withdrawn_to_cook(diner_name=diner_name),
        withdrawn_to_staff=messages.invitation_withdrawn_to_staff(
            diner_name=diner_name, cook_name=cook_name, what=what, why=why
        ),
        paused_to_cook=messages.needs_pause_to_cook(diner_name=diner_name, moved_away=moved_away),
        paused_to_cover=messages.needs_pause_to_cook(diner_name=diner_name),
        paused_to_staff=messages.needs_pause_to_staff(
            diner_name=diner_name, cook_name=cook_name, what=what, why=why, moved_away=moved_away
        ),
        paused_to_carer=messages.needs_pause_to_carer(
            diner_name=diner_name, what=what, cook_name=cook_name, moved_away=moved_away
        ),
    )


def stop_unsafe_pairing(
    session: Session,
    *,
    actor_id: int,
    diner: Diner,
    pairing: Pairing,
    cook: Cook,
    today: date,
    words: StopWords,
    change_key: str,
    coordinators: set[int],
) -> None:
    """Withdraw a proposal, or pause the pairing and cancel its meals; tell everyone concerned
    (the carer only of a pause, and not when the carer made the change)."""
    covers: set[int] = set()
    cook_knows = True
    if pairing.status == PairingStatus.proposed:
        cook_knows = end_pairing(session, pairing=pairing, reason=words.end_reason)
        action = "pairing.withdrawn"
        to_cook, to_staff = words.withdrawn_to_cook, words.withdrawn_to_staff
    else:
        covers = _cover_cooks(session, pairing=pairing, today=today) - {cook.user_id}
        pairing.status, pairing.pause_reason = PairingStatus.paused, words.pause_reason
        session.add(pairing)
        cancel_future_meals(
            session, pairing=pairing, reason=CancelReason(words.pause_reason), today=today
        )
        _retag_concern_cancellations(
            session, pairing=pairing, today=today, reason=CancelReason(words.pause_reason)
        )
        action = "pairing.paused"
        to_cook, to_staff = words.paused_to_cook, words.paused_to_staff
    record_audit(
        session,
        actor_id=actor_id,
        council_id=diner.council_id,
        action=action,
        subject_type="pairing",
        subject_id=pairing.id,
        data={
            "reason": words.pause_reason,
            "diner_id": diner.id,
            "cook_id": pairing.cook_id,
        },
    )
    told = {cook.user_id} | covers
    to_carer = (
        [(diner.carer_id, words.paused_to_carer)]
        if pairing.status == PairingStatus.paused and diner.carer_id not in (None, actor_id)
        else []
    )
    tell(
        session,
        [
            *([(cook.user_id, to_cook)] if cook_knows else []),  # no invitation went
            *((to, words.paused_to_cover) for to in sorted(covers)),
            *((to, to_staff) for to in sorted(coordinators - told)),
            *to_carer,
        ],
        dedupe_key=f"{change_key}:stopped",
        diner_id=diner.id,
    )


def tell(
    session: Session,
    messages_to: Iterable[tuple[int | None, messages.Message]],
    *,
    dedupe_key: str,
    diner_id: int | None,
) -> None:
    """Queue each message for its person, once for `dedupe_key`."""
    for to, message in messages_to:
        enqueue(
            session,
            event=message.event,
            to=to,
            subject=message.subject,
            body=message.body,
            dedupe_key=dedupe_key,
            about_diner_id=diner_id,
        )


def back_on(
    session: Session,
    *,
    diner: Diner,
    pairing: Pairing,
    cook: Cook,
    cancelled_for: CancelReason,
    coordinators: set[int],
    actor_id: int | None,
    dedupe_key: str,
    changed: str | None = None,
) -> None:
    """A pause for safety ends (the needs or the offer changed back): the meals it cancelled
    (`cancelled_for`) are back on, and the cook, the coordinators and the carer are told, but
    not whoever made the change. `changed`: what of the diner's record changed, in words, for
    the cook to look at (their new address, say)."""
    resume_pairing(session, pairing=pairing, cancelled_for=cancelled_for)
    name = first_name(diner.full_name)
    to_cook = messages.needs_resumed_to_cook(diner_name=name, what=changed)
    to_others = messages.pairing_resumed(diner_name=name, cook_name=cook.display_name)
    others = coordinators | ({diner.carer_id} if diner.carer_id is not None else set())
    tell(
        session,
        [
            *([(cook.user_id, to_cook)] if cook.user_id != actor_id else []),
            *((to, to_others) for to in sorted(others - {actor_id, cook.user_id})),
        ],
        dedupe_key=dedupe_key,
        diner_id=diner.id,
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


def _retag_concern_cancellations(
    session: Session, *, pairing: Pairing, today: date, reason: CancelReason
) -> None:
    """Meals a concern had cancelled stay cancelled for safety (`reason`): resolving the
    concern brings none back."""
    for meal in session.exec(
        select(Meal).where(
            Meal.pairing_id == pairing.id,
            col(Meal.date) >= today,
            Meal.cancel_reason == CancelReason.concern_pause,
        )
    ).all():
        meal.cancel_reason = reason
        session.add(meal)


def _recover_unsafe_covers(
    session: Session,
    *,
    diner: Diner,
    pairing: Pairing,
    council: Council,
    today: date,
    before: engine.DinerInput,
    changed: list[str],
    change_key: str,
) -> None:
    """A cover cook who cannot meet the new needs safely gives the meal back (cover is sought
    again among cooks who can) and is told. One who can is told what changed, with what the
    meal must be now: they cook from the cover request, which named the old needs (an outside
    check: a new allergy reached the regular cook and not the cook bringing the next meal)."""
    after = needs_of(diner, pairing)
    name = first_name(diner.full_name)
    for meal in _future_open_meals(session, pairing=pairing, today=today):
        if not meal.is_cover or meal.cook_id is None or meal.status != MealStatus.scheduled:
            continue
        cover = session.get(Cook, meal.cook_id)
        assert cover is not None
        cover_in = cook_input(cover, council=council, today=today, load=0)
        if not _unsafe(cover_in, before, after, council.max_walk_radius_m):
            if set(changed) - TIMES:  # the meal's time is the meal's own: times do not matter
                told = messages.diner_changed_to_cover(
                    diner_name=name,
                    what=in_words(changed, FIELD_WORDS),
                    day=meal.date,
                    needs=messages.needs_in_words(
                        diets=list(diner.diets),
                        allergies=list(diner.allergies),
                        texture=diner.texture,
                        other_allergies=diner.other_allergies,
                    ),
                )
                key = f"{change_key}:cover:{meal.id}"
                outbox.tell(
                    session, told, to=cover.user_id, dedupe_key=key, about_diner_id=diner.id
                )
            continue
        cancelled = messages.cover_cancelled(diner_name=name, day=meal.date)
        enqueue(
            session,
            event=cancelled.event,
            to=cover.user_id,
            subject=cancelled.subject,
            body=cancelled.body,
            dedupe_key=f"meal:{meal.id}:{meal.at:%Y%m%dT%H%M}:cover_cancelled:{cover.id}",
            about_diner_id=diner.id,
        )
        seek_cover(session, meals=[meal])


def coordinators_of(session: Session, diner: Diner, hood_ids: set[int | None]) -> set[int]:
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


def in_words(codes: list[str], words: dict[str, str]) -> str:
    """The codes' words as a list in prose: "a, b and c"."""
    parts = [words[c] for c in codes]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
