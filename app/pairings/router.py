"""HTTP routes for pairings: the cook's side, the staff's, the carer's change request (API.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import CookUser, SessionDep, StaffUser
from app.diners.deps import CarersDiner
from app.diners.schemas import ReasonIn
from app.matching import service as matching
from app.models import Cook, Diner, Pairing
from app.pairings import lifecycle, service
from app.pairings.decline import decline_with_reason
from app.pairings.deps import InvitedPairing
from app.pairings.presenters import pairing_out
from app.pairings.schemas import (
    DeclineIn,
    PairingCreate,
    PairingEndIn,
    PairingOut,
    PairingScheduleIn,
)
from app.routing import DeferredRoute
from app.schemas import Limit, Offset, Page, PathId
from app.vocab import PairingStatus

router = APIRouter(tags=["pairings"], route_class=DeferredRoute)


def _render(session: SessionDep, pairing: Pairing, role: str) -> PairingOut:
    diner, cook = session.get(Diner, pairing.diner_id), session.get(Cook, pairing.cook_id)
    assert diner is not None and cook is not None
    return pairing_out(pairing, diner=diner, cook=cook, viewer_role=role)


@router.get("/api/cooks/me/pairings", response_model=Page[PairingOut])
def my_pairings(
    user: CookUser,
    session: SessionDep,
    status: Annotated[list[PairingStatus] | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PairingOut]:
    statuses = tuple(status or (PairingStatus.proposed, PairingStatus.active))
    rows = service.list_cook_pairings(session, user=user, statuses=statuses)
    page = rows[offset : offset + limit]  # a cook's own pairings are few: paged after reading
    items = [pairing_out(p, diner=d, cook=c, viewer_role="cook") for p, d, c in page]
    shown = [diner for pairing, diner, _ in page if pairing.status == PairingStatus.active]
    service.keep_address_views(session, cook_user=user, diners=shown)
    return Page(items=items, total=len(rows))


@router.post("/api/pairings/{pairing_id}/accept", response_model=PairingOut)
def accept(pairing: InvitedPairing, user: CookUser, session: SessionDep) -> PairingOut:
    service.accept_invitation(session, cook_user=user, pairing=pairing)
    return _render(session, pairing, "cook")


@router.post("/api/pairings/{pairing_id}/decline", response_model=PairingOut)
def decline(
    pairing: InvitedPairing, session: SessionDep, body: DeclineIn | None = None
) -> PairingOut:
    # As the cook's page: the coordinator is told (before, only the page told anyone, and a
    # diner with no next best cook sat waiting unseen), with the reason if one is given.
    reason = body.reason if body is not None else ""
    decline_with_reason(session, pairing=pairing, reason=reason or None)
    return _render(session, pairing, "cook")


@router.post("/api/staff/pairings", status_code=201, response_model=PairingOut)
def propose(body: PairingCreate, user: StaffUser, session: SessionDep) -> PairingOut:
    pairing = matching.propose_pairing(session, staff=user, body=body)
    return _render(session, pairing, "staff")


@router.post("/api/staff/pairings/{pairing_id}/withdraw", response_model=PairingOut)
def withdraw(pairing_id: PathId, user: StaffUser, session: SessionDep) -> PairingOut:
    pairing = service.withdraw_pairing(session, staff=user, pairing_id=pairing_id)
    return _render(session, pairing, "staff")


@router.post("/api/staff/pairings/{pairing_id}/end", response_model=PairingOut)
def end(
    pairing_id: PathId, user: StaffUser, session: SessionDep, body: PairingEndIn | None = None
) -> PairingOut:
    """Active or paused → `ended` (the diner waits again); another council's: 404. The body
    (a reason, for staff only) is optional: clients from before it send none."""
    reason = body.reason if body is not None else None
    pairing = service.end_pairing_as_staff(
        session, staff=user, pairing_id=pairing_id, reason=reason
    )
    return _render(session, pairing, "staff")


@router.post("/api/staff/pairings/{pairing_id}/schedule", response_model=PairingOut)
def reschedule(
    pairing_id: PathId, body: PairingScheduleIn, user: StaffUser, session: SessionDep
) -> PairingOut:
    """An active pairing's new day, time and frequency (422 with the rule as type when the
    cook or the diner cannot do it); another council's: 404."""
    pairing = service.reschedule_pairing(session, staff=user, pairing_id=pairing_id, body=body)
    return _render(session, pairing, "staff")


@router.post("/api/diners/{diner_id}/change-request", response_model=PairingOut)
def change_request(diner: CarersDiner, body: ReasonIn, session: SessionDep) -> PairingOut:
    pairing = lifecycle.request_change(session, diner=diner)
    diner.status_reason = body.reason
    session.add(diner)
    return _render(session, pairing, "carer")
