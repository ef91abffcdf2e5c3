"""Shapes for vetting cooks (API.md "Staff")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, StrictBool

from app.schemas import IsoDate, Notes, StrictModel
from app.vocab import CookStatus, DbsLevel


class ApproveIn(StrictModel):
    dbs_checked_on: IsoDate
    dbs_level: DbsLevel
    id_checked: StrictBool
    hygiene_ack: StrictBool
    note: Notes | None = None


class CookListItem(BaseModel):
    """The moderation queue: no address, phone or position."""

    id: int
    display_name: str
    status: CookStatus
    postcode_district: str
    neighbourhood: str | None
    dbs_checked_on: date | None
    dbs_level: DbsLevel | None
    checks_expire_on: date | None
    location_review: bool
    created_at: datetime


class CookMovedAwayOut(BaseModel):
    """Reinstating, as staff of a council the cook has since moved away from read it: their
    suspension or rejection is lifted. Where the cook lives now, their status and their checks
    are the new council's (a security review: this answer named the new postcode district)."""

    id: int
    display_name: str
    status: None = None  # not this council's to know: the cook's council decides it now
    moved_away: Literal[True] = True


class CookHistoryItem(BaseModel):
    """One thing that happened to a cook in this council (from the audit log)."""

    at: datetime
    action: str
    status: CookStatus | None  # the cook's status after it, where it changed
    actor_name: str | None
    reason: str | None = None  # the reason staff gave (a suspension, rejection, reinstatement)


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    subject_type: str
    subject_id: int | None
    data: dict[str, object]
