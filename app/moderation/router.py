"""HTTP routes for vetting cooks (API.md "Staff")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.cooks.schemas import CookProfileOut
from app.cooks.service import profile_out
from app.deps import SessionDep, StaffUser
from app.diners.schemas import ReasonIn
from app.moderation import service
from app.moderation.schemas import ApproveIn, AuditOut, CookListItem
from app.schemas import MAX_ID, Limit, Offset, Page, PathId
from app.vocab import CookStatus

router = APIRouter(prefix="/api/staff/cooks", tags=["staff"])
audit_router = APIRouter(prefix="/api/staff/audit", tags=["staff"])


@audit_router.get("", response_model=Page[AuditOut])
def audit_log(
    user: StaffUser,
    session: SessionDep,
    subject_type: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
    subject_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditOut]:
    """The council's audit log, newest first (read-only: the database refuses changes)."""
    rows, total = service.list_audit(
        session,
        staff=user,
        subject_type=subject_type,
        subject_id=subject_id,
        limit=limit,
        offset=offset,
    )
    return Page(items=[AuditOut.model_validate(r, from_attributes=True) for r in rows], total=total)


@router.get("", response_model=Page[CookListItem])
def list_cooks(
    user: StaffUser,
    session: SessionDep,
    status: Annotated[CookStatus | None, Query()] = None,
    due_within_days: Annotated[int | None, Query(ge=0, le=366)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CookListItem]:
    items, total = service.list_council_cooks(
        session,
        staff=user,
        status=status,
        due_within_days=due_within_days,
        limit=limit,
        offset=offset,
    )
    return Page(items=items, total=total)


@router.get("/{cook_id}", response_model=CookProfileOut)
def view_cook(cook_id: PathId, user: StaffUser, session: SessionDep) -> CookProfileOut:
    return profile_out(session, service.get_councils_cook(session, staff=user, cook_id=cook_id))


@router.post("/{cook_id}/approve", response_model=CookProfileOut)
def approve(
    cook_id: PathId, body: ApproveIn, user: StaffUser, session: SessionDep
) -> CookProfileOut:
    cook = service.get_councils_cook(session, staff=user, cook_id=cook_id)
    service.approve_cook(session, staff=user, cook=cook, body=body)
    session.commit()
    return profile_out(session, cook)


@router.post("/{cook_id}/reject", response_model=CookProfileOut)
def reject(cook_id: PathId, body: ReasonIn, user: StaffUser, session: SessionDep) -> CookProfileOut:
    cook = service.get_councils_cook(session, staff=user, cook_id=cook_id)
    service.reject_cook(session, staff=user, cook=cook, reason=body.reason)
    session.commit()
    return profile_out(session, cook)


@router.post("/{cook_id}/suspend", response_model=CookProfileOut)
def suspend(
    cook_id: PathId, body: ReasonIn, user: StaffUser, session: SessionDep
) -> CookProfileOut:
    cook = service.get_councils_cook(session, staff=user, cook_id=cook_id)
    service.suspend_cook(session, staff=user, cook=cook, reason=body.reason)
    session.commit()
    return profile_out(session, cook)


@router.post("/{cook_id}/reinstate", response_model=CookProfileOut)
def reinstate(
    cook_id: PathId, body: ReasonIn, user: StaffUser, session: SessionDep
) -> CookProfileOut:
    cook = service.get_councils_cook(session, staff=user, cook_id=cook_id)
    service.reinstate_cook(session, staff=user, cook=cook, reason=body.reason)
    session.commit()
    return profile_out(session, cook)
