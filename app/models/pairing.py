"""Pairings of one cook with one diner, kept for ever as the history continuity is made of."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.db import utcnow
from app.models.columns import VocabString
from app.vocab import (
    OPEN_PAIRING_STATUSES,
    EndReason,
    ExclusionReason,
    Frequency,
    PairingStatus,
    PauseReason,
)

OPEN_STATUSES = OPEN_PAIRING_STATUSES


class Pairing(SQLModel, table=True):
    __table_args__ = (
        # At most one open pairing per diner, whatever races the application loses.
        Index(
            "uq_pairing_open_diner",
            "diner_id",
            unique=True,
            sqlite_where=text("status IN ('proposed', 'active', 'paused')"),
            postgresql_where=text("status IN ('proposed', 'active', 'paused')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    cook_id: int = Field(foreign_key="cook.id", index=True)
    diner_id: int = Field(foreign_key="diner.id", index=True)
    status: PairingStatus = Field(
        default=PairingStatus.proposed, sa_type=VocabString(PairingStatus, 16), index=True
    )
    weekday: int
    start: str = Field(max_length=5)  # "HH:MM" local time
    frequency: Frequency = Field(sa_type=VocabString(Frequency, 12))
    distance_m: float
    proposed_by_id: int | None = Field(default=None, foreign_key="user.id")
    proposed_at: datetime = Field(default_factory=utcnow)
    accepted_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: EndReason | None = Field(default=None, sa_type=VocabString(EndReason, 32))
    # Staff's own words on why they ended it ("ended_by_staff" alone told nobody why): for
    # staff only, never in the cook's or the carer's messages; erased with the diner or cook.
    end_note: str | None = Field(default=None, max_length=500)
    # Why a paused pairing is paused: "concern" (a serious concern; resolving it may resume)
    # or "needs_changed" (the diner's needs changed beyond the cook: only staff may resume).
    pause_reason: PauseReason | None = Field(default=None, sa_type=VocabString(PauseReason, 32))


class PairExclusion(SQLModel, table=True):
    """A cook never to be proposed to this diner again (change request, upheld concern)."""

    __tablename__ = "pair_exclusion"
    __table_args__ = (UniqueConstraint("diner_id", "cook_id", name="uq_pair_exclusion_diner_cook"),)

    id: int | None = Field(default=None, primary_key=True)
    diner_id: int = Field(foreign_key="diner.id")
    cook_id: int = Field(foreign_key="cook.id")
    reason: ExclusionReason = Field(sa_type=VocabString(ExclusionReason, 32))
    created_at: datetime = Field(default_factory=utcnow)
