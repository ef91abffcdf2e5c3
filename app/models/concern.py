"""Concerns raised by cooks and carers (a category, a reference the raiser sees, a status they
can follow), triaged by staff."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.db import utcnow
from app.models.columns import VocabString
from app.vocab import ConcernCategory, ConcernStatus

REFERENCE_PREFIX = "EP-"
# No 0/O, 1/I/L: a reference is read aloud on the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 6


def new_reference() -> str:
    """A reference like "EP-7KQ3MD": random (it says nothing about how many concerns exist)."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return REFERENCE_PREFIX + code


class Concern(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    diner_id: int = Field(foreign_key="diner.id", index=True)
    pairing_id: int | None = Field(default=None, foreign_key="pairing.id")
    raised_by_id: int = Field(foreign_key="user.id")
    # A category of app/concerns/categories.py: missed_meal | food_hygiene | welfare |
    # safeguarding | cook_behaviour | other.
    kind: ConcernCategory = Field(sa_type=VocabString(ConcernCategory, 16))
    # What the raiser quotes: "EP-" and six letters and digits (never a guessable count).
    reference: str = Field(default_factory=new_reference, max_length=12, unique=True)
    serious: bool = False
    description: str = Field(max_length=2000)
    status: ConcernStatus = Field(
        default=ConcernStatus.open, sa_type=VocabString(ConcernStatus, 16), index=True
    )
    # Staff notes: [{at, staff_id, text}]
    notes: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
