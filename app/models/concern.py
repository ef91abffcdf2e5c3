"""Welfare and safeguarding concerns raised by cooks and carers, triaged by staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.db import utcnow


class Concern(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    diner_id: int = Field(foreign_key="diner.id", index=True)
    pairing_id: int | None = Field(default=None, foreign_key="pairing.id")
    raised_by_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=16)  # welfare | safeguarding
    serious: bool = False
    description: str = Field(max_length=2000)
    status: str = Field(
        default="open", max_length=16, index=True
    )  # open|investigating|resolved|upheld
    # Staff notes: [{at, staff_id, text}]
    notes: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
