"""Load a concern or 404, scoped to the staff member's council: a dependency for triage."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.concerns import service
from app.deps import SessionDep, StaffUser
from app.models import Concern
from app.schemas import PathId


def councils_concern(concern_id: PathId, staff: StaffUser, session: SessionDep) -> Concern:
    """A concern about a diner of the staff member's own council (another council's: 404)."""
    return service.get_councils_concern(session, staff=staff, concern_id=concern_id)


CouncilsConcern = Annotated[Concern, Depends(councils_concern)]
