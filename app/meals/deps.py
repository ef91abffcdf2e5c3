"""Load a meal or 404, scoped to the cook who brings it: a dependency for the meal routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends

from app.deps import CookUser, SessionDep
from app.meals import service
from app.models import Meal
from app.schemas import PathId


def own_meal(meal_id: PathId, user: CookUser, session: SessionDep) -> Meal:
    """A meal the signed-in cook brings, locked (anyone else's: 404)."""
    meal, _ = service.own_meal(session, user=user, meal_id=meal_id)
    return meal


OwnMeal = Annotated[Meal, Depends(own_meal)]


def own_cook_clock(user: CookUser, session: SessionDep) -> tuple[int, date]:
    """The signed-in cook's profile id and their council's date today (none yet: 404, as
    app.cooks.deps.own_cook), read in one statement."""
    return service.own_cook_clock(session, user=user)


OwnCookClock = Annotated[tuple[int, date], Depends(own_cook_clock)]
