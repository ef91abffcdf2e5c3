"""What happens to pairings when people come and go (the flows in app/flows/ call these)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.councils.rules import council_today
from app.db import utcnow
from app.diners.erasure_hold import erasure_hold
from app.diners.rules import paused_on
from app.diners.service import alert_recipients
from app.errors import Conflict
from app.meals.service import bring_back, cancel_future_meals, schedule_meals, seek_cover
from app.models import Cook, Council, Diner, Meal, PairExclusion, Pairing
from app.names import first_name
from app.notifications import messages
from app.notifications.letters import queue_meals_stopped_letter
from app.notifications.outbox import enqueue, take_back, take_back_about, tell
from app.vocab import (
    OPEN_PAIRING_STATUSES,
    RUNNING_PAIRING_STATUSES,
    CancelReason,
    DinerStatus,
    EndReason,
    ExclusionReason,
    MealStatus,
    PairingStatus,
)


def release_cook(session: Session, *, cook: Cook, reason: EndReason) -> list[Pairing]:
    """Withdraw the cook's proposals and end their active pairings; diners wait again."""
    pairings = locked_with_their_diners(
        session, Pairing.cook_id == cook.id, col(Pairing.status).in_(OPEN_PAIRING_STATUSES)
    )
    for pairing in pairings:
        end_pairing(session, pairing=pairing, reason=reason)
    _hand_back_covers(session, cook=cook)
    return list(pairings)


def _hand_back_covers(session: Session, *, cook: Cook) -> None:
    """Covers this cook had taken need another cover; the cook is told not to bring them (a
    suspended cook heard nothing and could still come to the door)."""
    council = session.get(Council, cook.council_id)
    assert council is not None
    meals = session.exec(
        select(Meal).where(
            Meal.cook_id == cook.id,
            col(Meal.is_cover).is_(True),
            Meal.status == MealStatus.scheduled,
            col(Meal.date) >= council_today(council),
        )
    ).all()
    for meal in meals:
        diner = session.get(Diner, meal.diner_id)
        assert diner is not None
        told = messages.cover_handed_back(diner_name=first_name(diner.full_name), day=meal.date)
        key = f"meal:{meal.id}:handed_back:{cook.id}:{utcnow().isoformat()}"
        tell(session, told, to=cook.user_id, dedupe_key=key, about_diner_id=diner.id)
    seek_cover(session, meals=list(meals))


