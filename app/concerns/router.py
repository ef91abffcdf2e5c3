"""HTTP routes for concerns: raising (cooks, carers) and triage (staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlmodel import Session

from app.concerns import service
from app.concerns.categories import RAISER_STATUS
from app.concerns.deps import CouncilsConcern
from app.concerns.schemas import (
    ConcernIn,
    ConcernOut,
    ConcernStaffOut,
    RaisedConcernOut,
    TriageIn,
)
from app.deps import CookOrCarerUser, CurrentUser, SessionDep, StaffUser
from app.models import Concern, Diner, Pairing, User
from app.names import first_name
from app.routing import DeferredRoute
from app.schemas import Limit, Offset, Page
from app.vocab import ConcernStatus

router = APIRouter(tags=["concerns"], route_class=DeferredRoute)


def _public(concern: Concern) -> ConcernOut:
    assert concern.id is not None
    return ConcernOut(
        id=concern.id,
        reference=concern.reference,
        diner_id=concern.diner_id,
        pairing_id=concern.pairing_id,
        kind=concern.kind,
        serious=concern.serious,
        status=concern.status,
        created_at=concern.created_at,
        updated_at=concern.updated_at,
    )


def raised_view(session: Session, concern: Concern) -> RaisedConcernOut:
    """What the raiser sees: their words, the status in plain words; no staff notes."""
    diner = session.get(Diner, concern.diner_id)
    return RaisedConcernOut(
        **_public(concern).model_dump(),
        diner_first_name=first_name(diner.full_name) if diner else "",
        status_text=RAISER_STATUS[concern.status][0],
        description=concern.description,
    )


def _staff_view(session: Session, concern: Concern) -> ConcernStaffOut:
    raiser = session.get(User, concern.raised_by_id)
    pairing = session.get(Pairing, concern.pairing_id) if concern.pairing_id else None
    diner = session.get(Diner, concern.diner_id)
    return ConcernStaffOut(
        **_public(concern).model_dump(),
        diner_first_name=first_name(diner.full_name) if diner else "",
        description=concern.description,
        raised_by_role=raiser.role if raiser else "unknown",
        cook_id=pairing.cook_id if pairing else None,
        notes=concern.notes,
    )


@router.post("/api/concerns", status_code=201, response_model=ConcernOut)
def raise_concern(body: ConcernIn, user: CookOrCarerUser, session: SessionDep) -> ConcernOut:
    # The role as a dependency: solved before the body, so staff get 403 whatever they send
    # (a check in here came after the body's 422: an outside check).
    concern = service.raise_concern(
        session,
        user=user,
        diner_id=body.diner_id,
        kind=body.kind,
        serious=body.serious,
        description=body.description,
    )
    return _public(concern)


@router.get("/api/concerns", response_model=Page[RaisedConcernOut])
def my_concerns(
    user: CurrentUser, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> Page[RaisedConcernOut]:
    """The concerns the signed-in person raised, newest first, each with its status."""
    rows, total = service.raised_by(session, user=user, limit=limit, offset=offset)
    return Page(items=[raised_view(session, c) for c in rows], total=total)


@router.get("/api/concerns/{reference}", response_model=RaisedConcernOut)
def my_concern(
    reference: Annotated[str, Path(max_length=12)], user: CurrentUser, session: SessionDep
) -> RaisedConcernOut:
    """One concern the signed-in person raised, by its reference (EP-...)."""
    return raised_view(session, service.get_raised_concern(session, user=user, reference=reference))


@router.get("/api/staff/concerns", response_model=Page[ConcernStaffOut])
def list_concerns(
    user: StaffUser,
    session: SessionDep,
    status: Annotated[ConcernStatus | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ConcernStaffOut]:
    rows, total = service.list_concerns(
        session, staff=user, status=status, limit=limit, offset=offset
    )
    return Page(items=[_staff_view(session, c) for c in rows], total=total)


@router.get("/api/staff/concerns/{concern_id}", response_model=ConcernStaffOut)
def get_concern(concern: CouncilsConcern, session: SessionDep) -> ConcernStaffOut:
    return _staff_view(session, concern)


@router.post("/api/staff/concerns/{concern_id}/triage", response_model=ConcernStaffOut)
def triage(
    concern: CouncilsConcern, body: TriageIn, user: StaffUser, session: SessionDep
) -> ConcernStaffOut:
    service.triage(
        session,
        staff=user,
        concern=concern,
        status=ConcernStatus(body.status),
        note=body.note,
        exclude=body.exclude_pair,
        suspend=body.suspend_cook,
        resume=body.resume_meals,
    )
    return _staff_view(session, concern)
