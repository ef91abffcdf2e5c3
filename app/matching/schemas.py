"""Shapes for suggestions and batch matching (API.md "Staff")."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.pairings.schemas import PairingOut
from app.schemas import BodyId, StrictModel
from app.vocab import Frequency, UnmatchedReason

MAX_PAIRS = 100_000  # a council's batch; more is a client bug
MAX_PREVIEW_ID = 10_000_000  # the signed pairs of such a batch


class SlotOut(BaseModel):
    weekday: int
    start: str
    end: str


class SuggestionOut(BaseModel):
    cook_id: int
    display_name: str
    distance_m: int
    score: float
    reasons: list[str]
    slots: list[SlotOut]


class SuggestionsOut(BaseModel):
    items: list[SuggestionOut]
    unmatched_reason: UnmatchedReason | None


class UnmatchedOut(BaseModel):
    diner_id: int
    first_name: str
    reason: UnmatchedReason


class BatchOut(BaseModel):
    proposed: list[PairingOut]
    unmatched: list[UnmatchedOut]


class PreviewPairOut(BaseModel):
    """A pairing the batch would propose: API.md's fields, then names and the distance."""

    diner_id: int
    cook_id: int
    weekday: int
    start: str
    frequency: Frequency
    reasons: list[str]
    diner_first_name: str
    cook_display_name: str
    distance_m: int


class PreviewOut(BaseModel):
    preview_id: str = Field(description="give it back to /matching/confirm; signed, not stored")
    proposed: list[PreviewPairOut]
    unmatched: list[UnmatchedOut]


class PairIn(StrictModel):
    diner_id: BodyId
    cook_id: BodyId


class ConfirmIn(StrictModel):
    preview_id: str = Field(min_length=1, max_length=MAX_PREVIEW_ID)
    pairs: list[PairIn] = Field(max_length=MAX_PAIRS, description="the pairs kept from it")


class RefusedOut(BaseModel):
    diner_id: int
    cook_id: int
    reason: str = Field(
        description="the broken rule (as POST /api/staff/pairings names it), conflict or not_found"
    )
    message: str


class ConfirmOut(BaseModel):
    proposed: list[PairingOut]
    refused: list[RefusedOut]
