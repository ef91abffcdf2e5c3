"""HTTP routes for accounts (API.md "Accounts")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from app.accounts import service
from app.accounts.cookies import clear_session_cookies, set_session_cookies
from app.accounts.schemas import (
    Me,
    PasswordChange,
    PasswordResetAccepted,
    PasswordResetConfirm,
    PasswordResetRequest,
    SessionCreate,
    SessionPublic,
    Token,
    TokenForm,
    UserCreate,
    UserPublic,
)
from app.deps import (
    HASH_TURN,
    CurrentAuth,
    CurrentUser,
    SessionDep,
    SettingsDep,
    StaffOrAdminUser,
    client_address,
)
from app.routing import DeferredRoute
from app.schemas import PathId

router = APIRouter(prefix="/api", tags=["accounts"], route_class=DeferredRoute)

RESET_ACCEPTED = PasswordResetAccepted(
    message="If an account uses this email address, we have sent it a link to choose a new "
    "password. The link works once, within an hour."
)


@router.post("/auth/register", status_code=201, response_model=UserPublic, dependencies=[HASH_TURN])
def register(
    body: UserCreate, request: Request, session: SessionDep, settings: SettingsDep
) -> UserPublic:
    user = service.register_from_client(
        session,
        email=body.email,
        password=body.password,
        full_name=body.full_name,
        role=body.role,
        client=client_address(request),
        settings=settings,
    )
    assert user.id is not None
    return UserPublic(id=user.id, email=user.email, role=user.role)


@router.post("/auth/token", response_model=Token, dependencies=[HASH_TURN])
def token(
    form: Annotated[TokenForm, Form()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    user = service.authenticate(
        session,
        email=form.username,
        password=form.password,
        client=client_address(request),
        settings=settings,
    )
    access, _ = service.start_session(session, user=user, kind="access", settings=settings)
    return Token(access_token=access)


@router.post("/auth/session", response_model=SessionPublic, dependencies=[HASH_TURN])
def sign_in(
    body: SessionCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> SessionPublic:
    """Browser sign-in: an HttpOnly session cookie plus a CSRF value to echo in a header."""
    user = service.authenticate(
        session,
        email=body.email,
        password=body.password,
        client=client_address(request),
        settings=settings,
    )
    cookie, claims = service.start_session(session, user=user, kind="session", settings=settings)
    me = _me(session, user)
    assert claims.csrf is not None
    set_session_cookies(response, request, token=cookie, csrf=claims.csrf, settings=settings)
    return SessionPublic(csrf_token=claims.csrf, user=me)


@router.post("/auth/logout", status_code=204)
def sign_out(auth: CurrentAuth, session: SessionDep, response: Response) -> None:
    """End the session (or bearer token) used, at once."""
    service.end_session(session, session_id=auth.session_id)
    clear_session_cookies(response)


@router.post("/me/password", status_code=204, dependencies=[HASH_TURN])
def change_password(
    body: PasswordChange,
    auth: CurrentAuth,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> None:
    service.change_password(
        session,
        user=auth.user,
        current_session_id=auth.session_id,
        current_password=body.current_password,
        new_password=body.new_password,
        client=client_address(request),
        settings=settings,
    )


@router.post("/auth/password-reset", status_code=202, response_model=PasswordResetAccepted)
def request_password_reset(
    body: PasswordResetRequest, session: SessionDep, settings: SettingsDep
) -> PasswordResetAccepted:
    service.request_password_reset(session, email=body.email, settings=settings)
    return RESET_ACCEPTED


@router.post("/auth/password-reset/confirm", status_code=204, dependencies=[HASH_TURN])
def confirm_password_reset(body: PasswordResetConfirm, session: SessionDep) -> None:
    service.reset_password(session, token=body.token, new_password=body.new_password)


@router.post("/staff/users/{user_id}/sessions/revoke", status_code=204)
def revoke_user_sessions(user_id: PathId, actor: StaffOrAdminUser, session: SessionDep) -> None:
    """Sign a person of the staff member's council out everywhere (admins: anyone); audited."""
    service.revoke_sessions_by_staff(session, actor=actor, user_id=user_id)


@router.get("/me", response_model=Me)
def me(user: CurrentUser, session: SessionDep) -> Me:
    return _me(session, user)


def _me(session: SessionDep, user: CurrentUser) -> Me:
    assert user.id is not None
    return Me(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        council=service.council_slug(session, user),
    )
