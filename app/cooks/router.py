"""HTTP routes for cooks (API.md "Cooks")."""

from __future__ import annotations

from fastapi import APIRouter

from app.cooks import service
from app.cooks.presenters import own_profile_out, profile_out
from app.cooks.schemas import CookProfileIn, CookProfileOut
from app.deps import CookUser, SessionDep, SettingsDep
from app.diners.schemas import ReasonIn
from app.flows import cooks as flows
from app.routing import DeferredRoute

router = APIRouter(prefix="/api/cooks", tags=["cooks"], route_class=DeferredRoute)


@router.put("/me", response_model=CookProfileOut)
def put_my_profile(
    body: CookProfileIn, user: CookUser, session: SessionDep, settings: SettingsDep
) -> CookProfileOut:
    cook = flows.put_own_profile(session, user=user, body=body, settings=settings)
    return profile_out(session, cook)


@router.get("/me", response_model=CookProfileOut)
def get_my_profile(user: CookUser, session: SessionDep) -> CookProfileOut:
    """The profile and what it shows of the council, read in one statement."""
    return own_profile_out(session, user_id=user.id)


@router.post("/me/stop")
def stop(body: ReasonIn, user: CookUser, session: SessionDep) -> dict[str, str]:
    cook = service.get_own_profile(session, user=user)  # after the body's 422, as before
    stopped = flows.stop_cooking(session, cook=cook, reason=body.reason)
    return {"status": stopped.status}
