"""HTTP routes for vetting cooks (API.md "Staff")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.cooks.presenters import profile_out
from app.cooks.schemas import CookProfileOut
from app.deps import CurrentUser, SessionDep, StaffUser
from app.diners.schemas import ReasonIn
from app.errors import Forbidden
from app.flows import cooks as flows
from app.models import User
from app.moderation import service
from app.moderation.schemas import ApproveIn, AuditOut, CookHistoryItem, CookListItem
from app.schemas import MAX_ID, Limit, Offset, Page, PathId
from app.vocab import CookStatus, Role

router = APIRouter(prefix="/api/staff/cooks", tags=["staff"])
audit_router = APIRouter(prefix="/api/staff/audit", tags=["staff"])


def _staff_or_admin(user: CurrentUser) -> User:
    """Staff (of the cook's council, checked by the service) or an admin (any council)."""
    if user.role not in (Role.staff, Role.admin):
        raise Forbidden("This needs the role: staff or admin")
    return user


StaffOrAdminUser = Annotated[User, Depends(_staff_or_admin)]


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
def view_cook(cook_id: PathId, user: StaffOrAdminUser, session: SessionDep) -> CookProfileOut:
    return profile_out(session, service.get_visible_cook(session, user=user, cook_id=cook_id))


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
        )
        for entry, name in rows
    ]
    return Page(items=items, total=total)


@router.post("/{cook_id}/confirm-location", response_model=CookProfileOut)
def confirm_location(cook_id: PathId, user: StaffUser, session: SessionDep) -> CookProfileOut:
    cook = service.get_councils_cook(session, staff=user, cook_id=cook_id)
    service.confirm_location(session, staff=user, cook=cook)
    session.commit()
    return profile_out(session, cook)


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
    flows.suspend_cook(session, staff=user, cook=cook, reason=body.reason)
    session.commit()
    return profile_out(session, cook)


@router.post("/{cook_id}/reinstate", response_model=CookProfileOut | CookListItem)
def reinstate(
    cook_id: PathId, body: ReasonIn, user: StaffOrAdminUser, session: SessionDep
) -> CookProfileOut | CookListItem:
    """Staff of the council that suspended or rejected the cook, or an admin, lift it.

    Staff of a council the cook has since moved away from get the summary without address.
    """
    cook = service.get_liftable_cook(session, user=user, cook_id=cook_id)
    service.reinstate_cook(session, staff=user, cook=cook, reason=body.reason)
    session.commit()
    if user.role == Role.staff and cook.council_id != user.council_id:
        return service.cook_summary(session, cook)
    return profile_out(session, cook)
