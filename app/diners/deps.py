"""Load a diner or 404, scoped to who asks: dependencies for the routes that act on one diner."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.deps import CarerOrStaffUser, CarerUser, SessionDep, StaffUser
from app.diners import service
from app.models import Diner
from app.schemas import PathId


def carers_diner(diner_id: PathId, carer: CarerUser, session: SessionDep) -> Diner:
    """The carer's own diner (anyone else's: 404)."""
    return service.get_carers_diner(session, carer=carer, diner_id=diner_id)


def councils_diner(diner_id: PathId, staff: StaffUser, session: SessionDep) -> Diner:
    """A diner of the staff member's own council (another council's: 404)."""
    return service.get_councils_diner(session, staff=staff, diner_id=diner_id)


def diner_for(diner_id: PathId, user: CarerOrStaffUser, session: SessionDep) -> Diner:
    """The carer's own diner, or a diner of the staff member's council (else 404)."""
    return service.get_diner_for(session, user=user, diner_id=diner_id)


CarersDiner = Annotated[Diner, Depends(carers_diner)]
CouncilsDiner = Annotated[Diner, Depends(councils_diner)]
DinerForUser = Annotated[Diner, Depends(diner_for)]
