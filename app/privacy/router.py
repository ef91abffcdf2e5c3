"""HTTP routes for data protection and a person's coordinator."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel
from sqlmodel import col, select

from app.cooks.service import find_own_profile
from app.deps import CurrentUser, SessionDep, StaffUser
from app.diners.deps import CouncilsDiner
from app.errors import RuleBroken
from app.models import Diner, Neighbourhood, User
from app.moderation.deps import CouncilsCook
from app.privacy import service
from app.privacy.schemas import EraseIn
from app.routing import DeferredRoute
from app.schemas import PathId

router = APIRouter(tags=["privacy"], route_class=DeferredRoute)


class Coordinator(BaseModel):
    neighbourhood: str
    name: str
    email: str
    phone: str | None


@router.get("/api/me/export")
def export_my_data(user: CurrentUser, session: SessionDep, response: Response) -> dict[str, Any]:
    """All the data held about you, as JSON (a file to keep, when a browser opens it)."""
    # The pages' "Download my data" opened as raw JSON in the tab where a browser ignored the
    # link's download attribute (a browser walk): the answer itself says it is a file.
    response.headers["Content-Disposition"] = 'attachment; filename="extra-portion-my-data.json"'
    return service.export_own_data(session, user=user)


@router.get("/api/me/coordinators", response_model=list[Coordinator])
def my_coordinators(user: CurrentUser, session: SessionDep) -> list[Coordinator]:
    """The single point of contact for the cook's neighbourhood or each relative's."""
    hood_ids: set[int] = set()
    cook = find_own_profile(session, user=user)
    if cook and cook.neighbourhood_id:
        hood_ids.add(cook.neighbourhood_id)
    for diner in session.exec(select(Diner).where(Diner.carer_id == user.id)):
        if diner.neighbourhood_id:
            hood_ids.add(diner.neighbourhood_id)
    found = []
    for hood in session.exec(select(Neighbourhood).where(col(Neighbourhood.id).in_(hood_ids))):
        person = session.get(User, hood.coordinator_id) if hood.coordinator_id else None
        if person is not None and person.is_active:
            found.append(
                Coordinator(
                    neighbourhood=hood.name,
                    name=person.full_name,
                    email=person.email,
                    phone=person.phone,
                )
            )
    return found


def councils_carer(carer_id: PathId, staff: StaffUser, session: SessionDep) -> User:
    """A carer with a relative in the staff member's council (anyone else: 404, before the
    body is looked at)."""
    return service.carer_of_council(session, staff=staff, carer_id=carer_id)


CouncilsCarer = Annotated[User, Depends(councils_carer)]


def _confirmed(body: EraseIn | None) -> None:
    """An empty POST is answered as an unticked box, with the field named (a review: "Field
    required" at the body named nothing)."""
    if body is None or not body.confirm:
        raise RuleBroken(
            "erasure_not_confirmed",
            ["confirm"],
            "An erasure cannot be undone: send confirm true once the person, or someone acting "
            "for them, has asked for it",
        )


@router.post("/api/staff/diners/{diner_id}/erase")
def erase_diner(
    diner: CouncilsDiner, user: StaffUser, session: SessionDep, body: EraseIn | None = None
) -> dict[str, object]:
    _confirmed(body)
    erased = service.erase_diner(session, staff=user, diner=diner)
    return {"id": erased.id, "erased": True}


@router.post("/api/staff/carers/{carer_id}/erase")
def erase_carer(
    carer: CouncilsCarer, user: StaffUser, session: SessionDep, body: EraseIn | None = None
) -> dict[str, object]:
    """A carer's own account, once each of their relatives is erased (409 before)."""
    _confirmed(body)
    erased = service.erase_carer(session, staff=user, carer=carer)
    return {"id": erased.id, "erased": True}


@router.post("/api/staff/cooks/{cook_id}/erase")
def erase_cook(
    cook: CouncilsCook, user: StaffUser, session: SessionDep, body: EraseIn | None = None
) -> dict[str, object]:
    _confirmed(body)
    erased = service.erase_cook(session, staff=user, cook=cook)
    return {"id": erased.id, "erased": True}
