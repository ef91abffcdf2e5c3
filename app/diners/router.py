"""HTTP routes for diners: the carer's (API.md "Diners") and council staff's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import CarerOrStaffUser, CarerUser, SessionDep, SettingsDep, StaffUser
from app.diners import presenters, service
from app.diners.deps import DinerForUser
from app.diners.schemas import DinerIn, DinerListItem, DinerOut, DinerUpdate, PauseIn, ReasonIn
from app.flows import diner_changes as changes
from app.flows import diners as flows
from app.routing import DeferredRoute
from app.schemas import Limit, Offset, Page, PathId
from app.vocab import DinerStatus

router = APIRouter(prefix="/api/diners", tags=["diners"], route_class=DeferredRoute)
staff_router = APIRouter(prefix="/api/staff/diners", tags=["staff"], route_class=DeferredRoute)


@router.post("", status_code=201, response_model=DinerOut)
def register_diner(
    body: DinerIn, user: CarerUser, session: SessionDep, settings: SettingsDep
) -> DinerOut:
    diner = service.register_diner(
        session, actor=user, body=body, settings=settings, by_staff=False
    )
    return presenters.diner_out(session, diner)


@router.get("", response_model=Page[DinerListItem])
def list_my_diners(
    user: CarerUser, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> Page[DinerListItem]:
    diners, total = service.list_carers_diners(session, carer=user, limit=limit, offset=offset)
    return Page(items=presenters.diner_list_items(session, diners), total=total)


@router.get("/{diner_id}", response_model=DinerOut)
def get_my_diner(diner_id: PathId, carer: CarerUser, session: SessionDep) -> DinerOut:
    """The carer's own diner (anyone else's: 404), read as plain columns."""
    return presenters.carers_diner_out(session, carer=carer, diner_id=diner_id)


@router.patch("/{diner_id}", response_model=DinerOut)
def change_diner(
    diner: DinerForUser,
    body: DinerUpdate,
    user: CarerOrStaffUser,
    session: SessionDep,
    settings: SettingsDep,
) -> DinerOut:
    changes.change_diner(session, actor=user, diner=diner, body=body, settings=settings)
    service.audit_address_view(session, viewer=user, diner=diner)
    return presenters.diner_out(session, diner, for_staff=user.role == "staff")


@router.post("/{diner_id}/pause", response_model=DinerOut)
def pause_diner(
    diner: DinerForUser, body: PauseIn, user: CarerOrStaffUser, session: SessionDep
) -> DinerOut:
    flows.pause_diner(session, actor=user, diner=diner, body=body)
    service.audit_address_view(session, viewer=user, diner=diner)
    return presenters.diner_out(session, diner, for_staff=user.role == "staff")


@router.post("/{diner_id}/leave", response_model=DinerOut)
def diner_leaves(
    diner: DinerForUser, body: ReasonIn, user: CarerOrStaffUser, session: SessionDep
) -> DinerOut:
    flows.leave_diner(session, actor=user, diner=diner, reason=body.reason)
    service.audit_address_view(session, viewer=user, diner=diner)
    return presenters.diner_out(session, diner, for_staff=user.role == "staff")


@staff_router.get("", response_model=Page[DinerListItem])
def list_council_diners(
    user: StaffUser,
    session: SessionDep,
    status: Annotated[DinerStatus | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DinerListItem]:
    diners, total = service.list_council_diners(
        session, staff=user, status=status, limit=limit, offset=offset
    )
    return Page(items=presenters.diner_list_items(session, diners), total=total)


@staff_router.get("/{diner_id}", response_model=DinerOut)
def view_diner(diner_id: PathId, user: StaffUser, session: SessionDep) -> DinerOut:
    diner = service.view_diner_as_staff(session, staff=user, diner_id=diner_id)
    return presenters.diner_out(session, diner, for_staff=True)


@staff_router.post("", status_code=201, response_model=DinerOut)
def refer_diner(
    body: DinerIn, user: StaffUser, session: SessionDep, settings: SettingsDep
) -> DinerOut:
    diner = service.register_diner(session, actor=user, body=body, settings=settings, by_staff=True)
    service.audit_address_view(session, viewer=user, diner=diner)
    return presenters.diner_out(session, diner, for_staff=True)
