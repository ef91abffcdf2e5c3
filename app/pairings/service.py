"""A pairing's life after the proposal: the cook accepts or declines, staff withdraw."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.audit import record_audit, views_to_record
from app.cooks.service import get_own_profile
from app.councils.rules import council_today
from app.db import own_transaction, utcnow
from app.diners.erasure_hold import erasure_hold
from app.diners.rules import public_status
from app.diners.service import alert_recipients
from app.errors import Conflict, NotFound, RuleBroken
from app.matching import engine
from app.matching.inputs import cook_input, cook_inputs, diner_input, history, open_loads
from app.matching.service import as_refusal, booked_clash, clash_words, create_proposal
from app.meals.service import schedule_meals
from app.models import AuditReason, Cook, Council, Diner, Meal, Pairing, User
from app.names import first_name
from app.notifications import messages
from app.notifications.letters import queue_meal_plan_letter
from app.notifications.outbox import enqueue
from app.pairings.lifecycle import end_pairing, lock_pairing, take_back_invitation
from app.pairings.schemas import PairingScheduleIn
from app.schemas import hhmm, minutes
from app.vocab import (
    FREQUENCY_LABELS,
    RUNNING_PAIRING_STATUSES,
    WEEKDAYS,
    DinerStatus,
    EndReason,
    Frequency,
    MealStatus,
    PairingStatus,
)


def get_invited_pairing(session: Session, *, user: User, pairing_id: int) -> Pairing:
    """The cook's own pairing, locked; another cook's is 'not found'."""
    cook = get_own_profile(session, user=user)
    # Whose it is first, then the locks: another cook's pairing id locks nothing of theirs.
    owner = session.exec(select(Pairing.cook_id).where(Pairing.id == pairing_id)).first()
    pairing = lock_pairing(session, pairing_id) if owner == cook.id else None
    if pairing is None or pairing.cook_id != cook.id:
        raise NotFound("Pairing not found")
    return pairing


def list_cook_pairings(
    session: Session, *, user: User, statuses: tuple[str, ...]
) -> list[tuple[Pairing, Diner, Cook]]:
    cook = get_own_profile(session, user=user)
    rows = session.exec(
        select(Pairing, Diner)
        .join(Diner, col(Diner.id) == Pairing.diner_id)
        .where(Pairing.cook_id == cook.id, col(Pairing.status).in_(statuses))
        .order_by(col(Pairing.id))
    ).all()
    return [(p, d, cook) for p, d in rows]


def ended_since(session: Session, *, cook_id: int, since: datetime) -> list[tuple[Pairing, Diner]]:
    """The cook's pairings that ended since `since`, the latest first: a cook whose neighbour's
    meals stopped sees it on their page, not only in a message."""
    rows = session.exec(
        select(Pairing, Diner)
        .join(Diner, col(Diner.id) == col(Pairing.diner_id))
        .where(
            Pairing.cook_id == cook_id,
            Pairing.status == PairingStatus.ended,
            col(Pairing.ended_at) >= since,
        )
        .order_by(col(Pairing.ended_at).desc(), col(Pairing.id).desc())
    ).all()
    return [(pairing, diner) for pairing, diner in rows]


def last_ended(session: Session, *, diner_id: int) -> tuple[Pairing, Cook] | None:
    """The diner's pairing that ended most recently (a proposal withdrawn or declined never
    began), with its cook: what the carer is told while their relative waits again."""
    row = session.exec(
        select(Pairing, Cook)
        .join(Cook, col(Cook.id) == col(Pairing.cook_id))
        .where(Pairing.diner_id == diner_id, Pairing.status == PairingStatus.ended)
        .order_by(col(Pairing.ended_at).desc(), col(Pairing.id).desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def keep_address_views(session: Session, *, cook_user: User, diners: Sequence[Diner]) -> None:
    """The cook's list of pairings shows these diners' addresses: audited in a transaction of
    its own, kept whatever becomes of the request (a GET's session only reads). Once per
    diner within `audit.VIEW_WINDOW`, as staff's views of a record are: a list reloaded every
    minute wrote an entry each time, which said nothing more and buried the rest of the log.
    The write waits its turn fairly (db.WriteQueue), which brought this list's p99 from 5x its
    p50 to under 3x; a reload within the window writes nothing."""
    entries = views_to_record(
        session,
        actor_id=cook_user.id,
        action="diner.address_viewed",
        subject_type="diner",
        subjects={diner.id: diner.council_id for diner in diners},
    )
    if entries:
        own_transaction(session, "address_viewed", *entries)


def accept_invitation(session: Session, *, cook_user: User, pairing: Pairing) -> Pairing:
    """The cook accepts (`accept_pairing`); the answer shows the cook the diner's address,
    audited in the same transaction."""
    accept_pairing(session, pairing=pairing)
    record_audit(
        session,
        actor_id=cook_user.id,
        council_id=pairing.council_id,
        action="diner.address_viewed",
        subject_type="diner",
        subject_id=pairing.diner_id,
    )
    return pairing


def accept_pairing(session: Session, *, pairing: Pairing) -> Pairing:
    """proposed → active: the diner is matched and the cook may now see the address."""
    if pairing.status != PairingStatus.proposed:
        raise Conflict(f"This pairing is no longer proposed (it is {pairing.status})")
    diner = session.get(Diner, pairing.diner_id)
    assert diner is not None
    if erasure_hold(session, diner=diner) is not None:
        # Invited before the carer asked: a new cook would be given the address of someone
        # whose data is to be erased (the coordinator can withdraw the invitation).
        raise Conflict(
            f"This invitation can no longer be accepted: {first_name(diner.full_name)}'s carer "
            "has asked us to erase their details. Please talk to your coordinator"
        )
    _refuse_unsafe(session, pairing=pairing, diner=diner)
    # Another invitation said yes to since may hold the same hour (the proposal was clear).
    clash = booked_clash(
        session,
        cook_id=pairing.cook_id,
        weekday=pairing.weekday,
        start=pairing.start,
        other_than=pairing.id,
        statuses=RUNNING_PAIRING_STATUSES,
    )
    if clash is not None:
        raise Conflict(
            f"This invitation can no longer be accepted: you {clash.words(you=True)}. "
            "Please talk to your coordinator"
        )
    pairing.status, pairing.accepted_at = PairingStatus.active, utcnow()
    diner.status = DinerStatus.matched
    session.add_all([pairing, diner])
    _audit(session, pairing, "pairing.accepted")
    council = session.get(Council, pairing.council_id)
    cook = session.get(Cook, pairing.cook_id)
    assert council is not None and cook is not None
    planned = schedule_meals(session, pairing=pairing, today=council_today(council))
    # The first meal the cook brings (one on a day they are away goes to cover).
    theirs = [m for m in planned if m.cook_id == cook.id and m.status == MealStatus.scheduled]
    accepted = messages.pairing_accepted(
        cook_name=cook.display_name,
        diner_name=first_name(diner.full_name),
        weekday=pairing.weekday,
        start=pairing.start,
        frequency=pairing.frequency,
        first=min((m.date for m in theirs), default=None),
    )
    enqueue(
        session,
        event=accepted.event,
        to=diner.carer_id,
        subject=accepted.subject,
        body=accepted.body,
        dedupe_key=f"pairing:{pairing.id}:accepted",
        about_diner_id=diner.id,
    )
    if diner.carer_id is None:
        _tell_a_diner_without_carer(
            session, diner=diner, cook=cook, council=council, pairing_id=pairing.id
        )
    return pairing


def _tell_a_diner_without_carer(
    session: Session, *, diner: Diner, cook: Cook, council: Council, pairing_id: int | None
) -> None:
    """A diner staff referred, with no carer to tell: a stranger must not simply turn up at
    their door. They are posted their meal plan (who comes, and when), and the coordinator is
    told, to call them first."""
    try:
        queue_meal_plan_letter(session, diner=diner, today=council_today(council))
        posted = True
    except Conflict:  # no meal in the next four weeks (a monthly start, a pause): none to post
        posted = False
    told = messages.referred_diner_matched(
        diner_name=diner.full_name, cook_name=cook.display_name, letter=posted
    )
    for to in alert_recipients(session, diner):
        enqueue(
            session,
            event=told.event,
            to=to,
            subject=told.subject,
            body=told.body,
            dedupe_key=f"pairing:{pairing_id}:referred_matched",
            about_diner_id=diner.id,
        )


def _refuse_unsafe(session: Session, *, pairing: Pairing, diner: Diner) -> None:
    """The hard rules about the diner's safety, and the cook's vetting, checked again at the
    moment of saying yes: the proposal may predate a change to either (409, nothing saved)."""
    council = session.get(Council, pairing.council_id)
    cook = session.get(Cook, pairing.cook_id)
    assert council is not None and cook is not None
    cook_in = cook_input(cook, council=council, today=council_today(council), load=0)
    needs = diner_input(diner, excluded=set(), met=set(), frequency=pairing.frequency)
    broken = [
        v
        for v in engine.check_pair(cook_in, needs, max_radius_m=council.max_walk_radius_m)
        if v.rule in engine.SAFETY_RULES or v.rule == "cook_not_matchable"
    ]
    if cook.location_review:  # moved since the proposal: staff have not seen the new place
        broken.append(engine.Violation("location_review", "cook_id", "location review"))
    if broken:
        name = first_name(diner.full_name)
        why = "; ".join(
            f"{name} has {engine.SAFETY_RULES[v.rule]}"
            if v.rule in engine.SAFETY_RULES
            else "the council has still to confirm your new address"
            if v.rule == "location_review"
            else "your approval or checks are not in date"
            for v in broken
        )
        raise Conflict(
            f"This invitation can no longer be accepted: {why}. Please talk to your coordinator"
        )


def decline_pairing(session: Session, *, pairing: Pairing) -> tuple[Pairing, Pairing | None]:
    """proposed → declined, and the next best cook (if any) is proposed automatically."""
    if pairing.status != PairingStatus.proposed:
        raise Conflict(f"This pairing is no longer proposed (it is {pairing.status})")
    pairing.status, pairing.ended_at = PairingStatus.declined, utcnow()
    pairing.end_reason = EndReason.declined
    session.add(pairing)
    _audit(session, pairing, "pairing.declined")
    return pairing, propose_next_best(session, diner_id=pairing.diner_id)


def withdraw_pairing(session: Session, *, staff: User, pairing_id: int) -> Pairing:
    pairing = lock_pairing(session, pairing_id)
    if pairing is None or pairing.council_id != staff.council_id:
        raise NotFound("Pairing not found")
    if pairing.status != PairingStatus.proposed:
        raise Conflict(f"Only a proposed pairing can be withdrawn (this one is {pairing.status})")
    pairing.status, pairing.ended_at = PairingStatus.withdrawn, utcnow()
    pairing.end_reason = EndReason.withdrawn
    session.add(pairing)
    # The cook still held "Would you cook for Edna?" in their mailbox, with nothing to answer;
    # an invitation not sent yet is taken back instead.
    diner, cook = session.get(Diner, pairing.diner_id), session.get(Cook, pairing.cook_id)
    assert diner is not None and cook is not None
    if not take_back_invitation(session, pairing=pairing, cook=cook):
        told = messages.invitation_withdrawn_by_staff(diner_name=first_name(diner.full_name))
        enqueue(
            session,
            event=told.event,
            to=cook.user_id,
            subject=told.subject,
            body=told.body,
            dedupe_key=f"pairing:{pairing.id}:withdrawn",
            about_diner_id=diner.id,
        )
    record_audit(
        session,
        actor_id=staff.id,
        council_id=pairing.council_id,
        action="pairing.withdrawn",
        subject_type="pairing",
        subject_id=pairing.id,
    )
    session.flush()
    return pairing


def end_pairing_as_staff(
    session: Session, *, staff: User, pairing_id: int, reason: str | None = None
) -> Pairing:
    """Staff end an active or paused pairing of their council: its coming meals are cancelled,
    the diner waits for a cook again (this cook may be proposed again later), and the cook and
    the carer are told. The way on from a pause for safety that nothing else resolves.

    `reason`, staff's own words, is kept on the pairing and beside the audit entry for staff
    only: the cook and the carer are told in the usual words, as it may be about either."""
    pairing = lock_pairing(session, pairing_id)
    if pairing is None or pairing.council_id != staff.council_id:
        raise NotFound("Pairing not found")
    if pairing.status not in RUNNING_PAIRING_STATUSES:
        raise Conflict(
            f"Only an active or paused pairing can be ended (this one is {pairing.status}); "
            "a proposal is withdrawn"
        )
    end_pairing(session, pairing=pairing, reason=EndReason.ended_by_staff)
    pairing.end_note = reason or None
    entry = record_audit(
        session,
        actor_id=staff.id,
        council_id=pairing.council_id,
        action="pairing.ended",
        subject_type="pairing",
        subject_id=pairing.id,
        data={"reason": EndReason.ended_by_staff},
    )
    if reason:
        # Beside the log, not in it (the log holds no free text): an erasure removes it.
        session.flush()  # the entry's id
        assert entry.id is not None
        session.add(AuditReason(audit_entry_id=entry.id, text=reason))
    session.flush()
    return pairing


def reschedule_pairing(
    session: Session, *, staff: User, pairing_id: int, body: PairingScheduleIn
) -> Pairing:
    """Move an active pairing to a new day, time or frequency that both can do (the way on when
    one side's times change: before, only ending the pairing moved it). Its coming meals from
    tomorrow are replaced by the new schedule's; the cook and the carer are told, and a cook
    covering a meal that goes."""
    pairing = lock_pairing(session, pairing_id)
    if pairing is None or pairing.council_id != staff.council_id:
        raise NotFound("Pairing not found")
    if pairing.status != PairingStatus.active:
        raise Conflict(f"Only an active pairing can move (this one is {pairing.status})")
    if (pairing.weekday, pairing.start, pairing.frequency) == (
        body.weekday,
        body.start,
        body.frequency,
    ):  # before, "moved" to the same plan: both told their meals were cancelled and replanned
        raise RuleBroken(
            "unchanged",
            ["weekday"],
            "That is the plan the meals already have: choose another day, time or how often",
        )
    diner, cook = session.get(Diner, pairing.diner_id), session.get(Cook, pairing.cook_id)
    council = session.get(Council, pairing.council_id)
    assert diner is not None and cook is not None and council is not None
    today = council_today(council)
    offer = cook_input(cook, council=council, today=today, load=0)
    needs = diner_input(diner, excluded=set(), met=set(), frequency=body.frequency)
    broken = [
        v
        for v in engine.check_pair(offer, needs, max_radius_m=council.max_walk_radius_m)
        if v.rule != "no_capacity"  # the cook's own pairing: it holds its place
    ]
    if slot := engine.check_slot(offer, needs, body.weekday, minutes(body.start)):
        broken.append(slot)
    if broken:
        raise as_refusal(  # a need the cook cannot meet is the pairing's own, not the time's
            broken[0], cook=cook, fields=type(body).model_fields, otherwise=("path", "pairing_id")
        )
    clash = booked_clash(
        session,
        cook_id=pairing.cook_id,
        weekday=body.weekday,
        start=body.start,
        other_than=pairing.id,
    )
    if clash is not None:
        raise RuleBroken(
            "cook_busy",
            ["start"],
            clash_words(cook_name=cook.display_name, clash=clash),
        )
    when = (
        f"{WEEKDAYS[body.weekday]}s at {body.start}, "
        f"{FREQUENCY_LABELS[Frequency(body.frequency)].lower()}"
    )
    name = first_name(diner.full_name)
    tomorrow = today + timedelta(days=1)
    for meal in session.exec(
        select(Meal)
        .where(
            Meal.pairing_id == pairing.id,
            col(Meal.date) >= tomorrow,
            col(Meal.status).not_in((MealStatus.delivered, MealStatus.missed)),
        )
        .order_by(col(Meal.id))
        .with_for_update()  # FOR UPDATE, not NO KEY UPDATE: these rows are deleted below
    ).all():
        if (
            meal.is_cover
            and meal.cook_id not in (None, cook.id)
            and meal.status == MealStatus.scheduled
        ):
            cover = session.get(Cook, meal.cook_id)
            assert cover is not None
            moved = messages.cover_moved(diner_name=name, day=meal.date, when=when)
            enqueue(
                session,
                event=moved.event,
                to=cover.user_id,
                subject=moved.subject,
                body=moved.body,
                dedupe_key=f"meal:{meal.id}:moved",  # deleted below: its id is never reused
                about_diner_id=diner.id,
            )
        session.delete(meal)  # never recorded: the new schedule plans its own from tomorrow
    session.flush()
    pairing.weekday, pairing.start, pairing.frequency = body.weekday, body.start, body.frequency
    session.add(pairing)
    # The first the cook brings: one on a day they are away goes to cover, and "the first is
    # on Tuesday 8 December" named such a day (an outside check).
    planned = schedule_meals(session, pairing=pairing, today=tomorrow)
    first = min(
        (m.date for m in planned if m.cook_id == cook.id and m.status == MealStatus.scheduled),
        default=None,
    )
    # The carer's first is the diner's, whoever brings it: one needing cover comes first too
    # (they were told the cook's, a fortnight on, then "cover arranged" for the week before).
    diners_first = min(
        (m.date for m in planned if m.status in (MealStatus.scheduled, MealStatus.needs_cover)),
        default=None,
    )
    if diner.carer_id is None:  # no carer to tell: the diner is posted the new plan
        with suppress(Conflict):  # nothing planned in the next four weeks: nothing to post
            queue_meal_plan_letter(session, diner=diner, today=today)
    for to, day in ((cook.user_id, first), (diner.carer_id, diners_first)):
        told = messages.pairing_moved(diner_name=name, when=when, first=day)
        enqueue(
            session,
            event=told.event,
            to=to,
            subject=told.subject,
            body=told.body,
            dedupe_key=f"pairing:{pairing.id}:moved:{utcnow().isoformat()}",
            about_diner_id=diner.id,
        )
    record_audit(
        session,
        actor_id=staff.id,
        council_id=pairing.council_id,
        action="pairing.rescheduled",
        subject_type="pairing",
        subject_id=pairing.id,
        data={"weekday": body.weekday, "start": body.start, "frequency": body.frequency},
    )
    session.flush()
    return pairing


def propose_next_best(session: Session, *, diner_id: int) -> Pairing | None:
    """Propose the best remaining cook, skipping cooks who already declined this diner.

    Only for a diner still waiting (not paused, nor held for an erasure their carer asked
    for); the chosen cook's row is locked and their places counted again, as a staff proposal
    does, so a decline never overbooks a cook.
    """
    diner = session.get(Diner, diner_id)
    assert diner is not None
    council = session.get(Council, diner.council_id)
    assert council is not None
    today = council_today(council)
    if public_status(diner, today) != DinerStatus.waiting:
        return None
    if erasure_hold(session, diner=diner) is not None:
        return None
    cooks, rows = cook_inputs(
        session, council=council, today=today, near=(diner.latitude, diner.longitude)
    )
    excluded, met = history(session, [diner_id])  # the cooks who declined among the excluded
    target = diner_input(diner, excluded=excluded[diner_id], met=met[diner_id])
    ranked = engine.suggest(
        target, engine.CookIndex(cooks), max_radius_m=council.max_walk_radius_m, limit=5
    ).items
    for choice in ranked:
        cook = session.exec(
            select(Cook).where(Cook.id == choice.cook_id).with_for_update(key_share=True)
        ).one()
        if open_loads(session, [choice.cook_id])[choice.cook_id] >= cook.max_diners:
            continue  # filled up meanwhile
        slot = engine.best_slot(choice.slots)
        assert slot is not None
        return create_proposal(
            session,
            staff=None,
            cook=rows[choice.cook_id],
            diner=diner,
            weekday=slot.weekday,
            start=hhmm(slot.start),
            frequency=diner.frequency,
        )
    return None


def _audit(session: Session, pairing: Pairing, action: str) -> None:
    """What a cook did with their invitation: the cook's account is the actor."""
    cook = session.get(Cook, pairing.cook_id)
    record_audit(
        session,
        actor_id=cook.user_id if cook is not None else None,
        council_id=pairing.council_id,
        action=action,
        subject_type="pairing",
        subject_id=pairing.id,
    )
    session.flush()
