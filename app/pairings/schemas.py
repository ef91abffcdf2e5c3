"""Pairing shapes (API.md "Conventions": a pairing)."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictInt

from app.schemas import HHMM, BodyId, Notes, Reason, StrictModel
from app.vocab import EndReason, Frequency, PairingStatus, Texture


class PairingCreate(StrictModel):
    diner_id: BodyId
    cook_id: BodyId
    weekday: StrictInt = Field(ge=0, le=6)
    start: HHMM
    frequency: Frequency


class PairingScheduleIn(StrictModel):
    """A running pairing's new day, time and frequency (staff, after agreeing it with both)."""

    weekday: StrictInt = Field(ge=0, le=6)
    start: HHMM
    frequency: Frequency


class PairingEndIn(StrictModel):
    """Optional: why staff end a running pairing, kept for staff only (the pairing's record
    and the audit log). Optional here, as the route took no body before; the page asks."""

    reason: Reason | None = None


class PairingDiner(BaseModel):
    id: int
    first_name: str
    distance_m: int
    diets: list[str]
    allergies: list[str]
    # Other foods they must not have, in the carer's words (null: none): matching cannot check
    # these, so the cook reads them before accepting.
    other_allergies: str | None
    texture: Texture
    address_line: str | None
    access_notes: str | None


class PairingCook(BaseModel):
    id: int
    display_name: str


class PairingOut(BaseModel):
    id: int
    cook_id: int
    diner_id: int
    status: PairingStatus
    weekday: int
    start: str
    frequency: Frequency
    end_reason: EndReason | None
    diner: PairingDiner
    cook: PairingCook


class DeclineIn(StrictModel):
    """Optional: why the cook declines, passed to the coordinator as the page does (an API
    client's reason was dropped before, and the coordinator read "They did not give a
    reason")."""

    reason: Notes = ""
