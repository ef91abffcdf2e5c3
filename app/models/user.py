"""People who sign in, and the failed sign-ins and reset requests that rate-limit them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.db import utcnow


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320)
    # Lower-cased email: uniqueness without regard to letter case, on every database.
    email_key: str = Field(max_length=320, unique=True)
    full_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)  # cook | carer | staff | admin
    council_id: int | None = Field(default=None, foreign_key="council.id", index=True)
    is_active: bool = Field(default=True)
    # E.164. Staff: shown as coordinator contact; anyone: where texts go (contact_preference).
    phone: str | None = Field(default=None, max_length=20)
    contact_preference: str = Field(default="email", max_length=8)  # email | sms
    anonymised_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class LoginFailure(SQLModel, table=True):
    """One failed sign-in; counted in the database so limits hold across worker processes."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    email_key: str = Field(max_length=320, index=True)
    client: str = Field(max_length=64, index=True)


class AuthSession(SQLModel, table=True):
    """One sign-in (a browser session or a bearer token): revocable, read on each request."""

    __tablename__ = "auth_session"

    id: str = Field(primary_key=True, max_length=43)  # the token's random `sid` claim
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=8)  # access | session
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


class PasswordReset(SQLModel, table=True):
    """A single-use password reset link; only the SHA-256 of its token is kept."""

    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class ResetRequest(SQLModel, table=True):
    """A password reset asked for an address, counted for the hourly limit whether or not an
    account has it: the answer says when the address can ask again, and reads the same for
    both (else it would tell who has an account)."""

    __tablename__ = "password_reset_request"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    email_key: str = Field(max_length=320, index=True)


class EmailChange(SQLModel, table=True):
    """A new sign-in address asked for, waiting for its owner to open the link sent to it (a
    mistyped address would otherwise take every message and reset link with it); only the
    SHA-256 of the link's token is kept."""

    __tablename__ = "email_change"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    new_email: str = Field(max_length=320)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class RegistrationAttempt(SQLModel, table=True):
    """One registration from a client address, counted for the per-hour limit (API.md)."""

    __tablename__ = "registration_attempt"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    client: str = Field(max_length=64, index=True)
