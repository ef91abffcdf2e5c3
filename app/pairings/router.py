"""HTTP routes for pairings: the cook's side, the staff's, the carer's change request (API.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import record_audit
from app.db import writing
from app.deps import CarerUser, CookUser, SessionDep, StaffUser
from app.diners.schemas import ReasonIn
from app.diners.service import get_carers_diner
from app.matching import service as matching
from app.models import Cook, Diner, Pairing
from app.pairings import lifecycle, service
from app.pairings.presenters import pairing_out
from app.pairings.schemas import PairingCreate, PairingOut
from app.schemas import Page, PathId
from app.vocab import PairingStatus

router = APIRouter(tags=["pairings"])


def _render(session: SessionDep, pairing: Pairing, role: str) -> PairingOut:
    diner, cook = session.get(Diner, pairing.diner_id), session.get(Cook, pairing.cook_id)
    assert diner is not None and cook is not None
    return pairing_out(pairing, diner=diner, cook=cook, viewer_role=role)


@router.get("/api/cooks/me/pairings", response_model=Page[PairingOut])
def my_pairings(
    user: CookUser,
    session: SessionDep,
    status: Annotated[list[PairingStatus] | None, Query()] = None,
) -> Page[PairingOut]:
    statuses = tuple(status or (PairingStatus.proposed, PairingStatus.active))
    rows = service.list_cook_pairings(session, user=user, statuses=statuses)
    items = [pairing_out(p, diner=d, cook=c, viewer_role="cook") for p, d, c in rows]
    shown = [diner for pairing, diner, _ in rows if pairing.status == PairingStatus.active]
    if shown:  # the response gives the cook these diners' addresses
        with writing(session):
            for diner in shown:
                record_audit(
                    session,
                    actor_id=user.id,
                    council_id=diner.council_id,
                    action="diner.address_viewed",
                    subject_type="diner",
                    subject_id=diner.id,
                )
    return Page(items=items, total=len(items))


@router.post("/api/pairings/{pairing_id}/accept", response_model=PairingOut)
def accept(pairing_id: PathId, user: CookUser, session: SessionDep) -> PairingOut:
    pairing = service.get_invited_pairing(session, user=user, pairing_id=pairing_id)
    service.accept_pairing(session, pairing=pairing)
    record_audit(
        session,
        actor_id=user.id,
        council_id=pairing.council_id,
        action="diner.address_viewed",
        subject_type="diner",
        subject_id=pairing.diner_id,
    )
    session.commit()
    return _render(session, pairing, "cook")


@router.post("/api/pairings/{pairing_id}/decline", response_model=PairingOut)
def decline(pairing_id: PathId, user: CookUser, session: SessionDep) -> PairingOut:
    pairing = service.get_invited_pairing(session, user=user, pairing_id=pairing_id)
    service.decline_pairing(session, pairing=pairing)
    session.commit()
    return _render(session, pairing, "cook")


@router.post("/api/staff/pairings", status_code=201, response_model=PairingOut)
def propose(body: PairingCreate, user: StaffUser, session: SessionDep) -> PairingOut:
    pairing = matching.propose_pairing(session, staff=user, body=body)
    session.commit()
    return _render(session, pairing, "staff")


@router.post("/api/staff/pairings/{pairing_id}/withdraw", response_model=PairingOut)
def withdraw(pairing_id: PathId, user: StaffUser, session: SessionDep) -> PairingOut:
    pairing = service.withdraw_pairing(session, staff=user, pairing_id=pairing_id)
    session.commit()
    return _render(session, pairing, "staff")


@router.post("/api/diners/{diner_id}/change-request", response_model=PairingOut)
def change_request(
    diner_id: PathId, body: ReasonIn, user: CarerUser, session: SessionDep
) -> PairingOut:
    diner = get_carers_diner(session, carer=user, diner_id=diner_id)
    pairing = lifecycle.request_change(session, diner=diner)
    diner.status_reason = body.reason
    session.add(diner)
    session.commit()
    return _render(session, pairing, "carer")
