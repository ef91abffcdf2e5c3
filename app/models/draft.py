"""Answers so far of a multi-step page journey, kept server-side so Back loses nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import utcnow

# The answers of a signed-in form posted after its sign-in had ended, kept for that person to
# check and send again once signed in (app/pages/kept_answers.py): the journey is this prefix
# and a hash of the browser's key to them; they are kept this long (the sign-in, or a password
# reset first), then forgotten (app/privacy/retention.py).
KEPT_JOURNEY = "kept:"
KEPT_ANSWERS_FOR = timedelta(hours=2)


def user_owner(user_id: int) -> str:
    """The draft owner that is a signed-in user (the other kind is "anon:<hash>")."""
    return f"user:{user_id}"


class FormDraft(SQLModel, table=True):
    """One journey's answers for one owner: "user:<id>" or "anon:<browser key>"; pruned by age."""

    __tablename__ = "form_draft"
    __table_args__ = (UniqueConstraint("owner", "journey", name="uq_form_draft_owner_journey"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(max_length=64)
    journey: str = Field(max_length=32)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, index=True)
