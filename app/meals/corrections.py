"""Staff record what happened to a meal, or put a recorded outcome right: a cook who tapped
"missed" for a meal they brought (the carer was told it did not happen), a meal recorded
delivered that never came (the carer rang the coordinator), or a meal nobody recorded (the
cook forgot). The cook's own record is once only (API.md: 409); the council's record is told
as the cook's would be, a correction to whoever the first record told, and both are audited."""

from __future__ import annotations

from sqlmodel import Session

from app.audit import record_audit
from app.db import utcnow
from app.diners.service import alert_recipients
from app.errors import Conflict, NotFound, RuleBroken
from app.meals.service import OPEN_MEAL, missed_too_soon, tell_missed
from app.models import Diner, Meal, User
from app.names import first_name
from app.notifications import messages
from app.notifications.outbox import tell
from app.vocab import MealStatus

RECORDED = (MealStatus.delivered, MealStatus.missed)


def correct_outcome(
    session: Session,
    *,
    staff: User,
    meal_id: int,
    outcome: MealStatus,
    diner_id: int | None = None,
) -> Meal:
    """The meal's outcome becomes `outcome`. 404 for another council's meal, one of an erased
    diner (their carer would be written to about "Erased"), or one not of `diner_id` when it is
    given (a diner's record); 409 for a cancelled meal or the outcome it already has. Not
    recorded yet: see `_first_record`. Missed after all: the carer and the coordinator are told
    as for a missed meal. Delivered after all: those told it was missed are told it came."""
    meal = session.get(Meal, meal_id)
    if meal is None or meal.council_id != staff.council_id:
        raise NotFound("Meal not found")
    diner = session.get(Diner, meal.diner_id)
    assert diner is not None
    if diner.anonymised_at is not None or diner_id not in (None, diner.id):
        raise NotFound("Meal not found")
    if meal.status in OPEN_MEAL:
        return _first_record(session, staff=staff, meal=meal, diner=diner, outcome=outcome)
    if meal.status not in RECORDED:
        raise Conflict(f"What happened to this meal cannot be recorded: it is {meal.status}")
    if meal.status == outcome:
        raise Conflict(f"This meal is already recorded as {outcome}")
    before, now = meal.status, utcnow()
    meal.status, meal.recorded_at = outcome, now
    session.add(meal)
    # Whoever the first record told, but the staff member putting it right.
    staff_told = [s for s in alert_recipients(session, diner) if s != staff.id]
    correction = (
        messages.meal_missed_after_all if outcome == MealStatus.missed
        else messages.meal_delivered_after_all
    )  # fmt: skip
    told = correction(diner_name=first_name(diner.full_name), day=meal.date, start=meal.start)
    for to in (diner.carer_id, *staff_told):
        if to is None:
            continue
        key = f"meal:{meal.id}:corrected:{now.isoformat()}"  # each correction is told
        tell(session, told, to=to, dedupe_key=key, about_diner_id=diner.id, fresh=True)
    _audit(session, "meal.outcome_corrected", staff=staff, meal=meal, diner=diner, before=before)
    return meal


def _first_record(
    session: Session, *, staff: User, meal: Meal, diner: Diner, outcome: MealStatus
) -> Meal:
    """A meal whose time has come that nobody recorded: its cook forgot, or it still needed
    cover (before, staff could not record it, and it left the week's figures). Missed: the
    carer and the coordinator are told as for the cook's record; delivered: nobody is."""
    if missed_too_soon(meal, utcnow()):
        raise RuleBroken(
            "meal_not_yet_due",
            ["path", "meal_id"],
            f"The meal is at {meal.start} on {meal.date.isoformat()}: what happened can be "
            "recorded once that time has come",
        )
    before = meal.status
    meal.status, meal.recorded_at = outcome, utcnow()
    session.add(meal)
    if outcome == MealStatus.missed:
        tell_missed(session, meal=meal, diner=diner, but=staff.id)
    _audit(session, "meal.outcome_recorded", staff=staff, meal=meal, diner=diner, before=before)
    return meal


def _audit(
    session: Session, action: str, *, staff: User, meal: Meal, diner: Diner, before: str
) -> None:
    record_audit(
        session,
        actor_id=staff.id,
        council_id=meal.council_id,
        action=action,
        subject_type="diner",  # the log names the diner and links their record
        subject_id=diner.id,
        data={
            "meal_id": meal.id,
            "meal_date": meal.date.isoformat(),
            "from": str(before),
            "to": str(meal.status),
        },
    )
    session.flush()
