"""Meals: each occurrence of a pairing's schedule, who brought it, and how it went."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.db import utcnow
from app.models.columns import VocabString
from app.vocab import CancelReason, MealStatus


class Meal(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("pairing_id", "date", name="uq_meal_pairing_date"),
        # A council's meals of one status, by date: the reports' counts and their recent runs
        # of delivered meals read a range of it instead of every meal the council ever had
        # (bench/README.md: the summary's runs 9.6 ms to 0.58 ms at 50,000 meals).
        Index("ix_meal_council_status_date", "council_id", "status", "date"),
        # A council's cover meals of one status, and no others: the summary's continuity rate
        # counts the delivered covers, which read every delivered meal's row without it (1.1 s
        # of 1.6 at a city's 155,000 delivered meals; 1 ms with it). The conditions are the
        # ones `col(Meal.is_cover).is_(True)` writes, so each planner sees the query implies it.
        Index(
            "ix_meal_council_cover",
            "council_id",
            "status",
            sqlite_where=text("is_cover IS 1"),
            postgresql_where=text("is_cover IS true"),
        ),
        # SQLite otherwise gives a deleted meal's id (a moved pairing's unrecorded meals are
        # deleted) to the next meal: a page or client still holding the first would then reach
        # the second. PostgreSQL's sequences never reuse an id.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    diner_id: int = Field(foreign_key="diner.id", index=True)
    council_id: int = Field(foreign_key="council.id")  # indexed first in the index above
    # Who brings it: the pairing's cook, or a cover cook while the regular one is away.
    cook_id: int | None = Field(default=None, foreign_key="cook.id", index=True)
    date: dt.date = Field(index=True)
    start: str = Field(max_length=5)  # "HH:MM" local time
    at: datetime  # the same moment in UTC (for reminders and ordering)
    status: MealStatus = Field(
        default=MealStatus.scheduled, sa_type=VocabString(MealStatus, 16), index=True
    )
    is_cover: bool = False
    cancel_reason: CancelReason | None = Field(default=None, sa_type=VocabString(CancelReason, 32))
    recorded_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class CookAway(SQLModel, table=True):
    """Dates a cook is away; meals falling in them need a cover cook."""

    __tablename__ = "cook_away"

    id: int | None = Field(default=None, primary_key=True)
    cook_id: int = Field(foreign_key="cook.id", index=True)
    from_date: dt.date
    to_date: dt.date
    created_at: datetime = Field(default_factory=utcnow)


class MealFeedback(SQLModel, table=True):
    __tablename__ = "meal_feedback"
    __table_args__ = (UniqueConstraint("meal_id", name="uq_meal_feedback_meal_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meal_id: int = Field(foreign_key="meal.id")
    carer_id: int = Field(foreign_key="user.id")
    rating: int  # 1 to 5
    comment: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)


class OutcomeAnswer(SQLModel, table=True):
    """The quarterly question to carers: does your relative consider their cook a friend?"""

    __tablename__ = "outcome_answer"

    id: int | None = Field(default=None, primary_key=True)
    diner_id: int = Field(foreign_key="diner.id", index=True)
    pairing_id: int | None = Field(default=None, foreign_key="pairing.id")
    carer_id: int = Field(foreign_key="user.id")
    considers_friend: bool
    answered_at: datetime = Field(default_factory=utcnow)