def end_pairing(session: Session, *, pairing: Pairing, reason: EndReason) -> bool:
    """A proposal is withdrawn, an active pairing ended; history is kept, future meals go.

    False when the cook never heard of it: a proposal whose invitation had not gone yet,
    taken back (so a caller's own "the invitation is withdrawn" is not for them)."""
    was_active = pairing.status in RUNNING_PAIRING_STATUSES
    pairing.status = PairingStatus.ended if was_active else PairingStatus.withdrawn
    pairing.ended_at, pairing.end_reason = utcnow(), reason
    session.add(pairing)
    diner = session.get(Diner, pairing.diner_id)
    council = session.get(Council, pairing.council_id)
    cook = session.get(Cook, pairing.cook_id)
    assert diner is not None and council is not None and cook is not None
    # A proposal's invitation not sent yet never goes, and nothing is said of it.
    unsent = not was_active and take_back_invitation(session, pairing=pairing, cook=cook)
    if not was_active and not unsent and reason == EndReason.diner_left:
        # Nobody else tells the cook, whose invitation had nothing left to answer.
        told = messages.invitation_withdrawn_diner_left(diner_name=first_name(diner.full_name))
        tell(
            session,
            told,
            to=cook.user_id,
            dedupe_key=f"pairing:{pairing.id}:withdrawn",
            about_diner_id=diner.id,
        )
    today = council_today(council)
    covered = covered_meals(session, pairing=pairing, today=today)
    cancel_future_meals(session, pairing=pairing, reason=reason, today=today)
    if diner.status == DinerStatus.matched:
        diner.status = DinerStatus.waiting
        session.add(diner)
    for meal, cover_user_id in covered:  # they would come with a meal nobody expects
        stopped = messages.cover_stopped(diner_name=first_name(diner.full_name), day=meal.date)
        enqueue(
            session,
            event=stopped.event,
            to=cover_user_id,
            subject=stopped.subject,
            body=stopped.body,
            dedupe_key=f"meal:{meal.id}:{meal.at:%Y%m%dT%H%M}:stopped",
            about_diner_id=diner.id,
        )
    # A diner staff referred has no carer to tell: they are posted word (as they were posted
    # their plan), and their coordinator asked to call them, whoever ended it.
    no_carer = was_active and diner.carer_id is None and reason != EndReason.diner_left
    if no_carer:
        # A plan of visits not posted yet never will be: the letter saying they stopped goes.
        take_back_about(session, event="meal_plan_letter", diner_id=diner.id or 0)
        queue_meals_stopped_letter(
            session,
            diner=diner,
            cook_name=cook.display_name,
            key=f"pairing:{pairing.id}:ended:letter",
        )
    # A diner whose carer asked for erasure is not back in matching (app/diners/erasure_hold.py):
    # the carer and the coordinator were told "looking for another cook" (a newcomer's walk).
    held = (
        erasure_hold(session, diner=diner, council=council)
        if was_active and reason != EndReason.diner_left
        else None
    )
    erase_by = held.due_on if held is not None else None
    if was_active and (reason in STAFF_TOLD_OF or no_carer):
        to_staff = messages.pairing_ended_to_staff(
            cook_name=cook.display_name,
            diner_name=first_name(diner.full_name),
            reason=reason,
            no_carer=no_carer,
            erase_by=erase_by,
        )
        for to in alert_recipients(session, diner):
            enqueue(
                session,
                event=to_staff.event,
                to=to,
                subject=to_staff.subject,
                body=to_staff.body,
                dedupe_key=f"pairing:{pairing.id}:ended",
                about_diner_id=diner.id,
            )
    if was_active:
        diner_name = first_name(diner.full_name)
        for recipient, ended in (
            (
                diner.carer_id,
                messages.pairing_ended_to_carer(
                    cook_name=cook.display_name,
                    diner_name=diner_name,
                    reason=reason,
                    erase_by=erase_by,
                ),
            ),
            (cook.user_id, messages.pairing_ended_to_cook(diner_name=diner_name, reason=reason)),
        ):
            enqueue(
                session,
                event=ended.event,
                to=recipient,
                subject=ended.subject,
                body=ended.body,
                dedupe_key=f"pairing:{pairing.id}:ended",
                about_diner_id=diner.id,
            )
    session.flush()
    return not unsent


# Ends the coordinator learns of from a message: the others are the council's own decisions.
STAFF_TOLD_OF = frozenset(
    {EndReason.change_requested, EndReason.cook_stopped, EndReason.cook_moved, EndReason.diner_left}
)


def take_back_invitation(session: Session, *, pairing: Pairing, cook: Cook) -> bool:
    """A withdrawn proposal's invitation that has not gone yet never will: True if so."""
    return take_back(session, dedupe_key=f"pairing:{pairing.id}:proposed", user_id=cook.user_id)


def covered_meals(session: Session, *, pairing: Pairing, today: date) -> list[tuple[Meal, int]]:
    """The pairing's coming meals another cook is covering, with that cook's user id."""
    rows = session.exec(
        select(Meal, Cook.user_id)
        .join(Cook, col(Cook.id) == col(Meal.cook_id))
        .where(
            Meal.pairing_id == pairing.id,
            col(Meal.is_cover).is_(True),
            Meal.status == MealStatus.scheduled,
            col(Meal.date) >= today,
        )
        .order_by(col(Meal.id))
    ).all()
    return [(meal, user_id) for meal, user_id in rows]


