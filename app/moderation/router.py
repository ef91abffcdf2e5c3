"""HTTP routes for vetting cooks (API.md "Staff")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.cooks.presenters import profile_out
from app.cooks.schemas import CookProfileOut
from app.deps import SessionDep, StaffOrAdminUser, StaffUser
from app.diners.schemas import ReasonIn
from app.flows import cooks as flows
from app.models import User
from app.moderation import service
from app.moderation.deps import CouncilsCook, LiftableCook, VisibleCook
from app.moderation.rules import is_theirs
from app.moderation.schemas import (
    ApproveIn,
    AuditOut,
    CookHistoryItem,
    CookListItem,
    CookMovedAwayOut,
)
from app.routing import DeferredRoute
from app.schemas import MAX_ID, Limit, Offset, Page, PathId
from app.vocab import CookStatus, Role

router = APIRouter(prefix="/api/staff/cooks", tags=["staff"], route_class=DeferredRoute)
audit_router = APIRouter(prefix="/api/staff/audit", tags=["staff"], route_class=DeferredRoute)


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
    location_review: Annotated[bool | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CookListItem]:
    items, total = service.list_council_cooks(
        session,
        staff=user,
        status=status,
        due_within_days=due_within_days,
        location_review=location_review,
        limit=limit,
        offset=offset,
    )
    return Page(items=items, total=total)


@router.get("/{cook_id}", response_model=CookProfileOut)
def view_cook(cook: VisibleCook, user: StaffOrAdminUser, session: SessionDep) -> CookProfileOut:
    return profile_out(session, cook, staff_council=_staff_council(user))


@router.get("/{cook_id}/history", response_model=Page[CookHistoryItem])
def cook_history(
    cook_id: PathId, user: StaffUser, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> Page[CookHistoryItem]:
    """What happened to the cook in this council, newest first."""
    rows, total = service.cook_history(
        session, staff=user, cook_id=cook_id, limit=limit, offset=offset
    )
    items = [
        CookHistoryItem(
            at=entry.at,
            action=entry.action,
            status=str(entry.data["status"]) if "status" in entry.data else None,
            actor_name=name,
            reason=reason,
        )
        for entry, name, reason in rows
    ]
    return Page(items=items, total=total)


@router.post("/{cook_id}/confirm-location", response_model=CookProfileOut)
def confirm_location(cook: CouncilsCook, user: StaffUser, session: SessionDep) -> CookProfileOut:
    service.confirm_location(session, staff=user, cook=cook)
    return profile_out(session, cook, staff_council=_staff_council(user))


@router.post("/{cook_id}/approve", response_model=CookProfileOut)
def approve(
    cook: CouncilsCook, body: ApproveIn, user: StaffUser, session: SessionDep
) -> CookProfileOut:
    service.approve_cook(session, staff=user, cook=cook, body=body)
    return profile_out(session, cook, staff_council=_staff_council(user))


@router.post("/{cook_id}/reject", response_model=CookProfileOut)
def reject(
    cook: CouncilsCook, body: ReasonIn, user: StaffUser, session: SessionDep
) -> CookProfileOut:
    service.reject_cook(session, staff=user, cook=cook, reason=body.reason)
    return profile_out(session, cook, staff_council=_staff_council(user))


@router.post("/{cook_id}/suspend", response_model=CookProfileOut)
def suspend(
    cook: CouncilsCook, body: ReasonIn, user: StaffUser, session: SessionDep
) -> CookProfileOut:
    flows.suspend_cook(session, staff=user, cook=cook, reason=body.reason)
    return profile_out(session, cook, staff_council=_staff_council(user))


@router.post("/{cook_id}/reinstate", response_model=CookProfileOut | CookMovedAwayOut)
def reinstate(
    cook: LiftableCook, body: ReasonIn, user: StaffOrAdminUser, session: SessionDep
) -> CookProfileOut | CookMovedAwayOut:
    """Staff of the council that suspended or rejected the cook, or an admin, lift it.

    Staff of a council the cook has since moved away from hear that it is lifted, and that the
    cook is with another council now: nothing of where they live or what they are now.
    """
    service.reinstate_cook(session, staff=user, cook=cook, reason=body.reason)
    if not is_theirs(cook.council_id, _staff_council(user)):
        assert cook.id is not None
        return CookMovedAwayOut(id=cook.id, display_name=cook.display_name)
    return profile_out(session, cook, staff_council=_staff_council(user))


def _staff_council(user: User) -> int | None:
    """Whose words on a cook's status the user reads: staff their council's, an admin all."""
    return user.council_id if user.role == Role.staff else None
