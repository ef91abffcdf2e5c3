"""People who sign in, and the failed sign-ins that rate-limit them."""

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
    phone: str | None = Field(default=None, max_length=20)  # staff: shown as coordinator contact
    anonymised_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class LoginFailure(SQLModel, table=True):
    """One failed sign-in; counted in the database so limits hold across worker processes."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    email_key: str = Field(max_length=320, index=True)
    client: str = Field(max_length=64, index=True)
