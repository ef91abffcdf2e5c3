"""What carers tell us: a rating per meal, and the quarterly friendship question."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.errors import Conflict, NotFound
from app.models import Diner, Meal, MealFeedback, OutcomeAnswer, Pairing, User
from app.vocab import MealStatus


def rate_meal(
    session: Session, *, carer: User, meal_id: int, rating: int, comment: str | None
) -> MealFeedback:
    meal = session.get(Meal, meal_id)
    diner = session.get(Diner, meal.diner_id) if meal else None
    # An erased diner's meals take no new words: they would name someone the erasure removed.
    if meal is None or diner is None or diner.carer_id != carer.id or diner.anonymised_at:
        raise NotFound("Meal not found")
    if meal.status != MealStatus.delivered:
        raise Conflict("Only a delivered meal can be rated")
    if session.exec(select(MealFeedback).where(MealFeedback.meal_id == meal_id)).first():
        raise Conflict("This meal has already been rated")
    feedback = MealFeedback(meal_id=meal_id, carer_id=carer.id, rating=rating, comment=comment)  # type: ignore[arg-type]
    try:
        with session.begin_nested():  # the caller's work stays if this insert fails
            session.add(feedback)
    except IntegrityError as exc:  # two ratings of the same meal at the same moment
        raise Conflict("This meal has already been rated") from exc
    return feedback


def answer_outcome(
    session: Session, *, carer: User, diner: Diner, considers_friend: bool
) -> OutcomeAnswer:
    if diner.anonymised_at is not None:  # as rate_meal: the record is closed
        raise NotFound("Diner not found")
    pairing = session.exec(
        select(Pairing)
        .where(Pairing.diner_id == diner.id, col(Pairing.accepted_at).is_not(None))
        .order_by(col(Pairing.accepted_at).desc())
    ).first()
    answer = OutcomeAnswer(
        diner_id=diner.id,  # type: ignore[arg-type]
        pairing_id=pairing.id if pairing else None,
        carer_id=carer.id,  # type: ignore[arg-type]
        considers_friend=considers_friend,
    )
    session.add(answer)
    session.flush()
    return answer
