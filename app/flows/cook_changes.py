"""A cook changes their own profile (PUT /api/cooks/me, the profile pages): safety first for the
diners they cook for, are invited to, or cover.

A flow, the cook's side of app.flows.diner_changes: a pairing whose diner the new profile no longer
meets safely (an allergen no longer cooked free from, a diet, a texture, or a new home beyond the
walk) is paused at once with reason ``cook_changed`` (a proposal is withdrawn instead), its meals
are cancelled, and the cook, the coordinator and the carer are told. A meal the cook covers for
such a diner goes back to seeking cover. When the cook's next change makes a pairing paused for
safety (this way, or by the diner's changed needs) safe again, it runs again. Safety is judged need
by need, so a new danger is seen even when another was already there.

The walk counts only when the cook has moved: a cook who narrows how far they walk keeps the
neighbours they already have (continuity first); the narrower walk applies to new matches.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

from sqlmodel import Session, col, select

from app.concerns.service import serious_concern_open
from app.councils.rules import council_today
from app.db import utcnow
from app.flows.diner_changes import (
    StopWords,
    back_on,
    coordinators_of,
    needs_of,
    new_dangers,
    stop_unsafe_pairing,
)
from app.geo.distance import haversine_m
from app.matching import engine
from app.matching.engine.reasons import label
from app.matching.inputs import cook_input
from app.meals.service import seek_cover
from app.models import OPEN_STATUSES, Cook, Council, Diner, Meal, Pairing
from app.names import first_name
from app.notifications import messages
from app.notifications.outbox import enqueue
from app.pairings.lifecycle import locked_with_their_diners
from app.schemas import minutes
from app.vocab import (
    SAFETY_PAUSES,
    WEEKDAYS,
    CancelReason,
    EndReason,
    MealStatus,
    PairingStatus,
    PauseReason,
)

# Paused for safety, by this cook's earlier change or by the diner's new needs: a save never
# pauses these again, it can only bring them back.


class WouldStop(NamedTuple):
    """A pairing a save would stop: the diner's first name, what would be missing, and the
    pairing's status: `proposed` (the invitation is withdrawn), `active`, or `paused` (for now:
    a concern, of which the cook is not told)."""

    name: str
    missing: str
    status: str


def offer_of(session: Session, cook: Cook) -> engine.CookInput:
    """The cook as the engine sees them now (before a change to their profile)."""
    council = session.get(Council, cook.council_id)
    assert council is not None
    return cook_input(cook, council=council, today=council_today(council), load=0)


def offer_words(
    *, diner_name: str, cook_name: str, why: str, moved_away: bool = False
) -> StopWords:
    """The cook's own profile changed (`why`: the needs it no longer meets safely;
    `moved_away`: only their new home is too far)."""
    return StopWords(
        end_reason=EndReason.cook_changed,
        pause_reason=PauseReason.cook_changed,
        withdrawn_to_cook=messages.offer_withdrawn_to_cook(diner_name=diner_name, why=why),
        withdrawn_to_staff=messages.offer_withdrawn_to_staff(
            diner_name=diner_name, cook_name=cook_name, why=why
        ),
        paused_to_cook=messages.offer_pause_to_cook(diner_name=diner_name, why=why),
        paused_to_cover=messages.offer_pause_to_cover(diner_name=diner_name),
        paused_to_staff=messages.offer_pause_to_staff(
            diner_name=diner_name, cook_name=cook_name, why=why
        ),
        paused_to_carer=messages.offer_pause_to_carer(
            diner_name=diner_name, cook_name=cook_name, moved_away=moved_away
        ),
    )


def cook_changed(
    session: Session, *, cook: Cook, before: engine.CookInput, moved: bool
) -> list[Pairing]:
    """After the cook's own profile is saved in the same council (`before`: the cook as they
    were; `moved`: their postcode changed). Returns the pairings stopped."""
    council = session.get(Council, cook.council_id)
    assert council is not None and cook.id is not None
    today = council_today(council)
    after = cook_input(cook, council=council, today=today, load=0)
    reach = council.max_walk_radius_m

    def gaps(offer: engine.CookInput, needs: engine.DinerInput) -> set[tuple[str, str]]:
        found = engine.safety_gaps(offer, needs, max_radius_m=reach)
        return found if moved else {g for g in found if g[0] != "out_of_reach"}

    at = utcnow().isoformat()  # the messages of this change, once each
    stopped: list[Pairing] = []
    # Their diners' rows first, then the pairings (the lock order of app.db.lock_row).
    pairings = locked_with_their_diners(
        session, Pairing.cook_id == cook.id, col(Pairing.status).in_(OPEN_STATUSES)
    )
    for pairing in pairings:
        diner = session.get(Diner, pairing.diner_id)
        assert diner is not None
        if moved and pairing.status == PairingStatus.proposed:
            # An invitation made from the old home goes, with the distance it was made with:
            # re-measured from each new postcode, it let a cook who moved and moved again find
            # the diner's door to about 12 m before accepting (an outside check). Staff check
            # the new home before new neighbours are proposed (location_review).
            name = first_name(diner.full_name)
            stop_unsafe_pairing(
                session,
                actor_id=cook.user_id,
                diner=diner,
                pairing=pairing,
                cook=cook,
                today=today,
                words=replace(
                    offer_words(diner_name=name, cook_name=cook.display_name, why=""),
                    end_reason=EndReason.cook_moved,
                    withdrawn_to_cook=messages.invitation_withdrawn_cook_moved(diner_name=name),
                    withdrawn_to_staff=messages.proposal_withdrawn_cook_moved(
                        diner_name=name, cook_name=cook.display_name
                    ),
                ),
                change_key=f"cook:{cook.id}:moved:{at}:pairing:{pairing.id}",
                coordinators=coordinators_of(session, diner, {diner.neighbourhood_id}),
            )
            stopped.append(pairing)
            continue
        if moved:  # the walk from the new home (it was the old one's, shown to the cook)
            pairing.distance_m = haversine_m(
                cook.latitude, cook.longitude, diner.latitude, diner.longitude
            )
            session.add(pairing)
        needs = needs_of(diner, pairing)
        unmet = gaps(after, needs)
        if pairing.pause_reason in SAFETY_PAUSES:
            # The cook who now offers what the diner needs has them back. The walk counts in full
            # for the diner's pause (their move may be why), as the diner's side judges it.
            still = (
                unmet
                if pairing.pause_reason == PauseReason.cook_changed
                else engine.safety_gaps(after, needs, max_radius_m=reach)
            )
            if not still and not serious_concern_open(session, pairing_id=pairing.id):
                back_on(
                    session,
                    diner=diner,
                    pairing=pairing,
                    cook=cook,
                    cancelled_for=CancelReason(pairing.pause_reason),
                    coordinators=coordinators_of(session, diner, {diner.neighbourhood_id}),
                    actor_id=cook.user_id,  # the cook sees it on their page
                    dedupe_key=f"pairing:{pairing.id}:resumed:{at}",
                )
            continue
        unsafe = new_dangers(gaps(before, needs), unmet)
        if not unsafe:
            if pairing.status == PairingStatus.active:
                _tell_if_time_lost(session, pairing, diner, cook, before, after, needs, at)
            continue  # safe as before
        stop_unsafe_pairing(
            session,
            actor_id=cook.user_id,
            diner=diner,
            pairing=pairing,
            cook=cook,
            today=today,
            words=offer_words(
                diner_name=first_name(diner.full_name),
                cook_name=cook.display_name,
                why=what_is_missing(unmet - gaps(before, needs)),
                moved_away=set(unsafe) == {"out_of_reach"},
            ),
            change_key=f"cook:{cook.id}:offer:{at}:pairing:{pairing.id}",
            coordinators=coordinators_of(session, diner, {diner.neighbourhood_id}),
        )
        stopped.append(pairing)
    for meal in session.exec(
        select(Meal)
        .where(
            Meal.cook_id == cook.id,
            col(Meal.is_cover).is_(True),
            Meal.status == MealStatus.scheduled,
            col(Meal.date) >= today,
        )
        .order_by(col(Meal.id))
        .with_for_update(key_share=True)
    ).all():
        covered = session.get(Diner, meal.diner_id)
        their_pairing = session.get(Pairing, meal.pairing_id)
        assert covered is not None and their_pairing is not None
        needs = needs_of(covered, their_pairing)
        if new_dangers(gaps(before, needs), gaps(after, needs)):
            seek_cover(session, meals=[meal])  # other cooks are asked; the cook knows why
    session.flush()
    return stopped


def _fits(offer: engine.CookInput, needs: engine.DinerInput, pairing: Pairing) -> bool:
    return pairing.frequency in offer.frequencies and not engine.check_slot(
        offer, needs, pairing.weekday, minutes(pairing.start)
    )


def _tell_if_time_lost(
    session: Session,
    pairing: Pairing,
    diner: Diner,
    cook: Cook,
    before: engine.CookInput,
    after: engine.CookInput,
    needs: engine.DinerInput,
    at: str,
) -> None:
    """The cook's new times or frequencies no longer take in the pairing's day: the meals go on
    (continuity first), and the coordinator is asked to agree a new time (nobody was told)."""
    if not _fits(before, needs, pairing) or _fits(after, needs, pairing):
        return
    told = messages.cook_times_changed(
        diner_name=first_name(diner.full_name),
        cook_name=cook.display_name,
        when=f"{WEEKDAYS[pairing.weekday]}s at {pairing.start}, {pairing.frequency}",
    )
    for to in sorted(coordinators_of(session, diner, {diner.neighbourhood_id})):
        enqueue(
            session,
            event=told.event,
            to=to,
            subject=told.subject,
            body=told.body,
            dedupe_key=f"cook:{cook.id}:times:{at}:pairing:{pairing.id}",
            about_diner_id=diner.id,
        )


def what_is_missing(gaps: set[tuple[str, str]]) -> str:
    """The needs a cook no longer meets, as the cook and staff read them: "food free from
    peanuts; halal food" (the rules' own words speak of "the cook")."""
    allergens = sorted(label(item) for rule, item in gaps if rule == "allergen_unsafe")
    parts = [f"food free from {' and '.join(allergens)}"] if allergens else []
    parts += sorted(f"{label(item)} food" for rule, item in gaps if rule == "diet_unmet")
    parts += [f"{label(item)} food" for rule, item in gaps if rule == "texture_unmet"]
    parts += ["living within walking distance" for rule, _ in gaps if rule == "out_of_reach"]
    return "; ".join(parts)


