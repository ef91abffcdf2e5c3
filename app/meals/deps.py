"""Load a meal or 404, scoped to the cook who brings it: a dependency for the meal routes."""

from __future__ import annotations

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