def diner_leaves(session: Session, *, diner: Diner) -> None:
    for pairing in _open_pairings(session, diner):
        end_pairing(session, pairing=pairing, reason=EndReason.diner_left)


def request_change(session: Session, *, diner: Diner) -> Pairing:
    """The carer's exit: end the active pairing without blame and never propose that cook again."""
    active = [p for p in _open_pairings(session, diner) if p.status in RUNNING_PAIRING_STATUSES]
    if not active:
        raise Conflict("There is no active pairing to change")
    pairing = active[0]
    end_pairing(session, pairing=pairing, reason=EndReason.change_requested)
    exclude_pair(
        session,
        diner_id=pairing.diner_id,
        cook_id=pairing.cook_id,
        reason=ExclusionReason.change_requested,
    )
    return pairing


def exclude_pair(session: Session, *, diner_id: int, cook_id: int, reason: ExclusionReason) -> None:
    exists = session.exec(
        select(PairExclusion).where(
            PairExclusion.diner_id == diner_id, PairExclusion.cook_id == cook_id
        )
    ).first()
    if exists is None:
        session.add(PairExclusion(diner_id=diner_id, cook_id=cook_id, reason=reason))
        session.flush()


def _open_pairings(session: Session, diner: Diner) -> list[Pairing]:
    return locked_with_their_diners(
        session, Pairing.diner_id == diner.id, col(Pairing.status).in_(OPEN_PAIRING_STATUSES)
    )


def locked_with_their_diners(session: Session, *where: Any) -> list[Pairing]:
    """The pairings `where` says, locked and read as they are now (PostgreSQL), each diner's
    row locked first (in id order): the order app.db.lock_row names, so that ending a cook's
    pairings and a diner's own change (an erasure, a pause, an accept) never wait for each
    other both ways (an outside check found them deadlocking). Read afresh: a cook's accept
    committed meanwhile makes one `active`, to end and tell, not a proposal to withdraw (an
    outside check found accepted pairings stored as withdrawn, their cook never told)."""
    diner_ids = sorted(set(session.exec(select(Pairing.diner_id).where(*where)).all()))
    if diner_ids:
        diners = select(Diner.id).where(col(Diner.id).in_(diner_ids)).order_by(col(Diner.id))
        session.exec(diners.with_for_update(key_share=True)).all()
    pairings = select(Pairing).where(*where).order_by(col(Pairing.id))
    return list(session.exec(pairings.with_for_update(key_share=True)).all())


def lock_pairing(session: Session, pairing_id: int) -> Pairing | None:
    """One pairing, locked and read as it is now, its diner's row locked first (see
    `locked_with_their_diners`); None when there is no such pairing."""
    found = locked_with_their_diners(session, Pairing.id == pairing_id)
    return found[0] if found else None


def resume_pairing(session: Session, *, pairing: Pairing, cancelled_for: CancelReason) -> None:
    """A paused pairing runs again: its coming meals the pause had cancelled (`cancelled_for`)
    are planned again, but for days the diner is away, and the schedule is filled up."""
    pairing.status, pairing.pause_reason = PairingStatus.active, None
    session.add(pairing)
    council = session.get(Council, pairing.council_id)
    diner = session.get(Diner, pairing.diner_id)
    assert council is not None and diner is not None
    today = council_today(council)
    for meal in session.exec(
        select(Meal).where(
            Meal.pairing_id == pairing.id,
            Meal.cancel_reason == cancelled_for,
            col(Meal.date) >= today,
        )
    ).all():
        if paused_on(diner, meal.date):
            meal.cancel_reason = CancelReason.diner_paused  # still away: stays cancelled
            session.add(meal)
        else:
            # A cover cook is told (they were told it was cancelled); the pairing's own cook
            # hears that the meals are back from whoever ended the pause.
            covered = meal.is_cover and meal.cook_id not in (None, pairing.cook_id)
            bring_back(session, meal=meal, diner=diner, tell=covered)
    schedule_meals(session, pairing=pairing, today=today)