def pairings_it_would_stop(
    session: Session, *, cook: Cook, diets: list[str], allergen_free: list[str], textures: list[str]
) -> list[WouldStop]:
    """Before a cook saves: each open pairing whose diner these offers would no longer meet
    safely, for a warning; an invitation among them, which `cook_changed` withdraws (a
    reviewer: it went without a word). Food only: where the cook lives is known once the
    postcode is looked up, when saving."""
    council = session.get(Council, cook.council_id)
    assert council is not None
    now = cook_input(cook, council=council, today=council_today(council), load=0)
    would = replace(
        now,
        diets=frozenset(diets),
        allergen_free=frozenset(allergen_free),
        textures=frozenset(textures),
    )
    reach = council.max_walk_radius_m
    found = []
    for pairing in session.exec(
        select(Pairing)
        .where(Pairing.cook_id == cook.id, col(Pairing.status).in_(OPEN_STATUSES))
        .order_by(col(Pairing.id))
    ).all():
        if pairing.pause_reason in SAFETY_PAUSES:
            continue  # as cook_changed() does: saving leaves these paused or brings them back
        diner = session.get(Diner, pairing.diner_id)
        assert diner is not None
        needs = needs_of(diner, pairing)
        food = {g for g in engine.safety_gaps(would, needs, max_radius_m=reach)
                if g[0] != "out_of_reach"}  # fmt: skip
        missing = food - engine.safety_gaps(now, needs, max_radius_m=reach)
        if missing:
            name = first_name(diner.full_name)
            found.append(WouldStop(name, what_is_missing(missing), str(pairing.status)))
    return found
