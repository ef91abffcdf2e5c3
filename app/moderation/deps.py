"""Load a cook or 404, scoped to who asks: dependencies for the routes that act on one cook."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.deps import SessionDep, StaffOrAdminUser, StaffUser
from app.models import Cook
from app.moderation import service
from app.schemas import PathId


def councils_cook(cook_id: PathId, staff: StaffUser, session: SessionDep) -> Cook:
    """A cook of the staff member's own council (another council's: 404)."""
    return service.get_councils_cook(session, staff=staff, cook_id=cook_id)


def visible_cook(cook_id: PathId, user: StaffOrAdminUser, session: SessionDep) -> Cook:
    """A cook of the staff member's council, or any cook for an admin (else 404)."""
    return service.get_visible_cook(session, user=user, cook_id=cook_id)


def liftable_cook(cook_id: PathId, user: StaffOrAdminUser, session: SessionDep) -> Cook:
    """A cook whose suspension or rejection this staff member (or an admin) may lift (else 404)."""
    return service.get_liftable_cook(session, user=user, cook_id=cook_id)


CouncilsCook = Annotated[Cook, Depends(councils_cook)]
VisibleCook = Annotated[Cook, Depends(visible_cook)]
LiftableCook = Annotated[Cook, Depends(liftable_cook)]
