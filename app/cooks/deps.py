"""Load the signed-in cook's own profile or 404: a dependency for the cook's own routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.cooks import service
from app.deps import CookUser, SessionDep
from app.models import Cook


def own_cook(user: CookUser, session: SessionDep) -> Cook:
    """The signed-in cook's profile (none yet: 404)."""
    return service.get_own_profile(session, user=user)


OwnCook = Annotated[Cook, Depends(own_cook)]
