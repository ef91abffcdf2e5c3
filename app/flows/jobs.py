"""Periodic jobs: top up schedules, remind cooks and carers, and alert coordinators to what
needs a hand."""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta
from typing import Any

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, func, select

from app.config import get_settings
from app.councils.rules import council_today
from app.db import lock_row, utcnow
from app.diners.rules import paused_on
from app.diners.service import alert_recipients
from app.meals.service import schedule_all
from app.models import Cook, Council, Diner, Meal, OutcomeAnswer, Pairing
from app.names import first_name
from app.notifications import messages
from app.notifications.outbox import enqueue
from app.vocab import DinerStatus, MealStatus, PairingStatus

COVER_ALERT_DAYS = 2
PAUSE_NOTICE_DAYS = 2  # the carer is reminded this many days before meals start again
ANSWER_LASTS = timedelta(days=91)  # a quarter: the friendship question is not asked again
LAPSE_DAYS = {"weekly": 14, "fortnightly": 35, "monthly": 35}


def run_jobs(session: Session, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Everything the scheduler runs (idempotent: the outbox keeps one message per event)."""
    now = now or utcnow()
    return {
        "meals_scheduled": schedule_all(session, now=now),
        "pause_reminders": remind_pause_ending(session, now=now),
        "reminders": remind_cooks(session, now=now),
        "cover_alerts": alert_uncovered(session, now=now),
        "uncovered_missed": miss_uncovered(session, now=now),
        "lapse_alerts": alert_lapsed(session, now=now),
        "outcome_questions": ask_outcome_question(session, now=now),
    }


def remind_pause_ending(session: Session, *, now: dt.datetime) -> int:
    """Two days before a diner's meals start again after a pause, the carer (else the
    coordinator) is reminded when, and how to make the pause longer: the last day is often a
    guess (a hospital discharge date), and a cook with the key-safe code would otherwise come
    to an empty home. Once per pause's last day; none for a pause shorter than the notice
    (it would come before the pause began), nor for one cancelled or moved meanwhile (the
    reminder follows its new last day), nor when no meal is coming after it."""
    count = 0
    for council in session.exec(select(Council)).all():
        today = council_today(council, now)
        ending = session.exec(
            select(Diner)
            .where(
                Diner.council_id == council.id,
                Diner.status != DinerStatus.left,
                col(Diner.paused_to) >= today,
                col(Diner.paused_to) < today + timedelta(days=PAUSE_NOTICE_DAYS),
            )
            .order_by(col(Diner.id))
        ).all()
        for diner in ending:
            # Read again, locked: a pause the carer is moving or cancelling at this moment is
            # judged as they leave it (the diner's row is what app.flows.diners locks first).
            lock_row(session, diner)
            count += _remind_pause_ending(session, diner=diner, today=today)
    return count


def _remind_pause_ending(session: Session, *, diner: Diner, today: date) -> int:
    last = diner.paused_to
    if diner.status == DinerStatus.left or diner.paused_from is None or last is None:
        return 0
    restart = last + timedelta(days=1)
    if not (restart - timedelta(days=PAUSE_NOTICE_DAYS) <= today < restart):
        return 0
    if restart - timedelta(days=PAUSE_NOTICE_DAYS) < diner.paused_from:
        return 0  # a pause shorter than the notice: its last day was chosen days ago at most
    first = session.exec(
        select(Meal)
        .where(
            Meal.diner_id == diner.id,
            col(Meal.date) > last,
            col(Meal.status).in_((MealStatus.scheduled, MealStatus.needs_cover)),
        )
        .order_by(col(Meal.at))
    ).first()
    if first is None:
        return 0  # no meal starts again (no pairing, or one paused for another reason)
    settings, name = get_settings(), first_name(diner.full_name)
    if diner.carer_id is not None:
        told = [(diner.carer_id, settings.link(f"/carer/relatives/{diner.id}/pause"), False)]
    else:
        page = settings.link(f"/staff/diners/{diner.id}")
        told = [(to, page, True) for to in alert_recipients(session, diner)]  # else the staff
    queued = [
        _queued_now(
            session,
            **_fields(
                messages.pause_ending(
                    diner_name=name,
                    last_day=last,
                    first_meal=first.date,
                    start=first.start,
                    page=page,
                    to_staff=to_staff,
                    needs_cover=first.status == MealStatus.needs_cover,
                )
            ),
            to=to,
            # Once per last day: a pause moved later is reminded of again before its new end.
            dedupe_key=f"diner:{diner.id}:pause_ends:{last}",
            about_diner_id=diner.id,
        )
        for to, page, to_staff in told
    ]
    return 1 if any(queued) else 0


def _fields(message: messages.Message) -> dict[str, str]:
    return {"event": message.event, "subject": message.subject, "body": message.body}


def remind_cooks(session: Session, *, now: dt.datetime) -> int:
    """The day before each meal, a reminder to the cook who brings it."""
    count = 0
    for council in session.exec(select(Council)).all():
        tomorrow = council_today(council, now) + timedelta(days=1)
        meals = session.exec(
            select(Meal).where(
                Meal.council_id == council.id,
                Meal.date == tomorrow,
                Meal.status == MealStatus.scheduled,
            )
        ).all()
        for meal in meals:
            cook = session.get(Cook, meal.cook_id) if meal.cook_id else None
            diner = session.get(Diner, meal.diner_id)
            if cook is None or diner is None:
                continue
            reminder = messages.meal_reminder(
                diner_name=first_name(diner.full_name), start=meal.start
            )
            count += _queued_now(
                session,
                event=reminder.event,
                to=cook.user_id,
                subject=reminder.subject,
                body=reminder.body,
                dedupe_key=f"meal:{meal.id}:{meal.at:%Y%m%dT%H%M}:reminder:{meal.cook_id}",
                about_diner_id=diner.id,
            )
    return count


def alert_uncovered(session: Session, *, now: dt.datetime) -> int:
    """A meal still without cover two days before: the coordinator (else the staff) is told."""
    count = 0
    for council in session.exec(select(Council)).all():
        today = council_today(council, now)
        meals = session.exec(
            select(Meal).where(
                Meal.council_id == council.id,
                Meal.status == MealStatus.needs_cover,
                col(Meal.date) >= today,
                col(Meal.date) <= today + timedelta(days=COVER_ALERT_DAYS),
            )
        ).all()
        for meal in meals:
            diner, pairing = (
                session.get(Diner, meal.diner_id),
                session.get(Pairing, meal.pairing_id),
            )
            assert diner is not None and pairing is not None
            usual = session.get(Cook, pairing.cook_id)
            assert usual is not None
            name = first_name(diner.full_name)
            to_staff = messages.cover_missing(
                diner_name=name, day=meal.date, start=meal.start, cook_name=usual.display_name
            )
            to_carer = messages.cover_missing_to_carer(
                diner_name=name, day=meal.date, start=meal.start
            )
            told = [(to, to_staff) for to in alert_recipients(session, diner)]  # or the staff
            if diner.carer_id is not None:
                told.append((diner.carer_id, to_carer))
            queued = [
                _queued_now(
                    session,
                    event=message.event,
                    to=to,
                    subject=message.subject,
                    body=message.body,
                    dedupe_key=f"meal:{meal.id}:{meal.at:%Y%m%dT%H%M}:cover_missing",
                    about_diner_id=diner.id,
                )
                for to, message in told
            ]
            if any(queued):
                count += 1
    return count


def miss_uncovered(session: Session, *, now: dt.datetime) -> int:
    """A meal still needing cover when its time came was not brought: it is recorded missed
    (before, it stayed "needs cover" for ever, out of the week's missed meals and of every list
    staff see). Nobody is told again: the carer and the coordinator heard it may not come
    (`alert_uncovered`, which runs first), and no cook brought it to be blamed (none is named)."""
    # One UPDATE whose WHERE is judged again on each row it waits for: a cover taken just
    # before the meal's time (the cook's row lock) is never overwritten as missed.
    done = session.execute(
        update(Meal)
        .where(col(Meal.status) == MealStatus.needs_cover, col(Meal.at) <= now)
        .values(status=MealStatus.missed, recorded_at=now)
        # Meals this session has loaded read the new status (the rows it matched, fetched
        # with the UPDATE); nothing else of the session's is expired.
        .execution_options(synchronize_session="fetch")
    )
    assert isinstance(done, CursorResult)
    return done.rowcount


def alert_lapsed(session: Session, *, now: dt.datetime) -> int:
    """An active pairing with nothing delivered for 14 days (weekly) or 35 (less often)."""
    count = 0
    # The last delivery of every active pairing in one query, not one query per pairing.
    last_delivered = dict(
        session.exec(
            select(Meal.pairing_id, func.max(Meal.date))
            .join(Pairing, col(Pairing.id) == Meal.pairing_id)
            .where(Pairing.status == PairingStatus.active, Meal.status == MealStatus.delivered)
            .group_by(col(Meal.pairing_id))
        ).all()
    )
    for pairing in session.exec(
        select(Pairing).where(Pairing.status == PairingStatus.active)
    ).all():
        council = session.get(Council, pairing.council_id)
        diner = session.get(Diner, pairing.diner_id)
        assert council is not None and diner is not None
        today = council_today(council, now)
        last = last_delivered.get(pairing.id or 0)
        started = council_today(council, pairing.accepted_at) if pairing.accepted_at else today
        since = last or started
        # Days the diner asked for no meals (a stay in hospital) are not a lapse: none while the
        # pause runs, and after it the count starts again from its last day (an outside check
        # had the coordinator told to call during a planned fortnight away).
        if paused_on(diner, today):
            continue
        if diner.paused_to is not None and since < diner.paused_to < today:
            since = diner.paused_to
        lapse = LAPSE_DAYS.get(pairing.frequency, 35)
        if (today - since).days < lapse:
            continue
        # One alert per lapse: keyed by the last delivery (or the start) it is counted from.
        lapsed = messages.contact_lapsed(diner_name=first_name(diner.full_name), days=lapse)
        queued = [
            _queued_now(
                session,
                event=lapsed.event,
                to=to,
                subject=lapsed.subject,
                body=lapsed.body,
                dedupe_key=f"pairing:{pairing.id}:lapsed_since:{since}",
                about_diner_id=diner.id,
            )
            for to in alert_recipients(session, diner)  # the coordinator, else the staff
        ]
        if any(queued):
            count += 1
    return count


def ask_outcome_question(session: Session, *, now: dt.datetime) -> int:
    """Once a quarter, ask each carer of an active pairing (at least 4 weeks old) whether
    their relative considers the cook a friend (the Casserole Club's 70% measure); not a
    carer who answered in the last quarter's time (their page asks it too: an outside check
    found a carer who answered on 12 November asked again on 2 December)."""
    quarter = f"{now.year}Q{(now.month - 1) // 3 + 1}"
    answered = set(
        session.exec(
            select(OutcomeAnswer.pairing_id).where(
                col(OutcomeAnswer.answered_at) >= now - ANSWER_LASTS
            )
        ).all()
    )
    count = 0
    for pairing in session.exec(
        select(Pairing).where(Pairing.status == PairingStatus.active)
    ).all():
        diner = session.get(Diner, pairing.diner_id)
        cook = session.get(Cook, pairing.cook_id)
        if diner is None or cook is None or diner.carer_id is None or pairing.accepted_at is None:
            continue
        if now - pairing.accepted_at < timedelta(weeks=4) or pairing.id in answered:
            continue
        question = messages.outcome_question(
            diner_name=first_name(diner.full_name), cook_name=cook.display_name
        )
        count += _queued_now(
            session,
            event=question.event,
            to=diner.carer_id,
            subject=question.subject,
            body=question.body,
            dedupe_key=f"pairing:{pairing.id}:outcome:{quarter}",
            about_diner_id=diner.id,
        )
    return count


def _queued_now(session: Session, **message: Any) -> bool:
    """Queue a message; True only if it is new (a job run again finds it already queued)."""
    queued = enqueue(session, **message)
    return queued is not None and queued in session.new
