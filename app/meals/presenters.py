"""Meals as their viewers see them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session, col, select

from app.meals.schemas import MealOut
from app.models import Diner, Meal
from app.names import first_name


def meal_out(session: Session, meal: Meal) -> MealOut:
    return meals_out(session, [meal])[0]


def meals_out(session: Session, listed: list[Meal]) -> list[MealOut]:
    """The meals as the cook sees them, with their diners' names read in one query."""
    diner_ids = {m.diner_id for m in listed}
    diners = {
        d.id: d
        for d in (
            session.exec(select(Diner).where(col(Diner.id).in_(diner_ids))).all()
            if diner_ids
            else []
        )
    }
    out = []
    for meal in listed:
        assert meal.id is not None and meal.diner_id in diners
        diner = diners[meal.diner_id]
        out.append(
            MealOut(
                id=meal.id,
                pairing_id=meal.pairing_id,
                cook_id=meal.cook_id,
                date=meal.date,
                start=meal.start,
                status=meal.status,
                is_cover=meal.is_cover,
                diner_first_name=first_name(diner.full_name),
                diets=diner.diets,
                allergies=diner.allergies,
                other_allergies=diner.other_allergies,
                texture=diner.texture,
            )
        )
    return out


def meal_rows_out(rows: Sequence[Row[*tuple[Any, ...]]]) -> list[MealOut]:
    """``meals_out`` for plain rows that carry the diner's ``full_name``, ``diets``,
    ``allergies``, ``other_allergies`` and ``texture`` (app.meals.service.cook_meal_rows)."""
    return [
        MealOut(
            id=r.id,
            pairing_id=r.pairing_id,
            cook_id=r.cook_id,
            date=r.date,
            start=r.start,
            status=r.status,
            is_cover=r.is_cover,
            diner_first_name=first_name(r.full_name),
            diets=r.diets,
            allergies=r.allergies,
            other_allergies=r.other_allergies,
            texture=r.texture,
        )
        for r in rows
    ]
