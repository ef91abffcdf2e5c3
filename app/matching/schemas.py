"""Shapes for suggestions and batch matching (API.md "Staff")."""

from __future__ import annotations

from pydantic import BaseModel

from app.pairings.schemas import PairingOut


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
    unmatched_reason: str | None


class UnmatchedOut(BaseModel):
    diner_id: int
    first_name: str
    reason: str


class BatchOut(BaseModel):
    proposed: list[PairingOut]
    unmatched: list[UnmatchedOut]
