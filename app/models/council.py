"""Councils and their neighbourhoods."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.db import utcnow


class Council(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    # ONS local authority district codes (e.g. E09000003) whose postcodes the council covers.
    lad_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    timezone: str = Field(default="Europe/London", max_length=64)
    max_walk_radius_m: int = Field(default=3000)
    min_dbs_level: str = Field(default="enhanced", max_length=32)
    dbs_recheck_days: int = Field(default=3 * 365)
    created_at: datetime = Field(default_factory=utcnow)


class Neighbourhood(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    name: str = Field(max_length=200)
    # Postcode sectors ("N3 1") that make up the neighbourhood.
    sectors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    coordinator_id: int | None = Field(default=None, foreign_key="user.id")
