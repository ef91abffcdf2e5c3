"""HTTP routes for accounts (API.md "Accounts")."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from app.accounts import service
from app.accounts.schemas import Me, SessionCreate, SessionPublic, Token, UserCreate, UserPublic
from app.accounts.tokens import issue_token
from app.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    SessionDep,
    SettingsDep,
    client_address,
)

router = APIRouter(prefix="/api", tags=["accounts"])


@router.post("/auth/register", status_code=201, response_model=UserPublic)
def register(body: UserCreate, session: SessionDep) -> UserPublic:
    user = service.register_user(
        session, email=body.email, password=body.password, full_name=body.full_name, role=body.role
    )
    session.commit()
    assert user.id is not None
    return UserPublic(id=user.id, email=user.email, role=user.role)


@router.post("/auth/token", response_model=Token)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
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
    assert user.id is not None
    access, _ = issue_token(
        user_id=user.id,
        kind="access",
        secret=settings.secret_key,
        lifetime=timedelta(minutes=settings.access_token_minutes),
    )
    return Token(access_token=access)


@router.post("/auth/session", response_model=SessionPublic)
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
    assert user.id is not None
    lifetime = timedelta(hours=settings.session_hours)
    cookie, claims = issue_token(
        user_id=user.id, kind="session", secret=settings.secret_key, lifetime=lifetime
    )
    assert claims.csrf is not None
    secure = request.url.scheme == "https"
    max_age = int(lifetime.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, cookie, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(CSRF_COOKIE, claims.csrf, max_age=max_age, samesite="strict", secure=secure)
    return SessionPublic(csrf_token=claims.csrf, user=_me(session, user))


@router.post("/auth/logout", status_code=204)
def sign_out(_: CurrentUser, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


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
