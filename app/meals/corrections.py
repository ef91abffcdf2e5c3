"""Staff put a meal's recorded outcome right: a cook who tapped "missed" for a meal they brought
(the carer was told it did not happen), or a meal recorded delivered that never came (the
carer rang the coordinator). The cook's own record is once only (API.md: 409); a correction
is the council's, told to whoever the first record told, and audited."""

from __future__ import annotations

from sqlmodel import Session

from app.audit import record_audit
from app.db import utcnow
from app.diners.service import alert_recipients
from app.errors import Conflict, NotFound
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
    given (a diner's record); 409 unless its outcome is recorded and differs. Missed after all:
    the carer and the coordinator are told as for a missed meal. Delivered after all: those told
    it was missed are told it came."""
    meal = session.get(Meal, meal_id)
    if meal is None or meal.council_id != staff.council_id:
        raise NotFound("Meal not found")
    diner = session.get(Diner, meal.diner_id)
    assert diner is not None
    if diner.anonymised_at is not None or diner_id not in (None, diner.id):
        raise NotFound("Meal not found")
    if meal.status not in RECORDED:
        raise Conflict(f"Only a recorded outcome can be corrected: this meal is {meal.status}")
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
    record_audit(
        session,
        actor_id=staff.id,
        council_id=meal.council_id,
        action="meal.outcome_corrected",
        subject_type="diner",  # the log names the diner and links their record
        subject_id=diner.id,
        data={
            "meal_id": meal.id,
            "meal_date": meal.date.isoformat(),
            "from": str(before),
            "to": str(outcome),
        },
    )
    session.flush()
    return meal
