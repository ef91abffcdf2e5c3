"""Accounts: registration, sign-in with failure limits, and who someone is."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.accounts.passwords import hash_password, password_problem, verify_password
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, RuleBroken, TooManyRequests, Unauthorized
from app.models import Council, LoginFailure, User

BAD_CREDENTIALS = "Incorrect email or password"


def email_key(email: str) -> str:
    return email.strip().lower()


def register_user(
    session: Session,
    *,
    email: str,
    password: str,
    full_name: str,
    role: str,
    council_id: int | None = None,
) -> User:
    """Create an account; the email must be free in any letter case."""
    if problem := password_problem(password, email=email, full_name=full_name):
        raise RuleBroken("weak_password", ["password"], f"Password {problem}")
    key = email_key(email)
    if session.exec(select(User.id).where(User.email_key == key)).first() is not None:
        raise Conflict("An account with this email already exists")
    user = User(
        email=email.strip(),
        email_key=key,
        full_name=full_name,
        password_hash=hash_password(password),
        role=role,
        council_id=council_id,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # the same email registered at the same moment
        session.rollback()
        raise Conflict("An account with this email already exists") from exc
    return user


def authenticate(
    session: Session, *, email: str, password: str, client: str, settings: Settings
) -> User:
    """The user with these credentials; failures are counted and limited (API.md)."""
    if "\x00" in email or "\x00" in password:  # never a real account; the database refuses NUL
        raise Unauthorized(BAD_CREDENTIALS)
    key = email_key(email)
    _refuse_when_limited(session, key=key, client=client, settings=settings)
    user = session.exec(select(User).where(User.email_key == key)).first()
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        session.add(LoginFailure(email_key=key, client=client))
        session.commit()
        raise Unauthorized(BAD_CREDENTIALS)
    return user


def _refuse_when_limited(session: Session, *, key: str, client: str, settings: Settings) -> None:
    window = timedelta(minutes=settings.login_window_minutes)
    since = utcnow() - window
    for column, value, limit in (
        (LoginFailure.email_key, key, settings.login_max_failures_per_account),
        (LoginFailure.client, client, settings.login_max_failures_per_client),
    ):
        count, oldest = session.exec(
            select(func.count(), func.min(LoginFailure.at)).where(
                column == value, LoginFailure.at > since
            )
        ).one()
        if count >= limit and oldest is not None:
            retry_after = int((oldest + window - utcnow()).total_seconds()) + 1
            raise TooManyRequests("Too many failed sign-ins: try again later", retry_after)


def council_slug(session: Session, user: User) -> str | None:
    if user.council_id is None:
        return None
    council = session.get(Council, user.council_id)
    return council.slug if council else None
