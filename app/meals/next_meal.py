"""What a cook needs at the door of their next meal: when, for whom, where, who to call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.diners.service import coordinator_id
from app.models import Cook, Diner, Meal, User
from app.names import first_name
from app.vocab import MealStatus


@dataclass(frozen=True)
class Contact:
    role: str  # "carer" | "coordinator"
    name: str
    phone: str | None
    email: str


@dataclass(frozen=True)
class NextMeal:
    meal_id: int
    diner_id: int
    day: date
    start: str
    is_cover: bool
    diner_first_name: str
    address_line: str
    postcode: str
    access_notes: str | None
    contact: Contact | None


def next_meal(session: Session, *, cook: Cook, today: date) -> NextMeal | None:
    """The cook's next scheduled meal from today, with the diner's full address and the phone
    to call: the carer's, or the neighbourhood coordinator's for a diner with no carer."""
    meal = session.exec(
        select(Meal)
        .where(
            Meal.cook_id == cook.id, Meal.status == MealStatus.scheduled, col(Meal.date) >= today
        )
        .order_by(col(Meal.at), col(Meal.id))
    ).first()
    if meal is None:
        return None
    diner = session.get(Diner, meal.diner_id)
    assert diner is not None and meal.id is not None
    return NextMeal(
        meal_id=meal.id,
        diner_id=meal.diner_id,
        day=meal.date,
        start=meal.start,
        is_cover=meal.is_cover,
        diner_first_name=first_name(diner.full_name),
        address_line=diner.address_line,
        postcode=diner.postcode,
        access_notes=diner.access_notes,
        contact=contact_for(session, diner),
    )


def contact_for(session: Session, diner: Diner) -> Contact | None:
    """The carer who registered the diner, else (a referred diner) their coordinator."""
    if diner.carer_id is not None:
        carer = session.get(User, diner.carer_id)
        if carer is not None and carer.is_active:
            return Contact("carer", carer.full_name, carer.phone, carer.email)
    staff_id = coordinator_id(session, diner)
    person = session.get(User, staff_id) if staff_id else None
    if person is not None and person.is_active:
        return Contact("coordinator", person.full_name, person.phone, person.email)
    return None
