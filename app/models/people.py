"""Cooks and diners: the people the service pairs up."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.db import utcnow
from app.models.columns import VocabString
from app.vocab import CookStatus, DbsLevel, DinerStatus, Frequency, Texture


class Cook(SQLModel, table=True):
    """A cook's profile (API.md's cook_id is this id, not the user account's)."""

    # Matching asks for a council's approved cooks within a latitude band (a bounding box).
    __table_args__ = (
        Index("ix_cook_council_status_latitude", "council_id", "status", "latitude"),
        Index("ix_cook_council_updated_at", "council_id", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    neighbourhood_id: int | None = Field(default=None, foreign_key="neighbourhood.id")
    display_name: str = Field(max_length=60)
    phone: str = Field(max_length=20)  # E.164
    address_line: str = Field(max_length=200)
    postcode: str = Field(max_length=8)
    latitude: float
    longitude: float
    geo_precision: str = Field(max_length=8)  # unit | sector | district
    walk_radius_m: int
    max_diners: int
    frequencies: list[str] = Field(sa_column=Column(JSON, nullable=False))
    diets: list[str] = Field(sa_column=Column(JSON, nullable=False))
    allergen_free: list[str] = Field(sa_column=Column(JSON, nullable=False))
    textures: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # [{weekday, start, end}] with "HH:MM" local times.
    availability: list[dict[str, object]] = Field(sa_column=Column(JSON, nullable=False))
    status: CookStatus = Field(
        default=CookStatus.pending, sa_type=VocabString(CookStatus, 16), index=True
    )
    status_reason: str | None = Field(default=None, max_length=500)
    # The council whose staff suspended or rejected the cook: only they (or an admin) lift it.
    status_council_id: int | None = Field(default=None, foreign_key="council.id")
    # The council the cook signed up with, once they have moved to another (None: the one they
    # are with): a council's weekly count of new cooks keeps a cook who has since moved away.
    first_council_id: int | None = Field(default=None, foreign_key="council.id", index=True)
    # When a suspended or rejected cook asked to stop: lifting the decision leaves them stopped.
    stopped_at: datetime | None = None
    # An approved cook who moved: not proposed or offered cover until staff confirm the place.
    location_review: bool = Field(default=False)
    dbs_checked_on: date | None = None
    dbs_level: DbsLevel | None = Field(default=None, sa_type=VocabString(DbsLevel, 20))
    id_checked: bool = False
    hygiene_ack: bool = False
    approved_at: datetime | None = None
    # Secret, revocable token of the cook's private calendar feed (None: no feed).
    calendar_token: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    # Moves on every change of the row: the matching cache's version (app/matching/cache.py).
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})


class Diner(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    council_id: int = Field(foreign_key="council.id", index=True)
    neighbourhood_id: int | None = Field(default=None, foreign_key="neighbourhood.id")
    carer_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    referred_by_id: int | None = Field(default=None, foreign_key="user.id")
    full_name: str = Field(max_length=200)
    address_line: str = Field(max_length=200)
    postcode: str = Field(max_length=8)
    latitude: float
    longitude: float
    geo_precision: str = Field(max_length=8)
    phone: str | None = Field(default=None, max_length=20)
    diets: list[str] = Field(sa_column=Column(JSON, nullable=False))
    allergies: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # Other foods that make them ill, beyond the 14 allergens ("kiwi fruit"), in the carer's
    # words: shown to the cook wherever the 14 are, but matching cannot check them (free text).
    other_allergies: str | None = Field(default=None, max_length=300)
    texture: Texture = Field(sa_type=VocabString(Texture, 20))
    availability: list[dict[str, object]] = Field(sa_column=Column(JSON, nullable=False))
    frequency: Frequency = Field(sa_type=VocabString(Frequency, 12))
    access_notes: str | None = Field(default=None, max_length=500)
    consent_at: datetime
    consent_by_id: int = Field(foreign_key="user.id")
    # waiting | matched | left; "paused" is shown while today falls in [paused_from, paused_to].
    status: DinerStatus = Field(
        default=DinerStatus.waiting, sa_type=VocabString(DinerStatus, 16), index=True
    )
    status_reason: str | None = Field(default=None, max_length=500)
    paused_from: date | None = None
    paused_to: date | None = None
    anonymised_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class AreaDemand(SQLModel, table=True):
    """A sign-up from outside every council's area: the district and time, and an email only
    when the person asked to be told when we start there."""

    __tablename__ = "area_demand"

    id: int | None = Field(default=None, primary_key=True)
    district: str = Field(max_length=4, index=True)
    role: str = Field(max_length=8)  # cook | diner
    at: datetime = Field(default_factory=utcnow)
    # The waiting list: an email to tell when we start here, only with consent (both or neither);
    # erasure scrubs it (app/privacy/waiting_list.py).
    email: str | None = Field(default=None, max_length=320, index=True)
    consented_at: datetime | None = None
